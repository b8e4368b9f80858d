"""Benchmark: the WTA heuristic on the public instances of Andersen, Pavlikov & Toffolo
("Weapon-target assignment problem: exact and approximate solution algorithms", Annals of
Operations Research 2022): 6 sizes from 50x100 to 300x600, each with 1, 2 and 3 units per weapon.

Data: ``../shared/bench-data/wta-andersen2022/`` beside the repository (override with
``--data DIR`` or ``SHIELDWALL_WTA_DATA``). Prints one JSON line per instance: ``weapons``,
``targets``, ``units``, ``objective``, ``seconds``, ``best_known`` (best upper bound of the
authors' CPLEX runs, 2 h each, from ``best_known.csv``), ``gap_pct`` (negative where the
heuristic beats it) and ``load_1m`` (the machine's 1-minute load average as the line is printed).
``python bench/wta_public.py [--time-limit S]`` (default 9 s each).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

from shieldwall.engagement import solve_wta
from shieldwall.io.wtafile import read_instance

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "wta-andersen2022"


def best_known(data: Path) -> dict[tuple[int, int, int], float]:
    with open(data / "best_known.csv", newline="") as fh:
        rows = csv.DictReader(fh)
        return {
            (int(r["weapons"]), int(r["targets"]), int(r["units_per_weapon"])): float(
                r["best_upper_bound"]
            )
            for r in rows
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="benchmark folder")
    parser.add_argument("--time-limit", type=float, default=9.0, help="seconds per instance")
    args = parser.parse_args()
    data = args.data or Path(os.environ.get("SHIELDWALL_WTA_DATA", DEFAULT_DATA))
    known = best_known(data)
    for (w, t, mu), best in sorted(known.items()):
        inst = read_instance(data / f"wta_{w}x{t}.txt.gz", units=mu)
        res = solve_wta(inst.values, inst.pk, inst.counts, time_limit_s=args.time_limit)
        line = {"weapons": w, "targets": t, "units": mu, "objective": round(res.objective, 6),
                "seconds": round(res.seconds, 3), "best_known": best,
                "gap_pct": round(100.0 * (res.objective - best) / best, 4),
                "load_1m": round(os.getloadavg()[0], 2)}  # fmt: skip
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
