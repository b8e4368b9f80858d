"""``shieldwall report``: the page of a run folder and of study folders, bad folders, and the
page in a real browser.

The run is the built-in ``tutorial`` (``shieldwall run``) and the study a 3-replication
``shieldwall study tutorial``; the sweep and Shapley folders come from stand-in replications
(no simulation), which is enough for their pages. The browser test opens each page in
headless Chromium (Debian's ``chromium``, driven by playwright with ``executable_path``;
never a downloaded browser), routes every request and fails on any that is not the page
itself; a planted page shows that the check catches what it should.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from serial_executor import SerialExecutor
from shieldwall.cli import app
from shieldwall.scenario import load_scenario
from shieldwall.studies.coalitionvalue import shapley_study
from shieldwall.studies.sweep import sweep_study
from shieldwall.studies.variants import DEFENDED, VALUE_HIT, VALUE_HITS, VariantTask

runner = CliRunner()
NAN = float("nan")
RUN_SECTIONS = [
    "Outcome",
    "Raid timeline",
    "Map",
    "Interceptor expenditure",
    "Magazine depletion",
    "Cost exchange",
]
STUDY_SECTIONS = ["Distributions across replications", "Means and 95% confidence intervals"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "report.png"


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _report(folder: Path) -> str:
    res = _invoke("report", str(folder))
    assert res.exit_code == 0, res.output
    assert "report.html" in res.output
    return (folder / "report.html").read_text(encoding="utf-8")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in folder.rglob("*") if p.is_file()}


def headings(html: str, level: int = 2) -> list[str]:
    return re.findall(rf"<h{level}>([^<]*)</h{level}>", html)


def cells(html: str) -> str:
    """``html`` with every table cell as a bare ``<td>`` (alignment classes dropped)."""
    return re.sub(r"<td[^>]*>", "<td>", html)


def section(html: str, anchor: str) -> str:
    """The HTML of one ``<section id=anchor>``, table cells bare."""
    match = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert match, anchor
    return cells(match.group(1))


def assert_self_contained(html: str) -> None:
    """Every src and href stays inside the page: data: URLs and #anchors only; no script,
    no stylesheet link, no CSS import or external url()."""
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), {
        r[:40] for r in refs if not r.startswith(("data:", "#"))
    }
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))


# --- folders ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    assert _invoke("run", "tutorial", "--out", str(out), "--quiet").exit_code == 0
    return out


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "study"
    res = _invoke("study", "tutorial", "--runs", "3", "--out", str(out), "--quiet")
    assert res.exit_code == 0, res.output
    return out


def magazine_game(task: VariantTask) -> dict:
    """Stand-in replication: leakers fall with the first battery's magazine."""
    mag = task.scenario.batteries[0].magazine
    leaked = max(0, 10 - mag + task.replication % 2)
    return {"threats.leaked": leaked, "threats.by_class.ballistic.leaked": leaked,
            VALUE_HIT: 10.0 * leaked, DEFENDED: 300.0 - 10.0 * leaked}  # fmt: skip


def coalition_game(task: VariantTask) -> dict:
    """Stand-in replication: each nation with a unit adds its own worth."""
    sc = task.scenario
    owners = {u.owner for u in [*sc.sensors, *sc.batteries, *sc.patrols]}
    worth = 10.0 * ("ISR" in owners) + 20.0 * ("USA" in owners) + 5.0 * task.replication
    return {DEFENDED: worth, VALUE_HIT: 300.0 - worth, VALUE_HITS: 300.0 - worth,
            "threats.leaked": 5 - len(owners)}  # fmt: skip


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "sweep"
    sc = load_scenario("tutorial")
    sweep_study(sc, "batteries.0.magazine", [0, 4, 8], 3, out, SerialExecutor(), fn=magazine_game)
    return out


@pytest.fixture(scope="module")
def shapley_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "shapley"
    shapley_study(load_scenario("tutorial"), 3, out, SerialExecutor(), fn=coalition_game)
    return out


# --- pages ------------------------------------------------------------------------------------


def test_a_null_seed_shows_as_unknown(run_dir, tmp_path):
    folder = tmp_path / "no-seed"
    shutil.copytree(run_dir, folder, ignore=shutil.ignore_patterns("report.html"))
    summary = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps(summary | {"seed": None}))
    assert "run report: seed ?, shieldwall" in _report(folder)


