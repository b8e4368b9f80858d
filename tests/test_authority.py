"""Engagement authority and airspace (issue 6): the exchange of letters, airspace membership at
borders against exact shapely, scenario zones, hosts' denials with validity times, the defend
rule, fighter patrols' overflight, the validation messages, and declined engagements by nation.

Hand-worked geometry used below. An Iron Dome (reaction 5 s, 600 m/s, 4-70 km) at SITE sees a
drone 20 km east at 300 m flying west at 50 m/s. Firing now within the slack of a 5 s cycle
(``slack = 5 + 2 x 5 = 15 s``) means ``0 <= tau - (5 + d / 600) <= 15``, i.e. ``600 (tau - 20)
<= d <= 600 (tau - 5)``, with ``d(tau) = 20,000 - 50 tau`` (the 300 m height adds 2.5 m):
tau = 35 s: d = 18,250 > 18,000, no; tau = 40 s: 12,000 <= 18,000 <= 21,000, yes; tau = 45 s:
17,750 in [15,000, 24,000], yes; tau = 50 s: 17,500 < 18,000, no. So the only intercept steps
are 40 s and 45 s after the decision, 18.0 and 17.75 km east of SITE (about 35.189 E: one
degree of longitude is 111.32 cos(31.2 deg) = 95.2 km), in Israel; the greedy rule takes the
earlier one.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.engagement.airspace import CELL_DEG, airspace_grid
from shieldwall.engagement.engage import Engagements
from shieldwall.engagement.stories import NOT_FIRM
from shieldwall.geo import countries, country_at, enu_to_ecef
from shieldwall.scenario import ScenarioError, load_scenario
from shieldwall.sharing import ThreatView

SITE = (31.2, 35.0)
REGION = {"lat_min": 29.0, "lat_max": 34.5, "lon_min": 33.0, "lon_max": 40.0}
NATIONS = ("ISR", "USA", "GBR", "JOR")
KM_PER_DEG_LAT = 111.32
FIRST_TAU_S, LAST_TAU_S = 40.0, 45.0  # see the module docstring
NO_AIRSPACE = "no airspace (its only windows lie where it may not fire)"
NO_DEFEND = "no authority to defend this asset's owner"


def _data(batteries=(), patrols=(), auths=(), **extra) -> dict:
    return {
        "name": "authority-test",
        "region": REGION,
        "nations": [{"id": n, "name": n} for n in NATIONS],
        "groups": {"hosts": ["ISR", "JOR"]},
        "assets": [{"id": "a", "owner": "ISR", "lat_deg": SITE[0], "lon_deg": SITE[1],
                    "radius_m": 20000},
                   {"id": "amman", "owner": "JOR", "lat_deg": 31.95, "lon_deg": 35.93}],
        "batteries": list(batteries),
        "patrols": list(patrols),
        "authorities": list(auths),
        "raid": {"salvos": [{"id": "d", "threat": "shahed-136", "count": 1,
                             "launch": {"lat_deg": 33.0, "lon_deg": 36.0},
                             "window_s": [0, 0], "aim": ["a"]}]},
        **extra,
    }  # fmt: skip


def _battery(id_, owner, lat=SITE[0], lon=SITE[1]):
    return {"id": id_, "type": "iron-dome", "owner": owner, "lat_deg": lat, "lon_deg": lon,
            "magazine": 20}  # fmt: skip


def _auth(nation, **kw):
    return {"nation": nation, "classes": ["ballistic", "cruise", "drone"], **kw}


def _drone(t_s=0.0):
    """Every nation's picture: the drone of the module docstring (class drone)."""
    pos = enu_to_ecef(np.array([20e3, 0.0, 300.0]), *SITE, 0.0)
    vel = enu_to_ecef(np.array([20e3 - 50.0, 0.0, 300.0]), *SITE, 0.0) - pos
    x = np.concatenate([pos, vel])[None]
    P = np.eye(6)[None] * 100.0
    return [ThreatView(t_s, np.array([True]), x, P, np.array([0]), np.array([2]))
            for _ in NATIONS]  # fmt: skip


