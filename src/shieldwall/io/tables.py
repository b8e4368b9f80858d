"""Rich tables for the terminal: a run's summary, the catalog, a scenario's contents."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from shieldwall.scenario import THREAT_CLASSES, Catalog, Scenario


def _agreement_terms(s, a) -> str:
    """An agreement's optional terms in a few words."""
    from shieldwall.scenario.sharingref import effective_anonymous

    parts = ["anonymous"] if effective_anonymous(s, a) else []
    if a.region is not None:
        r = a.region
        parts.append(f"region {r.lat_min:g}..{r.lat_max:g}N {r.lon_min:g}..{r.lon_max:g}E")
    if a.degrade is not None:
        parts += [f"grid {a.degrade.grid_m:g} m"] if a.degrade.grid_m else []
        parts += [f"noise {a.degrade.noise_m:g} m"] if a.degrade.noise_m else []
    if a.condition != "none":
        parts.append(a.condition)
    if a.from_s is not None or a.until_s is not None:
        parts.append(f"valid {a.from_s if a.from_s is not None else '-inf'}.."
                     f"{a.until_s if a.until_s is not None else 'inf'} s")  # fmt: skip
    return ", ".join(parts) or "-"


def _usd(x: float) -> str:
    return f"${x / 1e6:,.1f}M" if x >= 1e5 else f"${x:,.0f}"


def _table(title: str, cols: tuple[str, ...], left: tuple[str, ...] | None = None, **kw) -> Table:
    """A table whose cells fold rather than truncate; columns not in ``left`` (when given)
    are right-aligned numbers."""
    t = Table(title=title, **kw)
    for c in cols:
        t.add_column(c, overflow="fold", justify="left" if left is None or c in left else "right")
    return t


def _pk_text(pk: dict) -> str:
    """Kill probabilities as 'ballistic/cruise/drone'."""
    return "/".join(f"{pk.get(c, 0):.2f}" for c in THREAT_CLASSES)


def run_tables(summary: dict) -> list[Table]:
    th = summary["threats"]
    keys = ["launched", "intercepted", "leaked", "failed"]
    if th.get("in_flight"):  # a run cut short by sim.end_s
        keys.append("in_flight")
    fates = _table(
        f"{summary['scenario']} (seed {summary['seed']}): threats",
        ("class", *(k.replace("_", " ") for k in keys)),
        left=("class",),
        caption="notional, public-figure model",
    )
    for c in THREAT_CLASSES:
        row = th["by_class"][c]
        fates.add_row(c, *(str(row[k]) for k in keys))
    fates.add_row("total", *(str(th[k]) for k in keys), style="bold")
    assets = _table("Defended assets", ("asset", "owner", "value", "hits"), left=("asset", "owner"))
    for aid, a in summary["assets"].items():
        assets.add_row(
            aid, a["owner"], f"{a['value']:g}", str(a["hits"]), style="red" if a["hits"] else None
        )
    inter = summary["interceptors"]
    fired = _table(
        "Interceptors fired", ("nation", "type", "fired", "cost"), left=("nation", "type")
    )
    for nation, types in inter["by_nation"].items():
        for typ, row in types.items():
            fired.add_row(nation, typ, str(row["fired"]), _usd(row["cost_usd"]))
    fired.add_row("total", "", str(inter["fired"]), _usd(inter["cost_usd"]), style="bold")
    for name, row in inter.get("by_layer", {}).items():
        if row["fired"]:
            fired.add_row(f"{name} layer", f"{row['kills']} kills", str(row["fired"]),
                          _usd(row["cost_usd"]), style="dim")  # fmt: skip
    cost = Table(title="Cost exchange", show_header=False)
    cost.add_row("defense (interceptors)", _usd(inter["cost_usd"]))
    cost.add_row("attack (threats launched)", _usd(summary["attack"]["cost_usd"]))
    ratio = summary["cost_exchange_ratio"]
    cost.add_row(
        "cost-exchange ratio (defense / attack)",
        "n/a" if ratio is None else f"{ratio:.2f}",
        style="bold",
    )
    cost.add_row("shots fired on a partner's track", str(inter["launch_on_remote"]))
    return [fates, assets, fired, cost, siap_table(summary.get("siap", {}))]