def test_run_report_has_every_section(run_dir):
    before = _files(run_dir)
    html = _report(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "<title>tutorial: run report</title>" in html
    assert headings(html) == RUN_SECTIONS
    assert "Notional, public-figure model" in html and "seed 1" in html
    outcome = section(html, "outcome")
    th = summary["threats"]
    assert f"<td>total</td><td>{th['launched']}</td><td>{th['intercepted']}</td>" in outcome
    for asset in summary["assets"]:
        assert f">{asset}<" in outcome
    # the timeline has a panel per kind; glyphs are paths, matplotlib keeps the text in comments
    timeline = section(html, "timeline")
    assert timeline.count("<svg") == 1
    for kind in ("launches", "detections", "releases to partners", "shots fired", "leakers"):
        assert f"<!-- {kind}" in timeline
    assert section(html, "map").count('<img src="data:image/png;base64,') == 1
    spend = section(html, "interceptors")
    assert spend.count("<svg") == 1 and "by nation and type" in spend and "by layer" in spend
    for nation, types in summary["interceptors"]["by_nation"].items():
        for typ, row in types.items():
            assert f"<td>{nation}</td><td>{typ}</td><td>{row['fired']}</td>" in spend
    magazines = section(html, "magazines")
    scenario = load_scenario("tutorial")
    for unit in [*scenario.batteries, *scenario.patrols]:
        assert f"<!-- {unit.id} -->" in magazines
    assert "<!-- ddg-sm3 -->" in magazines and "USA sm-3: 0 of 4 left" in magazines
    cost = section(html, "cost")
    assert f"{summary['cost_exchange_ratio']:.2f}" in cost and cost.count("<svg") == 1
    assert_self_contained(html)
    # only report.html is new; a second report replaces it with the same bytes
    after = _files(run_dir)
    assert set(after) - set(before) == {"report.html"}
    assert all(after[name] == sha for name, sha in before.items())
    first = (run_dir / "report.html").read_bytes()
    _report(run_dir)
    assert (run_dir / "report.html").read_bytes() == first
    assert not list(run_dir.glob(".*.tmp"))


def test_magazine_curves_count_the_shots(run_dir):
    """Rounds left per battery = magazine - its engage events (the panel title says so)."""
    from shieldwall.io.report import RunEvents, _magazine_units
    from shieldwall.io.reporthtml import read_yaml

    events = pq.read_table(run_dir / "events.parquet").to_pylist()
    units = _magazine_units(read_yaml(run_dir / "scenario.yaml"), RunEvents.read(
        run_dir / "events.parquet"))  # fmt: skip
    assert [u.unit_id for u in units if not u.patrol] == [
        b.id for b in load_scenario("tutorial").batteries
    ]
    for u in units:
        shots = [e["t_s"] for e in events if e["event"] == "engage" and e["unit_id"] == u.unit_id]
        assert list(u.shots_t_s) == shots
        assert 0 <= u.rounds - len(shots)  # no battery fires beyond its magazine
    assert {u.unit_id: u.rounds for u in units if u.patrol} == {"gbr-typhoon": 2 * 6}


def test_run_report_names_a_missing_or_broken_file(tmp_path, run_dir):
    """Without scenario.yaml the page says so where it needs it (magazines, running costs)
    rather than claiming the scenario has no battery; a map.png that is not a PNG is called
    that, a missing one missing."""
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder, ignore=shutil.ignore_patterns("report.html"))
    (folder / "scenario.yaml").unlink()
    (folder / "map.png").write_text("not a picture")
    html = _report(folder)
    assert headings(html) == RUN_SECTIONS
    assert "No battery or patrol" not in html
    for anchor in ("magazines", "cost"):
        assert "scenario.yaml is missing from this folder" in section(html, anchor), anchor
    assert section(html, "magazines").count("<svg") == 0
    assert section(html, "cost").count("<svg") == 0
    assert "map.png is not a readable PNG" in section(html, "map")
    (folder / "map.png").unlink()
    assert "map.png is missing from this folder" in section(_report(folder), "map")


def test_study_report_has_its_distributions(study_dir):
    before = _files(study_dir)
    html = _report(study_dir)
    assert "<title>tutorial: Monte Carlo study report</title>" in html
    assert headings(html) == STUDY_SECTIONS
    plots = section(html, "distributions")
    assert plots.count("<svg") == 1
    for title in ("leakers, all classes", "interceptor cost, US$ million", "cost-exchange ratio"):
        assert f"<!-- {title}" in plots
    means = section(html, "means")
    study = json.loads((study_dir / "study.json").read_text())
    assert f"{study['means']['threats.leaked']:,.2f}" in means
    assert headings(means, 3)[:3] == ["Leakers", "Defended asset hits", "Interceptors fired"]
    assert_self_contained(html)
    assert set(_files(study_dir)) - set(before) == {"report.html"}