def _assign(eng: Engagements, t_s: float):
    return eng.assign(t_s, _drone(t_s), np.array([2]), np.array([True]))


def _shots(t_s: float, **data):
    return _assign(Engagements(load_scenario(_data(**data)), seed=1), t_s)


def _status(shot) -> dict[str, str]:
    return {c["unit"]: c["status"] for c in json.loads(shot.candidates)}


def _problems(**data) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_data(**data))
    return err.value.problems


# --------------------------------------------------------------------------------------------
# Letters
# --------------------------------------------------------------------------------------------

LATE = {"request_s": 500, "ack_s": 1000}


def test_invitation_required_without_letters_is_refused():
    (p,) = _problems(auths=[_auth("GBR", requires_invitation=True)])
    assert p == "<dict>: authorities.0: requires_invitation is true but no letters are given"


@pytest.mark.parametrize(
    ("t_s", "fires"),
    [(0.0, False), (700.0, False), (999.9, False), (1000.0, True), (1000.1, True), (5e4, True)],
)  # fmt: skip
def test_letters_engagement_from_the_acknowledgement_on(t_s, fires):
    """No letter (t < 500), the request only (500 <= t < 1000): no shot; from the
    acknowledgement (t = 1000) on: the shot, intercepting 40 s later (module docstring)."""
    auths = [_auth("GBR", requires_invitation=True, letters=LATE)]
    shots = _shots(t_s, batteries=[_battery("b", "GBR")], auths=auths)
    assert len(shots) == fires
    if fires:
        assert shots[0].t_intercept_s == pytest.approx(t_s + FIRST_TAU_S)


def test_waiting_for_letters_is_recorded_and_counted():
    """Israel fires at t = 700; Britain's battery, with a window, waits for its letters."""
    auths = [_auth("ISR"), _auth("GBR", requires_invitation=True, letters=LATE)]
    bats = [_battery("isr", "ISR"), _battery("gbr", "GBR")]
    eng = Engagements(load_scenario(_data(batteries=bats, auths=auths)), seed=1)
    (shot,) = _assign(eng, 700.0)
    assert _status(shot) == {"isr": "chosen", "gbr": "no authority yet (letters)"}
    np.testing.assert_array_equal(eng.declined()["authority"], [0, 0, 1, 0])


@pytest.mark.parametrize(("seen_s", "speed"), [(-30.0, 50.0), (0.0, 900.0)])
def test_a_partner_with_an_unfit_track_is_recorded_so(seen_s, speed):
    """Israel fires on its own fresh track of the drone; Britain's battery, authorised and in
    range, holds a track last seen 30 s ago, or one that reads 900 m/s: its candidate record
    says the track is not fit to fire on (not 'no engagement window')."""
    bats = [_battery("isr", "ISR"), _battery("gbr", "GBR")]
    eng = Engagements(load_scenario(_data(batteries=bats, auths=[_auth("ISR"), _auth("GBR")])),
                      seed=1)  # fmt: skip
    views = _drone()
    x = views[2].x.copy()
    x[0, 3:] *= speed / 50.0
    views[2] = replace(views[2], x=x, seen_s=np.array([seen_s]))
    (shot,) = eng.assign(0.0, views, np.array([2]), np.array([True]))
    assert _status(shot) == {"isr": "chosen", "gbr": NOT_FIRM}


def test_letters_name_the_requesting_host():
    letters = {"request_s": -5400, "ack_s": -3600, "requested_by": "JOR"}
    auths = [_auth("FRA", requires_invitation=True, letters=letters)]
    data = _data(auths=auths)
    data["nations"].append({"id": "FRA", "name": "France"})
    sc = load_scenario(data)
    assert sc.authorities[0].letters.requested_by == "JOR"
    assert sc.authorities[0].authorised_from_s == -3600


# --------------------------------------------------------------------------------------------
# Airspace membership at borders
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid():
    return airspace_grid(REGION["lat_min"], REGION["lat_max"], REGION["lon_min"],
                         REGION["lon_max"], ZONES)  # fmt: skip


