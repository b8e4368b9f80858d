"""Map layers of one run: launch areas, ground tracks (up to each threat's end), units, assets,
intercept and impact points."""

from __future__ import annotations

import numpy as np

from shieldwall.geo import ecef_to_geodetic
from shieldwall.io.mapplot import MapLayers
from shieldwall.scenario import THREAT_CLASSES
from shieldwall.sensors import interpolate_truth
from shieldwall.sim import SimResult
from shieldwall.sim.outcome import INTERCEPTED, LEAKED

TRACK_POINTS = 60


def map_layers(result: SimResult) -> MapLayers:
    sc, truth, out = result.scenario, result.truth, result.outcome
    th = truth.threats
    end = np.minimum(truth.end_t_s, out.death_t_s)
    frac = np.linspace(0.0, 1.0, TRACK_POINTS)
    t = truth.t0_s[:, None] + (end - truth.t0_s)[:, None] * frac[None]
    idx = np.repeat(np.arange(th.n), TRACK_POINTS)
    lat, lon, _ = ecef_to_geodetic(interpolate_truth(truth, idx, t.ravel()))
    lat, lon = lat.reshape(th.n, -1), lon.reshape(th.n, -1)
    tracks = tuple((lat[j], lon[j], THREAT_CLASSES[th.class_code[j]]) for j in range(th.n))
    killed = out.state == INTERCEPTED
    leaked = out.state == LEAKED
    r = sc.region
    return MapLayers(
        region=(r.lat_min, r.lat_max, r.lon_min, r.lon_max),
        title=f"{sc.name}  seed {result.seed}",
        launch_areas=tuple(
            (s.launch.lat_deg, s.launch.lon_deg, s.launch.radius_km, s.launch.name or s.id)
            for s in sc.raid.salvos
        ),
        tracks=tracks,
        sensors=tuple((s.lat_deg, s.lon_deg, s.id, s.owner) for s in sc.sensors),
        batteries=tuple((b.lat_deg, b.lon_deg, b.id, b.owner) for b in sc.batteries),
        patrols=tuple((p.lat_deg, p.lon_deg, p.id, p.owner) for p in sc.patrols),
        assets=tuple((a.lat_deg, a.lon_deg, a.name or a.id) for a in sc.assets),
        intercepts=(lat[killed, -1], lon[killed, -1]),
        impacts=(th.impact_lat_deg[leaked], th.impact_lon_deg[leaked]),
    )