def test_sweep_and_shapley_reports(sweep_dir, shapley_dir):
    html = _report(sweep_dir)
    assert headings(html) == ["Sweep of batteries.0.magazine"]
    assert html.count('<img src="data:image/png;base64,') == 1
    assert "<td>0</td><td>10.3 ± " in cells(html)  # leakers at magazine 0: (10 + 11 + 10) / 3
    assert_self_contained(html)
    before = _files(shapley_dir)
    html = _report(shapley_dir)
    assert "<title>tutorial: Shapley study report</title>" in html
    assert headings(html) == ["Coalition value (Shapley)"]
    assert html.count('<img src="data:image/png;base64,') == 1
    values = json.loads((shapley_dir / "shapley.json").read_text())["values"]
    assert values == pytest.approx({"ISR": 10.0, "USA": 20.0, "GBR": 0.0})
    assert "<td>USA</td><td>20.0</td>" in cells(html) and "<td>ISR</td><td>10.0</td>" in cells(html)
    assert_self_contained(html)
    assert set(_files(shapley_dir)) - set(before) == {"report.html"}  # shapley.png untouched


# --- bad folders ------------------------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"PAR1 this is not a parquet file")


def _bad_folders(tmp: Path, run_dir: Path, study_dir: Path) -> dict[str, tuple[Path, str]]:
    """name -> (folder, text its one error line must contain)."""

    def copy(src: Path, name: str) -> Path:
        dst = tmp / name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("report.html"))
        return dst

    cases = {"missing": (tmp / "nowhere", "no such folder")}
    (tmp / "a-file").write_text("x")
    cases["file"] = (tmp / "a-file", "not a folder")
    (tmp / "empty").mkdir()
    cases["neither"] = (tmp / "empty", "neither a run folder")
    folder = copy(run_dir, "incomplete")
    (folder / "INCOMPLETE").write_text("")
    cases["incomplete"] = (folder, "INCOMPLETE")
    folder = copy(run_dir, "bad-events")
    _garbage(folder / "events.parquet")
    cases["corrupt events"] = (folder, "events.parquet: not a readable Parquet file")
    folder = copy(run_dir, "old-events")
    pq.write_table(pa.table({"t_s": [0.0], "event": ["launch"]}), folder / "events.parquet")
    cases["events lacking columns"] = (folder, "no column threat_class")
    folder = copy(run_dir, "bad-summary")
    (folder / "summary.json").write_text("{not json")
    cases["corrupt summary"] = (folder, "summary.json: not readable JSON")
    folder = copy(run_dir, "odd-summary")
    (folder / "summary.json").write_text('{"scenario": "x"}')
    cases["summary lacking keys"] = (folder, "summary.json: threats: missing")
    for name, edit, needle in (
        ("words", ("threats", "launched", "lots"), "threats.launched: expected a whole number"),
        ("negative", ("threats", "leaked", -5), "threats.leaked: expected a whole number >= 0"),
        ("ratio", ("cost_exchange_ratio", None, "abc"), "cost_exchange_ratio: expected a finite"),
        ("assets", ("assets", None, [1, 2]), "assets: expected an object, got a list"),
    ):
        folder = copy(run_dir, f"edited-summary-{name}")
        summary = json.loads((folder / "summary.json").read_text())
        top, key, value = edit
        if key is None:
            summary[top] = value
        else:
            summary[top][key] = value
        (folder / "summary.json").write_text(json.dumps(summary))
        cases[f"hand-edited summary ({name})"] = (folder, needle)
    folder = copy(run_dir, "edited-scenario")
    text = (folder / "scenario.yaml").read_text()
    line = text[: text.index("magazine: ")].count("\n") + 1
    (folder / "scenario.yaml").write_text(text.replace("magazine: ", "magazine: -", 1))
    cases["hand-edited scenario.yaml"] = (folder, f"scenario.yaml:{line}: batteries.0.magazine:")
    folder = copy(study_dir, "bad-study")
    _garbage(folder / "study.parquet")
    cases["corrupt study"] = (folder, "study.parquet: not a readable Parquet file")
    folder = copy(study_dir, "odd-study")
    (folder / "study.json").write_text('{"scenario": "x"}')
    cases["study.json lacking keys"] = (folder, "study.json: runs: missing")
    return cases