def _border_lon(lat: float, west: str, east: str, lo: float, hi: float) -> float:
    """Longitude where the parallel ``lat`` leaves ``west`` for ``east``: bisection on
    shapely's point-in-polygon down to 1e-9 deg (~0.1 mm)."""
    w = countries()[west]
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if w.contains(shapely.Point(mid, lat)) else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize(
    ("lat", "west", "east", "lo", "hi"),
    [(30.5, "ISR", "JOR", 35.0, 35.3),     # Wadi Araba: the Israel-Jordan border
     (32.5, "JOR", "IRQ", 38.9, 39.2),     # the Jordan-Iraq border
     (33.0, "JOR", "IRQ", 38.8, 39.0)],
)  # fmt: skip
def test_points_1_km_either_side_of_a_border(grid, lat, west, east, lo, hi):
    """1 km west and east of the border (1 km = 1 / (111.32 cos lat) deg of longitude) the
    lookup names the country shapely's point-in-polygon does, though the two points are less
    than a raster cell (0.05 deg, ~4.8 km) apart."""
    b = _border_lon(lat, west, east, lo, hi)
    dlon = 1.0 / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    lon = np.array([b - dlon, b + dlon])
    codes = grid.codes[grid.lookup(np.full(2, lat), lon)]
    assert codes.tolist() == [west, east]
    geoms = countries()
    assert geoms[west].contains(shapely.Point(lon[0], lat))
    assert geoms[east].contains(shapely.Point(lon[1], lat))
    assert (lon[1] - lon[0]) < CELL_DEG


def test_raster_alone_would_misplace_a_point_in_wadi_araba(grid):
    """1 km east of the Israel-Jordan border at 30.5 N the point is Jordanian, but the centre
    of its raster cell is Israeli: the cell's sample alone would give Israel."""
    b = _border_lon(30.5, "ISR", "JOR", 35.0, 35.3)
    lon = b + 1.0 / (KM_PER_DEG_LAT * math.cos(math.radians(30.5)))
    i = math.floor((30.5 - grid.lat0) / CELL_DEG)
    j = math.floor((lon - grid.lon0) / CELL_DEG)
    centre = (grid.lat0 + (i + 0.5) * CELL_DEG, grid.lon0 + (j + 0.5) * CELL_DEG)
    assert country_at(*centre) == "ISR" and grid.codes[grid.grid[i, j]] == "ISR"
    assert grid.codes[grid.lookup(np.array([30.5]), np.array([lon]))[0]] == "JOR"


ZONES = (
    ("triangle", ((35.0, 31.0), (36.0, 31.5), (35.2, 32.2))),  # (lon, lat) corners
    ("hook", ((38.7, 32.0), (39.4, 32.0), (39.4, 33.2), (38.7, 33.2), (38.7, 32.9),
              (39.1, 32.9), (39.1, 32.3), (38.7, 32.3))),  # concave, across JOR/IRQ
)  # fmt: skip
BORDER_VERTICES = np.concatenate([
    shapely.get_coordinates(shapely.boundary(countries()[c]))
    for c in ("ISR", "JOR", "IRQ", "SYR", "SAU", "PSE", "EGY", "LBN")
])  # fmt: skip
near_border = st.tuples(
    st.integers(0, len(BORDER_VERTICES) - 1),
    st.floats(-0.03, 0.03, allow_nan=False),
    st.floats(-0.03, 0.03, allow_nan=False),
).map(lambda t: (BORDER_VERTICES[t[0]][1] + t[1], BORDER_VERTICES[t[0]][0] + t[2]))
anywhere = st.tuples(st.floats(27.0, 36.5), st.floats(31.0, 42.0))  # beyond the raster too


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(near_border, anywhere), min_size=1, max_size=50))
def test_raster_with_fallback_equals_exact_lookup(points):
    """On random points (many within 3 km of a border vertex, some off the raster) the
    country equals ``country_at`` and the zone bits equal shapely's point-in-polygon."""
    g = airspace_grid(REGION["lat_min"], REGION["lat_max"], REGION["lon_min"],
                      REGION["lon_max"], ZONES)  # fmt: skip
    lat, lon = np.array(points).T
    country, bits = g.membership(lat, lon)
    assert g.codes[country].tolist() == country_at(lat, lon).tolist()
    for k, (_, corners) in enumerate(ZONES):
        inside = shapely.intersects_xy(shapely.Polygon(corners), lon, lat)
        assert ((bits >> np.uint64(k)) & np.uint64(1)).astype(bool).tolist() == inside.tolist()


