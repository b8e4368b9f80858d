"""``shieldwall report``: one self-contained ``report.html`` about a run or study folder.

A run folder (``shieldwall run``) gets its outcome, the raid timeline, the map, interceptor
expenditure by nation and layer, magazine depletion per battery and patrol, and the cost
exchange; a study folder (``shieldwall study``, ``sweep`` or ``shapley``) gets the
distributions across replications and the sweep and Shapley plots present. The page works
offline (see :mod:`shieldwall.io.reporthtml`) and is the only file written: ``report.html``,
atomically, replacing an earlier report and nothing else. The same folder gives the same page,
byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shieldwall.io.jsonshape import SUMMARY_SHAPE, accounting_problem
from shieldwall.io.reporthtml import (
    ReportError,
    figure,
    img,
    num,
    page,
    png_data,
    read_json,
    read_parquet,
    read_yaml,
    section,
    side_by_side,
    table,
    usd,
)
from shieldwall.io.reportplots import (
    Magazine,
    expenditure_svg,
    magazines_svg,
    spend_svg,
    timeline_svg,
)
from shieldwall.io.runfolder import MARKER, is_own_report, write_text

REPORT = "report.html"
RUN_FILES = ("summary.json", "events.parquet")
STUDY_FILES = ("study.json", "sweep.json", "shapley.json")
EVENT_COLUMNS = ("t_s", "event", "threat_class", "unit_id", "cost_usd", "detail")
OUTCOMES = ("launched", "intercepted", "leaked", "failed")


def folder_kind(folder: Path) -> str:
    """``run`` or ``study``; ReportError for anything else (missing, a file, INCOMPLETE,
    neither, both)."""
    if not folder.exists():
        raise ReportError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder; give a run or study folder")
    if (folder / MARKER).exists():
        raise ReportError(
            f"{folder}: marked {MARKER} (its run or study did not finish); finish it first"
        )
    run = all((folder / name).is_file() for name in RUN_FILES)
    study = any((folder / name).is_file() for name in STUDY_FILES)
    if run and study:  # a run and a study written into one folder: no page can be right
        raise ReportError(f"{folder}: holds both a run and a study; rerun one into a fresh --out")
    if run:
        return "run"
    if study:
        return "study"
    raise ReportError(
        f"{folder}: neither a run folder (summary.json, events.parquet) nor a study folder"
        " (study.json, sweep.json or shapley.json)"
    )


def report_html(folder: Path) -> str:
    """The report page of ``folder`` (ReportError, one line, when none can be made)."""
    folder = Path(folder)
    kind = folder_kind(folder)
    try:
        if kind == "run":
            return run_page(folder)
        from shieldwall.io.reportstudy import study_page

        return study_page(folder)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ReportError(
            f"{folder}: unexpected contents, not as shieldwall writes them"
            f" ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None


def write_report(folder: Path) -> Path:
    """Write ``folder/report.html`` (atomically; only that file) and return its path."""
    folder = Path(folder)
    text = report_html(folder)
    path = folder / REPORT
    if path.exists() and not is_own_report(path):
        raise ReportError(
            f"{path}: exists and was not written by shieldwall report; move it away (nothing"
            " was written)"
        )
    try:
        write_text(path, text)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
    return path


# --- run folders ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunEvents:
    """The columns of ``events.parquet`` the report reads, each an array ``(n,)``."""

    t_s: np.ndarray
    kind: np.ndarray
    threat_class: np.ndarray
    unit_id: np.ndarray
    cost_usd: np.ndarray
    detail: np.ndarray

    @classmethod
    def read(cls, path: Path) -> RunEvents:
        """The events of ``path``; ReportError when a time is not a finite number (every event
        shieldwall writes has one, and the plots' axes are scaled to them)."""
        table = read_parquet(path, EVENT_COLUMNS)

        def col(name: str) -> np.ndarray:
            return np.array(table.column(name).to_pylist(), dtype=object)

        def floats(name: str) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in col(name)], dtype=float)

        t_s = floats("t_s")
        bad = int(np.sum(~np.isfinite(t_s)))
        if bad:
            raise ReportError(
                f"{path}: column t_s has {bad} of {t_s.size} times that are not finite numbers"
                " (null, NaN or infinite); not as shieldwall writes it (run it again)"
            )
        return cls(
            t_s,
            col("event"),
            col("threat_class"),
            col("unit_id"),
            np.nan_to_num(floats("cost_usd")),
            col("detail"),
        )

    @property
    def t_end_s(self) -> float:
        return float(np.max(self.t_s)) if self.t_s.size else 1.0


