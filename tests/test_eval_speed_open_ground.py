"""Open-ground decisions are held REDECIDE_S, and re-made for every row at once."""

import numpy as np

from shieldwall.engagement.open_ground import REDECIDE_S
from shieldwall.geo import enu_to_ecef


def _engagements_and_todo():
    """Two re-entry vehicles falling straight down from 100 km at 1 km/s, one over Nevatim
    (kept), one over empty desert 40 km away (left alone), as in test_evaluate."""
    from shieldwall.engagement import Engagements
    from shieldwall.scenario import load_scenario
    from shieldwall.sharing import ThreatView

    sc = load_scenario("tutorial")
    nevatim = next(a for a in sc.assets if a.id == "nevatim")
    rows = []
    for east_km in (0.0, 40.0):
        p = enu_to_ecef(np.array([east_km * 1e3, -40e3 * (east_km > 0), 100e3]),
                        nevatim.lat_deg, nevatim.lon_deg, 0.0)  # fmt: skip
        v = enu_to_ecef(np.array([east_km * 1e3, -40e3 * (east_km > 0), 99e3]),
                        nevatim.lat_deg, nevatim.lon_deg, 0.0) - p  # fmt: skip
        rows.append(np.concatenate([p, v]))
    x = np.array(rows)
    P = np.broadcast_to(np.diag([100.0] * 3 + [10.0] * 3) ** 2, (2, 6, 6)).copy()
    view = ThreatView(0.0, np.array([True, True]), x, P, np.array([0, 0]), np.array([0, 0]))
    return Engagements(sc, seed=1), view


def test_decisions_held_then_remade_together():
    eng, view = _engagements_and_todo()
    todo = [(0, view, np.array([0]), np.array([0, 1]))]
    allowed = [np.array([True, True])]
    assert eng._leave_open_ground(100.0, todo, allowed)[0].tolist() == [False, True]
    assert eng._coasted is not None  # followed down
    # within REDECIDE_S: the held decisions, nothing followed down
    assert eng._leave_open_ground(100.0 + REDECIDE_S - 5.0, todo, allowed)[0].tolist() == [
        False,
        True,
    ]
    assert eng._coasted is None and eng._complete == {}
    # a nation's first look at a threat is decided now, with every other row
    todo_b = [(0, view, np.array([0]), np.array([0, 1])), (1, view, np.array([1]), np.array([1]))]
    left = eng._leave_open_ground(100.0 + REDECIDE_S - 5.0, todo_b, allowed + [np.array([True])])
    assert [m.tolist() for m in left] == [[False, True], [True]]
    assert eng._coasted is not None and len(eng._complete) == 2
    # old decisions are made again
    eng._leave_open_ground(100.0 + 2 * REDECIDE_S, todo, allowed)
    assert eng._coasted is not None
    assert [(a, j) for _, a, j, _ in eng.left_alone] == [(0, 1), (1, 1)]
