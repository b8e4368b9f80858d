"""shieldwall: coalition air and missile defense network modelling (defensive, notional).

>>> import shieldwall
>>> result = shieldwall.run("tutorial", seed=7)
>>> result.summary["threats"]["launched"]
20
"""

from shieldwall._version import __version__
from shieldwall.api import RunResult, load_scenario, run

__all__ = ["RunResult", "__version__", "load_scenario", "run"]