def _edit_json(path: Path, edit) -> None:
    """Apply ``edit`` (a function changing the dict in place) to the JSON file at ``path``."""
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _inconsistent_folders(tmp: Path, dirs: dict[str, Path]) -> dict[str, tuple[Path, str]]:
    """Hand edits that keep every value in shape but make the files disagree (or hold
    values no plot can take): name -> (folder, text its one error line must contain)."""
    edits = {  # name: (source folder, file, edit, needle)
        "leaked +3": ("run", "summary.json", lambda s: s["threats"].update(leaked=5),
                      "threats: launched 20 is not intercepted 14 + leaked 5"),
        "class leaked": ("run", "summary.json",
                         lambda s: s["threats"]["by_class"]["drone"].update(leaked=7),
                         "threats.by_class.drone: launched"),
        "flag false": ("run", "summary.json", lambda s: s["accounting"].update(balanced=False),
                       "accounting.balanced: false, yet every count adds up"),
        "no interceptors": ("run", "summary.json", lambda s: s.pop("interceptors"),
                            "interceptors: missing"),
        "no ratio": ("run", "summary.json", lambda s: s.pop("cost_exchange_ratio"),
                     "cost_exchange_ratio: missing"),
        "wrong ratio": ("run", "summary.json", lambda s: s.update(cost_exchange_ratio=9.5),
                        "cost_exchange_ratio: 9.5, but interceptors.cost_usd"),
        "nan mean": ("study", "study.json", lambda s: s["means"].update({"threats.leaked": NAN}),
                     "means.threats.leaked: expected a finite number, got nan"),
        "runs six": ("study", "study.json", lambda s: s.update(runs="six"), "runs: expected"),
        "sweep values": ("sweep", "sweep.json", lambda s: s.update(values=[0.0]),
                         "values: 1 of them, but 3 points"),
        "sweep no points": ("sweep", "sweep.json", lambda s: s.update(points=[], values=[]),
                            "values: expected a list of at least 1, got 0 items"),
        "sweep metrics": ("sweep", "sweep.json", lambda s: s["points"][0].update(metrics="x"),
                          "points.0.metrics: expected an object, got 'x'"),
        "shapley big": ("shapley", "shapley.json", lambda s: s["values"].update(ISR="big"),
                        "values.ISR: expected a finite number, got 'big'"),
        "shapley ranking": ("shapley", "shapley.json", lambda s: s.update(ranking=["GBR"]),
                            "ranking: GBR is not each nation of values (GBR, ISR, USA) once"),
    }  # fmt: skip
    cases = {}
    for k, (name, (src, file, edit, needle)) in enumerate(edits.items()):
        folder = tmp / f"edited-{k}"
        shutil.copytree(dirs[src], folder, ignore=shutil.ignore_patterns("report.html"))
        _edit_json(folder / file, edit)
        cases[name] = (folder, f"{file}: {needle}")
    folder = tmp / "study-no-rows"
    shutil.copytree(dirs["study"], folder, ignore=shutil.ignore_patterns("report.html"))
    rows = pq.read_table(folder / "study.parquet")
    pq.write_table(rows.slice(0, 0), folder / "study.parquet")
    cases["0-row study.parquet"] = (
        folder,
        "study.parquet: 0 finished replications (status ok), but study.json says completed 3",
    )
    folder = tmp / "study-no-parquet"
    shutil.copytree(dirs["study"], folder, ignore=shutil.ignore_patterns("report.html"))
    (folder / "study.parquet").unlink()
    cases["no study.parquet"] = (folder, "study.parquet: missing")
    folder = tmp / "nan-times"
    shutil.copytree(dirs["run"], folder, ignore=shutil.ignore_patterns("report.html"))
    events = pq.read_table(folder / "events.parquet")
    nan = pa.array([NAN] * events.num_rows)
    events = events.set_column(events.column_names.index("t_s"), "t_s", nan)
    pq.write_table(events, folder / "events.parquet")
    cases["NaN times"] = (folder, "events.parquet: column t_s has")
    return cases


def test_bad_folders_one_line_exit_2(tmp_path, run_dir, study_dir, sweep_dir, shapley_dir):
    cases = _bad_folders(tmp_path, run_dir, study_dir)
    dirs = {"run": run_dir, "study": study_dir, "sweep": sweep_dir, "shapley": shapley_dir}
    cases |= _inconsistent_folders(tmp_path, dirs)
    for name, (folder, needle) in cases.items():
        res = runner.invoke(app, ["report", str(folder)])
        assert res.exit_code == 2, (name, res.output, res.exception)
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, lines)
        assert needle in lines[0] and folder.name in lines[0], (name, lines)
        assert not (folder / "report.html").exists(), name


