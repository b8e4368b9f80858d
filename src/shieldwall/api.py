"""The Python entry points: ``shieldwall.run`` and ``shieldwall.load_scenario``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pyarrow as pa

from shieldwall.geo import ecef_to_geodetic
from shieldwall.io.maplayers import map_layers
from shieldwall.io.mapplot import render_map
from shieldwall.io.runfolder import (
    check_source_outside,
    close_run_dir,
    open_run_dir,
    write_json,
    write_parquet,
    write_text,
)
from shieldwall.io.sharingfiles import write_sharing_files
from shieldwall.scenario import Scenario, load_scenario, scenario_to_yaml
from shieldwall.sensors import interpolate_truth
from shieldwall.sim import SimResult, simulate
from shieldwall.sim.pictures import COALITION
from shieldwall.sim.summary import summarize


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: ``summary`` (the ``summary.json`` dict), ``events`` (pyarrow Table, the
    ``events.parquet`` contents), ``sim`` (the full simulation state) and the run folder."""

    summary: dict
    events: pa.Table
    sim: SimResult
    run_dir: Path | None = None


def events_table(result: SimResult) -> pa.Table:
    """The run's events as a table; an event without a position of its own is placed where
    its threat truly was then, or, after the threat's end (intercepted, landed or broken up:
    a late miss or track end), where it ended (not on the path it no longer flies)."""
    truth = result.truth
    end_s = np.minimum(result.outcome.death_t_s, truth.end_t_s)

    def locate(threat, t_s):
        return ecef_to_geodetic(interpolate_truth(truth, threat, np.minimum(t_s, end_s[threat])))

    return result.events.table(truth.threats.threat_id, truth.threats.threat_class(), locate)


def run(
    scenario: str | PathLike | Mapping | Scenario,
    seed: int | None = None,
    out: str | PathLike | None = None,
    force: bool = False,
    progress: Callable[[float, float], None] | None = None,
) -> RunResult:
    """Run a scenario once. ``scenario``: a built-in name, a YAML path, a dict or a Scenario.
    ``seed`` defaults to the scenario's. With ``out``, writes the run folder there.

    ValueError for a seed that is not a whole number >= 0 and RunFolderError for an ``out``
    that would overwrite the scenario file, both before anything is written."""
    if out is not None:
        check_source_outside(scenario, Path(out))
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seed = sc.seed if seed is None else check_seed(seed)
    run_dir = open_run_dir(Path(out), force=force) if out is not None else None
    if run_dir is not None:
        # the resolved scenario with the run's seed: running it again reproduces the run
        write_text(
            run_dir / "scenario.yaml", scenario_to_yaml(sc.model_copy(update={"seed": seed}))
        )
    sim = simulate(sc, seed, progress=progress)
    summary = summarize(sim)
    events = events_table(sim)
    if run_dir is not None:
        write_json(run_dir / "summary.json", summary)
        write_parquet(run_dir / "events.parquet", events)
        pictures, truth = picture_tables(sim)
        write_parquet(run_dir / "pictures.parquet", pictures)
        write_parquet(run_dir / "truth.parquet", truth)
        write_sharing_files(run_dir, sc, sim.audit, sim.views, sim.truth.threats.threat_id)
        render_map(run_dir / "map.png", map_layers(sim))
        close_run_dir(run_dir)
    return RunResult(summary, events, sim, run_dir)


def check_seed(seed: object) -> int:
    """``seed`` as an int; ValueError unless it is a whole number >= 0 (numpy's SeedSequence
    takes no negative seed)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed: must be a whole number >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: must be a whole number >= 0, got {seed}")
    return int(seed)


def picture_tables(result: SimResult) -> tuple[pa.Table, pa.Table]:
    """The sampled pictures (every nation's system tracks, the analyst's view: sources named,
    ``threat_id`` the labelled object or null for a track on clutter) and the truth at the
    same times, ECEF metres and m/s: what the summary's SIAP figures are computed from."""
    cols = result.pictures.arrays()
    t = cols["scan_t_s"]
    ids = np.asarray(list(result.truth.threats.threat_id) + [None], dtype=object)
    nations = np.array([n.id for n in result.scenario.nations] + [COALITION, ""])
    xyz = ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")
    pictures = {
        "t_s": t[cols["scan"]],
        "nation": nations[cols["nation"]],
        "track_number": cols["number"],
        "threat_id": ids[cols["threat"]].tolist(),
        "source_nation": nations[cols["source"]],
        **{k: cols["x"][:, i] for i, k in enumerate(xyz)},
        "pos_sigma_m": cols["pos_sigma_m"],
    }
    truth = {
        "t_s": t[cols["truth_scan"]],
        "threat_id": ids[cols["truth_threat"]].tolist(),
        **{k: cols["truth_x"][:, i] for i, k in enumerate(xyz)},
    }
    return pa.table(pictures), pa.table(truth)


__all__ = ["RunResult", "check_seed", "events_table", "load_scenario", "picture_tables", "run"]