def catalog_tables(catalog: Catalog, scenarios: list[str]) -> list[Table]:
    sc = _table("Built-in scenarios", ("name",))
    for name in scenarios:
        sc.add_row(name)
    thr = _table(
        "Threat types (notional)",
        ("id", "class", "range km", "speed m/s", "RCS m2", "reliability", "cost"),
    )
    for tid, t in catalog.threat_types.items():
        thr.add_row(
            tid,
            t.threat_class,
            f"{t.max_range_km:g}",
            "-" if t.speed_m_s is None else f"{t.speed_m_s:g}",
            f"{t.rcs_m2:g}",
            f"{t.reliability:g}",
            _usd(t.cost_usd),
        )
    sen = _table(
        "Sensor types (notional)",
        ("id", "kind", "Pd 0.9 @ 1 m2, km", "max km", "sector deg", "revisit s"),
    )
    for sid, s in catalog.sensor_types.items():
        sen.add_row(
            sid,
            s.kind,
            "-" if s.ref_range_km is None else f"{s.ref_range_km:g}",
            f"{s.max_range_km:g}",
            f"{s.sector_deg:g}",
            f"{s.revisit_s:g}",
        )
    itc = _table(
        "Interceptor types (notional)",
        ("id", "layer", "alt km", "range km", "speed m/s", "Pk b/c/d", "cost"),
    )
    for iid, t in catalog.interceptor_types.items():
        itc.add_row(
            iid,
            t.layer,
            f"{t.min_alt_km:g}-{t.max_alt_km:g}",
            f"{t.min_range_km:g}-{t.max_range_km:g}",
            f"{t.speed_m_s:g}",
            _pk_text(t.pk),
            _usd(t.cost_usd),
        )
    fig = _table(
        "Fighter types (notional)", ("id", "shots/sortie", "radius km", "Pk b/c/d", "cost/shot")
    )
    for fid, f in catalog.fighter_types.items():
        fig.add_row(
            fid, str(f.shots_per_sortie), f"{f.radius_km:g}", _pk_text(f.pk), _usd(f.cost_usd)
        )
    return [sc, thr, sen, itc, fig]


def scenario_tables(s: Scenario) -> list[Table]:
    head = Table(title=f"Scenario {s.name}", show_header=False)
    head.add_row("description", Text(s.description.strip() or "-"))  # as written: no markup
    head.add_row(
        "region",
        f"lat {s.region.lat_min}..{s.region.lat_max}, lon {s.region.lon_min}..{s.region.lon_max}",
    )
    head.add_row(
        "nations", ", ".join(f"{n.id}{' (anonymous)' if n.anonymous else ''}" for n in s.nations)
    )
    assets = _rows(
        "Defended assets",
        ("id", "owner", "lat", "lon", "radius m", "value"),
        [(a.id, a.owner, a.lat_deg, a.lon_deg, a.radius_m, a.value) for a in s.assets],
    )
    sensors = _rows(
        "Sensors",
        ("id", "type", "owner", "lat", "lon"),
        [(x.id, x.type, x.owner, x.lat_deg, x.lon_deg) for x in s.sensors],
    )
    bats = _rows(
        "Batteries and patrols",
        ("id", "type", "owner", "lat", "lon", "rounds"),
        [(b.id, b.type, b.owner, b.lat_deg, b.lon_deg, b.magazine) for b in s.batteries]
        + [
            (p.id, p.type, p.owner, p.lat_deg, p.lon_deg, f"{p.aircraft} aircraft")
            for p in s.patrols
        ],
    )
    ags = _rows(
        "Sharing agreements",
        ("id", "from", "to", "items", "classes", "latency s", "terms"),
        [
            (
                a.id,
                a.from_nation,
                ",".join(a.to),
                ",".join(a.items),
                ",".join(a.classes),
                a.latency_s,
                _agreement_terms(s, a),
            )  # fmt: skip
            for a in s.agreements
        ],
    )
    auth = _rows(
        "Engagement authorities",
        ("nation", "classes", "airspace", "defends", "letters"),
        [
            (
                a.nation,
                ",".join(a.classes),
                ",".join(a.airspace),
                ",".join(a.defend),
                (
                    f"request {a.letters.request_s:g} s"
                    + (f" by {a.letters.requested_by}" if a.letters.requested_by else "")
                    + f", ack {a.letters.ack_s:g} s"
                )
                if a.letters
                else "-",
            )  # fmt: skip
            for a in s.authorities
        ]
        + [
            (
                f"denial {d.id}",
                "all",
                "not over " + ",".join(d.airspace),
                "to " + ",".join(d.to),
                f"by {d.by}",
            )  # fmt: skip
            for d in s.airspace_denials
        ],
    )
    raid = _rows(
        "Raid",
        ("salvo", "threat", "count", "launch", "window s", "aim"),
        [
            (
                v.id,
                v.threat,
                v.count,
                v.launch.name or f"{v.launch.lat_deg},{v.launch.lon_deg}",
                f"{v.window_s[0]:g}-{v.window_s[1]:g}",
                ",".join(v.aim),
            )
            for v in s.raid.salvos
        ],
    )
    return [head, assets, sensors, bats, ags, auth, raid]


def _rows(title: str, cols: tuple[str, ...], rows: list[tuple]) -> Table:
    t = _table(title, cols)
    for r in rows:
        t.add_row(*(f"{v:g}" if isinstance(v, float) else str(v) for v in r))
    return t


def siap_table(siap: dict) -> Table:
    """Each nation's picture quality (SIAP measures, sampled every 30 s of simulated time)."""
    table = _table(
        "Picture quality (SIAP)",
        ("nation", "completeness", "ambiguity", "spuriousness", "position m", "velocity m/s",
         "number changes", "longest segment"),
        left=("nation",),
        caption="share of threats in the air each picture holds, and how well",
    )  # fmt: skip
    for nation, m in siap.items():
        table.add_row(
            nation,
            f"{m['completeness']:.2f}",
            f"{m['ambiguity']:.2f}",
            f"{m['spuriousness']:.3f}",
            f"{m['position_accuracy_m']:,.0f}",
            f"{m['velocity_accuracy_m_s']:,.0f}",
            str(m["track_number_changes"]),
            f"{m['longest_track_segment']:.2f}",
        )
    return table