def test_point_lies_in_its_country_and_every_zone_containing_it(grid):
    """(31.5, 35.4): inside the triangle, and in the West Bank (PSE) by the borders data."""
    country, bits = grid.membership(np.array([31.5]), np.array([35.4]))
    assert grid.codes[country[0]] == country_at(31.5, 35.4) == "PSE"
    assert int(bits[0]) == 0b01
    assert grid.zone_mask(frozenset({"hook", "JOR"})) == np.uint64(0b10)


# --------------------------------------------------------------------------------------------
# Zones
# --------------------------------------------------------------------------------------------


def _zone(id_, lat_lo, lat_hi, lon_lo, lon_hi):
    corners = [(lat_lo, lon_lo), (lat_lo, lon_hi), (lat_hi, lon_hi), (lat_hi, lon_lo)]
    return {"id": id_, "polygon": [{"lat_deg": la, "lon_deg": lo} for la, lo in corners]}


EAST = _zone("east", 31.15, 31.25, 35.15, 35.25)  # holds both intercept points (35.18-35.19 E)
OVER_SITE = _zone("over-site", 31.15, 31.25, 34.95, 35.05)  # the drone reaches it too late


def test_authority_over_a_zone_only():
    """The US may fire only inside a scenario zone: inside 'east' its shot's intercept point
    (18 km east of SITE, module docstring) lies in the zone; over 'over-site' it may not fire
    and is recorded as barred by airspace while Israel fires."""
    shots = _shots(0.0, batteries=[_battery("usa", "USA")], airspaces=[EAST, OVER_SITE],
                   auths=[_auth("USA", airspace=["east"])])  # fmt: skip
    (s,) = shots
    assert 35.15 < s.lon_deg < 35.25 and 31.15 < s.lat_deg < 31.25
    assert s.lon_deg == pytest.approx(SITE[1] + 18.0 / (KM_PER_DEG_LAT * math.cos(
        math.radians(SITE[0]))), abs=2e-3)  # fmt: skip
    shots = _shots(0.0, batteries=[_battery("isr", "ISR"), _battery("usa", "USA")],
                   airspaces=[EAST, OVER_SITE],
                   auths=[_auth("ISR"), _auth("USA", airspace=["over-site"])])  # fmt: skip
    assert _status(shots[0]) == {"isr": "chosen", "usa": NO_AIRSPACE}


# --------------------------------------------------------------------------------------------
# Denials with validity times
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_s", "t_intercept_s"),
    [(0.0, 40.0), (59.9, 99.9), (60.0, None), (100.0, None), (154.9, None), (155.0, 200.0),
     (160.0, 200.0)],
)  # fmt: skip
def test_denial_holds_at_the_intercept_time(t_s, t_intercept_s):
    """Israel denies its airspace to the US for intercepts in [100 s, 200 s). Intercept steps
    are t + 40 and t + 45 s: at t = 59.9 the first (99.9 s) is before the denial; at t = 60
    both (100, 105) fall in it; at t = 155 only the second (200 s) is after it."""
    denial = {"id": "d", "by": "ISR", "airspace": ["ISR"], "to": ["USA"],
              "from_s": 100, "until_s": 200}  # fmt: skip
    shots = _shots(t_s, batteries=[_battery("usa", "USA")], auths=[_auth("USA")],
                   airspace_denials=[denial])  # fmt: skip
    assert [s.t_intercept_s for s in shots] == pytest.approx(
        [] if t_intercept_s is None else [t_intercept_s]
    )


