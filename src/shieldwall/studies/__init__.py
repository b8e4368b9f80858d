"""Studies: Monte Carlo replications of a scenario on local processes or a Dask cluster.

:mod:`~shieldwall.studies.seeds` lays out the random streams, :mod:`~.executors` runs
replications, :mod:`~.montecarlo` runs a study into a folder (:mod:`~.folder`) and
:mod:`~.stats` turns its rows into means with 95% confidence intervals.
"""

from shieldwall.studies.executors import EngineError, Executor, make_executor
from shieldwall.studies.montecarlo import StudyResult, replicate, run_study, study_metrics
from shieldwall.studies.seeds import replication_seeds

__all__ = [
    "EngineError",
    "Executor",
    "StudyResult",
    "make_executor",
    "replicate",
    "replication_seeds",
    "run_study",
    "study_metrics",
]
