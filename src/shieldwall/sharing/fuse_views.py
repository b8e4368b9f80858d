"""Per-threat views of all of one bank build's pictures at once (:class:`CycleViews`)."""

from __future__ import annotations

import numpy as np

from shieldwall.sharing.picture import ThreatView, _blank_view, stale_tracks


class CycleViews:
    """The per-threat views (:meth:`Picture.per_threat`) of all pictures of one bank build,
    computed together on first use: one sort by owner, object and position covariance
    trace instead of one per picture (row by row the same)."""

    def __init__(self, t_s, owner, label, x, P, source, cls, n_owners: int, seen_s) -> None:
        self.t_s, self.owner, self.label, self.x, self.P = t_s, owner, label, x, P
        self.source, self.cls, self.n_owners, self.seen_s = source, cls, n_owners, seen_s
        self._views: dict[tuple[int, float], list[ThreatView]] = {}
        # per picture, the arrays its view rests on: x, P, label, source, cls, seen_s
        self.inputs: list[tuple[np.ndarray, ...]] = []

    def view(
        self, i: int, n_threats: int, picture, stale_after_s: float = np.inf
    ) -> ThreatView | None:
        """Picture ``i``'s view on ``n_threats`` objects, tracks not seen within
        ``stale_after_s`` chosen last (None if ``picture`` does not hold that picture's
        arrays, e.g. a copy with other ones: it computes its own)."""
        x, P, label, source, cls, seen = self.inputs[i]
        if not (picture.x is x and picture.P is P and picture.label is label
                and picture.source is source and picture.cls is cls
                and picture.seen_s is seen):  # fmt: skip
            return None
        views = self._views.get((n_threats, stale_after_s))
        if views is None:
            views = self._views[n_threats, stale_after_s] = self._compute(n_threats, stale_after_s)
        return views[i]

    def _compute(self, n: int, stale_after_s: float) -> list[ThreatView]:
        x, P, source, cls = _blank_view(self.n_owners * n)  # owner by owner, n objects each
        seen = np.full(self.n_owners * n, -np.inf)
        on = (self.label >= 0).nonzero()[0]
        if on.size:
            # tr P[:3, :3], summed in np.trace's order
            Pf = self.P.reshape(-1, 36)
            tr = Pf[:, 0] + Pf[:, 7] + Pf[:, 14]
            # each track's place in the views, owner by owner: one sort key for both (objects
            # are numbered below n; the same order as sorting by owner, then object)
            j_all = self.owner * n + self.label
            stale = stale_tracks(self.t_s, self.seen_s, stale_after_s)
            if on.size < j_all.size:
                tr, j_all = tr[on], j_all[on]
                stale = None if stale is None else stale[on]
            o = np.lexsort((tr, j_all) if stale is None else (tr, stale, j_all))
            j_all = j_all[o]
            head = np.empty(on.size, dtype=bool)  # first (smallest trace) per owner and object
            head[0] = True
            np.not_equal(j_all[1:], j_all[:-1], out=head[1:])
            first = on[o[head]]
            j = j_all[head]
            x[j], P[j], source[j], cls[j] = (self.x.take(first, 0), self.P.take(first, 0),
                                             self.source[first], self.cls[first])  # fmt: skip
            seen[j] = self.seen_s[first]
        has = source >= 0
        return [ThreatView(self.t_s, has[a : a + n], x[a : a + n], P[a : a + n],
                           source[a : a + n], cls[a : a + n], seen[a : a + n])
                for a in range(0, self.n_owners * n, n)]  # fmt: skip