def test_denial_spares_the_host_and_counts_as_airspace():
    """Israel denies a zone to the coalition: its own battery still fires, the US one is
    recorded and counted as barred by airspace."""
    denial = {"id": "d", "by": "ISR", "airspace": ["east"]}
    sc = load_scenario(_data(batteries=[_battery("isr", "ISR"), _battery("usa", "USA")],
                             auths=[_auth("ISR"), _auth("USA")], airspaces=[EAST],
                             airspace_denials=[denial]))  # fmt: skip
    eng = Engagements(sc, seed=1)
    (shot,) = _assign(eng, 0.0)
    assert _status(shot) == {"isr": "chosen", "usa": NO_AIRSPACE}
    np.testing.assert_array_equal(eng.declined()["airspace"], [0, 1, 0, 0])


# --------------------------------------------------------------------------------------------
# In defense of whose assets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defend", "fires"),
    [(["USA"], False), (["JOR"], False), (["ISR"], True), (["hosts"], True),
     (["coalition"], True)],
)  # fmt: skip
def test_defend_rule_follows_the_threatened_assets_owner(defend, fires):
    """The drone flies straight at asset 'a' (Israel's; miss distance 0), so the threat
    evaluation names 'a': the US may engage it only when it may defend Israel."""
    shots = _shots(0.0, batteries=[_battery("usa", "USA")],
                   auths=[_auth("USA", defend=defend)])  # fmt: skip
    assert len(shots) == fires


def test_defend_bar_is_recorded_and_counted():
    sc = load_scenario(_data(batteries=[_battery("isr", "ISR"), _battery("usa", "USA")],
                             auths=[_auth("ISR"), _auth("USA", defend=["USA"])]))  # fmt: skip
    eng = Engagements(sc, seed=1)
    (shot,) = _assign(eng, 0.0)
    assert _status(shot) == {"isr": "chosen", "usa": NO_DEFEND}
    _assign(eng, 5.0)  # the same threat again: still one distinct threat
    np.testing.assert_array_equal(eng.declined()["authority"], [0, 1, 0, 0])


# --------------------------------------------------------------------------------------------
# Fighter patrols' overflight
# --------------------------------------------------------------------------------------------


def _patrol(owner, lat, lon, **kw):
    return {"id": "cap", "type": "typhoon", "owner": owner, "lat_deg": lat, "lon_deg": lon,
            "aircraft": 2, **kw}  # fmt: skip


GBR_SHADER = _auth("GBR", airspace=["IRQ", "SYR"])


def test_patrol_over_airspace_its_owner_may_not_fly_in():
    (p,) = _problems(patrols=[_patrol("GBR", 31.5, 34.9)], auths=[_auth("ISR"), GBR_SHADER])
    assert p == (
        "<dict>: patrols.0: station (31.5, 34.9) lies in Israel (ISR) airspace, which GBR may"
        " not fly in (not international, not its territory, not in its authority's airspace"
        " [IRQ, SYR]); move the station or add 'ISR' to authorities.1.airspace"
    )


@pytest.mark.parametrize(
    ("owner", "lat", "lon", "auths", "extra"),
    [("GBR", 32.5, 33.5, [GBR_SHADER], {}),                                    # E. Med.: INTL
     ("GBR", 33.0, 40.0, [GBR_SHADER], {}),                                    # Iraq: listed
     ("JOR", 31.95, 36.5, [_auth("JOR", airspace=["INTL"])], {}),              # own territory
     ("GBR", 31.2, 35.2, [_auth("GBR", airspace=["east"])], {"airspaces": [EAST]}),  # a zone
     ("USA", 31.5, 34.9, [], {})],                     # no authority: may not fire, inert
)  # fmt: skip
def test_patrols_that_may_fly_where_they_are(owner, lat, lon, auths, extra):
    load_scenario(_data(patrols=[_patrol(owner, lat, lon)], auths=auths, **extra))


def test_patrol_in_denied_airspace_while_on_station():
    denial = {"id": "no-gbr", "by": "ISR", "airspace": ["ISR"], "to": ["GBR"], "until_s": 3600}
    (p,) = _problems(patrols=[_patrol("GBR", 31.5, 34.9)], auths=[_auth("GBR")],
                     airspace_denials=[denial])  # fmt: skip
    assert p == (
        "<dict>: patrols.0: station (31.5, 34.9) lies in 'ISR', denied to GBR by"
        " airspace_denials.0 ('no-gbr') while the patrol is on station; move the station, or"
        " change the patrol's or the denial's times"
    )
    # on station from the moment the denial ends (until_s is exclusive): allowed
    load_scenario(_data(patrols=[_patrol("GBR", 31.5, 34.9, from_s=3600)],
                        auths=[_auth("GBR")], airspace_denials=[denial]))  # fmt: skip