def test_bad_folder_in_a_subprocess_no_traceback(tmp_path, run_dir):
    folder = tmp_path / "bad"
    shutil.copytree(run_dir, folder)
    _garbage(folder / "events.parquet")
    proc = subprocess.run([sys.executable, "-m", "shieldwall", "report", str(folder)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "events.parquet" in proc.stderr


# --- in a browser -----------------------------------------------------------------------------


@dataclass
class Visit:
    """What a page did in the browser."""

    title: str = ""
    headings: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)

    def foreign(self, url: str) -> list[str]:
        """Requests other than the page itself (data: URLs stay inside the page)."""
        return [r for r in self.requests if r != url and not r.startswith("data:")]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs playwright: pip install playwright"
    )
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


IMAGES_JS = """() => [...document.querySelectorAll('img, figure > svg')].map(e => {
    const box = e.getBoundingClientRect();
    return {tag: e.tagName.toLowerCase(), width: box.width, height: box.height,
            natural: e.tagName === 'IMG' ? e.naturalWidth * e.naturalHeight : -1,
            complete: e.tagName === 'IMG' ? e.complete : true};
})"""


def visit(browser, page_path: Path, screenshot: Path | None = None) -> Visit:
    """Open ``page_path`` in a fresh context whose every request is routed: the page itself
    goes through, anything else is recorded and aborted (so nothing leaves the machine)."""
    url = page_path.resolve().as_uri()
    seen = Visit()
    context = browser.new_context(viewport={"width": 1200, "height": 1240}, device_scale_factor=1)
    try:
        context.route("**/*", lambda route: route.continue_() if route.request.url == url
                      else route.abort())  # fmt: skip
        page = context.new_page()
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("console", lambda msg: seen.console_errors.append(msg.text)
                if msg.type == "error" else None)  # fmt: skip
        page.on("pageerror", lambda exc: seen.page_errors.append(str(exc)))
        page.goto(url, wait_until="load")
        seen.title = page.title()
        seen.headings = page.locator("h2").all_inner_texts()
        seen.images = page.evaluate(IMAGES_JS)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
    finally:
        context.close()
    return seen


def test_browser_check_catches_what_it_should(browser, tmp_path):
    """A planted page: a CDN stylesheet, a remote image, another local file and a failing
    script are all caught (and aborted), a data: image is not."""
    planted = tmp_path / "report.html"
    planted.write_text(
        '<!DOCTYPE html><html><head><title>planted</title><link rel="stylesheet"'
        ' href="https://cdn.example.invalid/x.css"></head><body><h2>x</h2>'
        '<img src="http://example.invalid/a.png"><img src="map.png">'
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQ'
        'VR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'
        '<script>throw new Error("boom")</script></body></html>'
    )
    seen = visit(browser, planted)
    assert set(seen.foreign(planted.resolve().as_uri())) == {
        "http://example.invalid/a.png",
        "https://cdn.example.invalid/x.css",
        (tmp_path / "map.png").resolve().as_uri(),
    }
    assert seen.console_errors and any("boom" in e for e in seen.page_errors)
    assert [i["natural"] for i in seen.images] == [0, 0, 1]


def _assert_renders(seen: Visit, page_path: Path, title: str, sections: list[str], n: int):
    assert seen.title == title
    assert seen.headings == sections
    assert seen.foreign(page_path.resolve().as_uri()) == []
    assert seen.console_errors == [] and seen.page_errors == []
    assert len(seen.images) == n, seen.images
    for image in seen.images:
        assert image["width"] > 0 and image["height"] > 0, image
        assert image["complete"] and image["natural"] != 0, image


def test_reports_render_offline_in_chromium(browser, run_dir, study_dir, shapley_dir, tmp_path):
    """The screenshot is kept in the test's folder; with SHIELDWALL_UPDATE_DOCS=1 it also
    replaces the README's ``docs/report.png`` (never otherwise: a test does not rewrite the
    working tree)."""
    page = run_dir / "report.html"
    _report(run_dir)
    shot = tmp_path / "report.png"
    seen = visit(browser, page, screenshot=shot)
    # the map and 4 plots: timeline, expenditure, magazines, cost
    _assert_renders(seen, page, "tutorial: run report", RUN_SECTIONS, 5)
    assert 10_000 < shot.stat().st_size < 400_000
    if os.environ.get("SHIELDWALL_UPDATE_DOCS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    page = study_dir / "report.html"
    _report(study_dir)
    seen = visit(browser, page)
    _assert_renders(seen, page, "tutorial: Monte Carlo study report", STUDY_SECTIONS, 1)
    page = shapley_dir / "report.html"
    _report(shapley_dir)
    seen = visit(browser, page)
    _assert_renders(seen, page, "tutorial: Shapley study report", ["Coalition value (Shapley)"], 1)