def _scenario(folder: Path) -> dict | None:
    """The folder's ``scenario.yaml``, or None when it is missing (the page then says what
    it cannot draw without it). It is validated as any scenario is (a hand-edited one, a
    battery without its magazine, say, is refused with the loader's first problem: its line
    and field), then read as plain data."""
    from shieldwall.scenario import ScenarioError, load_scenario

    path = folder / "scenario.yaml"
    if not path.exists():
        return None
    try:
        load_scenario(path)
    except ScenarioError as exc:
        more = len(exc.problems) - 1
        extra = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        raise ReportError(f"{exc.problems[0]}{extra}; not as shieldwall writes it") from None
    return read_yaml(path)


def run_page(folder: Path) -> str:
    """The page of a run folder."""
    summary = read_json(folder / "summary.json", SUMMARY_SHAPE, accounting_problem)
    ev = RunEvents.read(folder / "events.parquet")
    scenario = _scenario(folder)
    name = summary.get("scenario") or (scenario or {}).get("name") or folder.name
    timeline = figure(
        timeline_svg(ev.t_s, ev.kind, ev.threat_class),
        "Running count of each kind of event per threat class; a detection is one sensor's"
        " first report of a threat, a release one partner's track first reaching a nation"
        " under an agreement.",
    )
    sections = [
        section("outcome", "Outcome", *_outcome(summary)),
        section("timeline", "Raid timeline", timeline),
        section("map", "Map", _map(folder)),
        section("interceptors", "Interceptor expenditure", *_expenditure(summary)),
        section("magazines", "Magazine depletion", _magazines(scenario, ev)),
        section("cost", "Cost exchange", *_cost(summary, scenario, ev)),
    ]
    meta = (
        f"run report: seed {_or_unknown(summary.get('seed'))}, shieldwall"
        f" {_or_unknown(summary.get('shieldwall_version'))}, folder {folder.name}"
    )
    intro = str((scenario or {}).get("description") or "")
    return page(f"{name}: run report", meta, intro, sections)


def _or_unknown(value: object) -> str:
    """A header value as text, '?' where the summary lacks it or holds null."""
    return "?" if value is None else str(value)


def _outcome(summary: dict) -> list[str]:
    """Threats by class and fate, the accounting (checked when the summary was read: see
    :func:`~shieldwall.io.jsonshape.accounting_problem`), asset hits, declined engagements."""
    threats = summary["threats"]
    by_class = threats["by_class"]
    rows = [(c, *(by_class[c][k] for k in OUTCOMES)) for c in by_class]
    fates = table(("class", *OUTCOMES), rows, ("total", *(threats[k] for k in OUTCOMES)))
    fates += (
        '<p class="caption">Accounting balanced:'
        f" launched {threats['launched']} = intercepted {threats['intercepted']} +"
        f" leaked {threats['leaked']} + failed {threats['failed']}"
        + (f" + in flight at the end {threats['in_flight']}" if threats.get("in_flight") else "")
        + ".</p>"
    )
    rows = [
        (a, v["owner"], num(v["value"]), v["hits"], num(v["value_hit"]))
        for a, v in summary["assets"].items()
    ]
    assets = table(("asset", "owner", "value", "hits", "value hit"), rows, left=2) if rows else ""
    declined = [
        (n, c["authority"], c["airspace"])
        for n, c in summary["declined"].items()
        if c["authority"] or c["airspace"]
    ]
    refused = ""
    if declined:
        refused = "<h3>Engagements declined (distinct threats)</h3>" + table(
            ("nation", "no authority", "no airspace"), declined
        )
    return [
        side_by_side(
            "<h3>Threats</h3>" + fates, assets and "<h3>Defended asset hits</h3>" + assets
        ),
        refused,
    ]


def _map(folder: Path) -> str:
    """The run's map.png, or a note saying it is missing or not a PNG."""
    path = folder / "map.png"
    data = png_data(path)
    if data is None:
        what = "is not a readable PNG" if path.exists() else "is missing from this folder"
        return f'<p class="caption">map.png {what}; shieldwall run draws it (run it again).</p>'
    return figure(
        img(data, "map of the run"),
        "The run's map.png: borders, launch areas, threat tracks, sensors, batteries,"
        " patrols, defended assets, intercepts and impacts.",
    )