# --------------------------------------------------------------------------------------------
# Validation messages
# --------------------------------------------------------------------------------------------

BOWTIE = [{"lat_deg": la, "lon_deg": lo} for la, lo in
          [(31.0, 35.0), (32.0, 36.0), (31.0, 36.0), (32.0, 35.0)]]  # fmt: skip


def _deny(**kw):
    return {"airspace_denials": [{"id": "d", "by": "ISR", "airspace": ["ISR"], **kw}]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"auths": [_auth("USA", defend=["XXX"])]},
         "authorities.0.defend.0: unknown nation or group 'XXX' (known: GBR, ISR, JOR, USA,"
         " coalition, hosts)"),
        ({"auths": [_auth("USA", airspace=["JOD"])]},
         "authorities.0.airspace.0: unknown airspace 'JOD': not an ISO alpha-3 code of the"
         " borders data, 'INTL', 'any' or the id of an entry in 'airspaces'; did you mean"
         " 'JOR'? (or draw it under 'airspaces')"),
        ({"auths": [_auth("GBR", requires_invitation=True,
                          letters={"request_s": 0, "ack_s": 1, "requested_by": "XXX"})]},
         "authorities.0.letters.requested_by: unknown nation 'XXX' (known: GBR, ISR, JOR,"
         " USA)"),
        ({"auths": [_auth("GBR", requires_invitation=True,
                          letters={"request_s": 0, "ack_s": 1, "requested_by": "GBR"})]},
         "authorities.0.letters.requested_by: 'GBR' is the helper itself; name the host"
         " nation that asked"),
        ({"auths": [_auth("GBR", requires_invitation=True,
                          letters={"request_s": 10, "ack_s": 1})]},
         "authorities.0.letters: ack_s must not be before request_s"),
        ({"airspace_denials": [{"id": "d", "by": "XXX", "airspace": ["ISR"]}]},
         "airspace_denials.0.by: unknown nation 'XXX' (known: GBR, ISR, JOR, USA)"),
        (_deny(to=["XXX"]),
         "airspace_denials.0.to.0: unknown nation or group 'XXX' (known: GBR, ISR, JOR, USA,"
         " coalition, hosts)"),
        (_deny(to=["USA", "ISR"]),
         "airspace_denials.0.to.1: 'ISR' is the denying host itself; a host cannot deny its"
         " own nation, remove it"),
        (_deny(airspace=["SAUD"]),
         "airspace_denials.0.airspace.0: unknown airspace 'SAUD': not an ISO alpha-3 code of"
         " the borders data, 'INTL', 'any' or the id of an entry in 'airspaces'; did you mean"
         " 'SAU'? (or draw it under 'airspaces')"),
        (_deny(airspace=["any"]),
         "airspace_denials.0.airspace.0: 'any' cannot be denied; list the codes or zone ids"
         " of the airspace the host denies"),
        (_deny(from_s=200, until_s=100),
         "airspace_denials.0.until_s: until_s (100 s) is before from_s (200 s); swap them"),
        ({"airspaces": [_zone("JOR", 31, 32, 35, 36)]},
         "airspaces.0.id: 'JOR' is a country code or a reserved word ('INTL', 'any'); rename"
         " the zone"),
        ({"airspaces": [EAST, EAST]},
         "airspaces.1.id: 'east' is used twice; ids must be unique"),
        ({"airspaces": [{"id": "z", "polygon": BOWTIE[:2]}]},
         "airspaces.0.polygon: needs at least 3 items, got 2"),
        ({"airspaces": [{"id": "z", "polygon": BOWTIE}]},
         "airspaces.0.polygon: edges cross near (31.500, 35.500) (lat, lon): the polygon must"
         " not intersect itself; list the corners in order around its edge"),
    ],
)  # fmt: skip
def test_each_bad_authority_or_airspace_is_one_clear_line(data, expected):
    """The bow-tie's edges (31, 35)-(32, 36) and (31, 36)-(32, 35) cross at (31.5, 35.5)."""
    problems = _problems(**data)
    assert problems == [f"<dict>: {expected}"]


