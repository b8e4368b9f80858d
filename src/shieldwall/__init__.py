"""shieldwall: coalition air and missile defense network modelling (defensive, notional).

>>> import shieldwall
>>> result = shieldwall.run("tutorial", seed=7)
>>> result.summary["threats"]["launched"]
20
"""

import os
import signal
import sys


def interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C in the second the ``shieldwall`` command spends importing (numpy, pyarrow,
    typer...): the same ``interrupted`` line and status 130 as later, not a traceback from
    an import. :mod:`shieldwall.cli` restores Python's handler once its imports are done.

    It exits at once (``os._exit``): nothing is written yet, and an exception raised inside a
    C extension's initialisation (numpy's) would come out as an ImportError traceback."""
    os.write(2, b"interrupted\n")
    os._exit(130)


def _started_as_command() -> bool:
    """True while the ``shieldwall`` console script or ``python -m shieldwall`` imports this
    package (Python sets ``sys.argv[0]`` to ``-m`` while it locates the module), not when a
    program or notebook imports it."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 == "-m" or os.path.basename(argv0) == "shieldwall"


if _started_as_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, interrupted_while_starting)

from shieldwall._version import __version__  # noqa: E402
from shieldwall.api import RunResult, load_scenario, run  # noqa: E402

__all__ = ["RunResult", "__version__", "load_scenario", "run"]