def _expenditure(summary: dict) -> list[str]:
    """Shots and cost by nation and type, and by layer: tables and bar charts."""
    inter = summary["interceptors"]
    by_nation, by_layer = inter["by_nation"], inter["by_layer"]
    rows = [
        (n, t, v["fired"], usd(v["cost_usd"])) for n, ts in by_nation.items() for t, v in ts.items()
    ]
    total = ("total", "", inter["fired"], usd(inter["cost_usd"]))
    layers = [(k, v["fired"], v.get("kills", ""), usd(v["cost_usd"])) for k, v in by_layer.items()]
    by_type = "<h3>By nation and type</h3>" + table(
        ("nation", "type", "fired", "cost"), rows, total, left=2
    )
    by_layers = "<h3>By layer</h3>" + table(("layer", "fired", "kills", "cost"), layers)
    parts = [side_by_side(by_type, by_layers if layers else "")]
    if rows or layers:
        parts.append(
            figure(
                expenditure_svg(by_nation, by_layer),
                "Shots and their notional cost by nation (stacked by interceptor or fighter type)"
                " and by layer: upper (batteries whose type the catalog puts in the upper layer),"
                " lower (other batteries), air (fighter patrols).",
            )
        )
    return parts


def _magazine_units(scenario: dict, ev: RunEvents) -> list[Magazine]:
    """Every battery (its magazine) and patrol (aircraft x shots per sortie) of the scenario
    with the times of its ``engage`` events, nations in the scenario's order."""
    shots = ev.kind == "engage"
    fighters = scenario.get("catalog", {}).get("fighter_types", {})
    units = []
    for unit in scenario.get("batteries", []):
        fired = ev.t_s[shots & (ev.unit_id == unit["id"])]
        units.append(
            Magazine(unit["id"], unit["owner"], unit["type"], int(unit["magazine"]), fired)
        )
    for unit in scenario.get("patrols", []):
        per_sortie = fighters.get(unit["type"], {}).get("shots_per_sortie")
        if per_sortie is not None:
            fired = ev.t_s[shots & (ev.unit_id == unit["id"])]
            rounds = int(unit["aircraft"]) * int(per_sortie)
            units.append(Magazine(unit["id"], unit["owner"], unit["type"], rounds, fired, True))
    nations = [n.get("id") for n in scenario.get("nations", []) if isinstance(n, dict)]
    rank = {n: k for k, n in enumerate(nations)}
    return sorted(units, key=lambda u: (rank.get(u.nation, len(rank)), u.patrol))


NO_SCENARIO = "scenario.yaml is missing from this folder (shieldwall run writes it; run it again)"


def _magazines(scenario: dict | None, ev: RunEvents) -> str:
    if scenario is None:
        return f'<p class="caption">{NO_SCENARIO}: the magazines cannot be drawn without it.</p>'
    units = _magazine_units(scenario, ev)
    if not units:
        return '<p class="caption">No battery or patrol in scenario.yaml.</p>'
    return figure(
        magazines_svg(units, ev.t_end_s),
        "Rounds left over time: each battery's magazine in scenario.yaml (a patrol's:"
        " aircraft x shots per sortie) less its shots (engage events).",
    )


def _cost(summary: dict, scenario: dict | None, ev: RunEvents) -> list[str]:
    """The cost-exchange table and the running cost of defense and attack (the attack's from
    the catalog in scenario.yaml, so no plot without it)."""
    inter = summary["interceptors"]
    ratio = summary["cost_exchange_ratio"]
    rows = [
        ("defense (interceptors fired)", usd(inter["cost_usd"])),
        ("attack (threats launched)", usd(summary["attack"]["cost_usd"])),
        ("cost-exchange ratio (defense / attack)", "n/a" if ratio is None else f"{ratio:.2f}"),
        ("shots fired on a partner's track", num(inter.get("launch_on_remote"))),
    ]
    costs = table(("measure", "value"), rows, left=1)
    if scenario is None:
        note = f"{NO_SCENARIO}: the running costs cannot be drawn without its catalog."
        return [costs, f'<p class="caption">{note}</p>']
    types = scenario.get("catalog", {}).get("threat_types", {})
    shots, launches = ev.kind == "engage", ev.kind == "launch"
    attack_usd = np.array(
        [float(types.get(d, {}).get("cost_usd") or 0.0) for d in ev.detail[launches]]
    )
    spend = spend_svg(
        (ev.t_s[shots], ev.cost_usd[shots]), (ev.t_s[launches], attack_usd), ev.t_end_s
    )
    caption = (
        "Running notional cost of the defense's shots (engage events) and of the threats"
        " launched (each threat type's cost in the catalog)."
    )
    return [costs, figure(spend, caption)]


__all__ = [
    "REPORT",
    "ReportError",
    "RunEvents",
    "folder_kind",
    "report_html",
    "run_page",
    "write_report",
]