# --------------------------------------------------------------------------------------------
# Declined engagements in the summary and the run table
# --------------------------------------------------------------------------------------------


def test_declined_counts_distinct_threats_with_a_window():
    """Israel fires; Britain waits for letters (authority); the US may fire over Saudi
    Arabia only (airspace); Jordan has no authority, but its battery near Amman has no window
    on the drone either, so it declined nothing. Counts stay 1 over two cycles."""
    from shieldwall.sim.summary import _declined

    sc = load_scenario(_data(
        batteries=[_battery("isr", "ISR"), _battery("gbr", "GBR"), _battery("usa", "USA"),
                   _battery("jor", "JOR", 31.95, 35.93)],
        auths=[_auth("ISR"), _auth("GBR", requires_invitation=True, letters=LATE),
               _auth("USA", airspace=["SAU"])]))  # fmt: skip
    eng = Engagements(sc, seed=1)
    (shot,) = _assign(eng, 0.0)
    assert _status(shot) == {"isr": "chosen", "gbr": "no authority yet (letters)",
                             "usa": NO_AIRSPACE, "jor": "no authority yet (letters)"}  # fmt: skip
    eng.in_flight.clear()  # assessed: the threat is open again
    _assign(eng, 5.0)
    summary = _declined(SimpleNamespace(scenario=sc, engagements=eng))
    assert summary == {"ISR": {"authority": 0, "airspace": 0},
                       "USA": {"authority": 0, "airspace": 1},
                       "GBR": {"authority": 1, "airspace": 0},
                       "JOR": {"authority": 0, "airspace": 0}}  # fmt: skip


def test_run_table_lists_nations_that_declined():
    from shieldwall.cli import _declined_table

    declined = {"ISR": {"authority": 0, "airspace": 0}, "USA": {"authority": 0, "airspace": 3},
                "GBR": {"authority": 2, "airspace": 0}}  # fmt: skip
    table = _declined_table({"declined": declined})
    assert [c._cells for c in table.columns] == [["USA", "GBR"], ["0", "2"], ["3", "0"]]
    quiet = {n: {"authority": 0, "airspace": 0} for n in declined}
    assert _declined_table({"declined": quiet}) is None


def test_summary_of_a_run_reports_declines_by_nation():
    """The tutorial with Britain's acknowledgement moved to t = 20,000 s (after the raid) and
    the US restricted to Saudi airspace: Britain fires nothing and declines for authority
    only, the US fires nothing and declines for airspace only, Israel declines nothing."""
    import shieldwall

    data = load_scenario("tutorial").model_dump(mode="json", by_alias=True)
    for a in data["authorities"]:
        if a["nation"] == "GBR":
            a["letters"]["ack_s"] = 20000
        if a["nation"] == "USA":
            a["airspace"] = ["SAU"]
    res = shieldwall.run(data, seed=7)
    declined, fired = res.summary["declined"], res.summary["interceptors"]["by_nation"]
    assert set(declined) == {"ISR", "USA", "GBR"}
    assert declined["GBR"]["authority"] > 0 and declined["GBR"]["airspace"] == 0
    assert declined["USA"]["airspace"] > 0 and declined["USA"]["authority"] == 0
    assert declined["ISR"] == {"authority": 0, "airspace": 0}
    assert "GBR" not in fired and "USA" not in fired


def test_explain_counts_the_shooters_the_rules_barred():
    from shieldwall.io.explain import _barred

    rows = [{"nation": "ISR", "status": "chosen"},
            {"nation": "GBR", "status": "no authority yet (letters)"},
            {"nation": "USA", "status": NO_DEFEND},
            {"nation": "USA", "status": NO_AIRSPACE},
            {"nation": "JOR", "status": "no engagement window"}]  # fmt: skip
    assert _barred(rows) == "barred by authority: 2 (GBR 1, USA 1); by airspace: 1 (USA 1)"
    assert _barred(rows[:1]) is None
