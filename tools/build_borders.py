"""Build ``shieldwall/geo/data/countries-mideast.json`` from the world-atlas npm package.

One-off, reproducible derivation of the package data used by ``shieldwall.geo.borders``.

Input: the unpacked contents of ``npm pack world-atlas@2.0.2`` (ISC licence; geometry is
Natural Earth 1:50m admin-0 countries, version 4.1, public domain). Usage::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_borders.py package/ [--out src/shieldwall/geo/data/countries-mideast.json]

Steps (TopoJSON specification: https://github.com/topojson/topojson-specification):

1. decode the quantized, delta-encoded arcs with numpy: position_k = sum_{j<=k} delta_j, then
   lon/lat = position * transform.scale + transform.translate;
2. simplify every *arc* once (Douglas-Peucker, tolerance 0.01 deg, end points kept), so that
   the border shared by two neighbours stays identical in both polygons;
3. assemble rings (arc index ``i < 0`` means arc ``~i`` reversed; the first point of every arc
   after the first repeats the previous arc's last point and is dropped), build shapely
   polygons, drop rings collapsed by the simplification, repair with ``shapely.make_valid``;
4. clip to the box lon 20..65, lat 5..45 and snap to a 1e-4 deg grid (``set_precision``, which
   keeps the result valid);
5. write plain JSON keyed by ISO 3166-1 alpha-3 code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

CLIP_BOX = (20.0, 5.0, 65.0, 45.0)  # lon_min, lat_min, lon_max, lat_max
SIMPLIFY_TOL_DEG = 0.01
GRID_DEG = 1e-4
SOURCE_FILE = "countries-50m.json"

# ISO 3166-1 numeric -> (alpha-3, name), for every country that can intersect CLIP_BOX.
# Features without an id in world-atlas are keyed by name (user-assigned X.. codes).
NUMERIC_TO_ALPHA3: dict[str, str] = {
    "004": "AFG", "008": "ALB", "031": "AZE", "048": "BHR", "051": "ARM", "100": "BGR",
    "140": "CAF", "148": "TCD", "180": "COD", "196": "CYP", "231": "ETH", "232": "ERI",
    "250": "FRA", "262": "DJI", "268": "GEO", "275": "PSE", "300": "GRC", "364": "IRN",
    "368": "IRQ", "376": "ISR", "398": "KAZ", "400": "JOR", "404": "KEN", "414": "KWT",
    "422": "LBN", "434": "LBY", "499": "MNE", "512": "OMN", "586": "PAK", "634": "QAT",
    "642": "ROU", "643": "RUS", "682": "SAU", "688": "SRB", "706": "SOM", "728": "SSD",
    "729": "SDN", "760": "SYR", "784": "ARE", "792": "TUR", "795": "TKM", "804": "UKR",
    "807": "MKD", "818": "EGY", "840": "USA", "860": "UZB", "887": "YEM", "762": "TJK",
    "356": "IND", "800": "UGA", "070": "BIH", "348": "HUN", "498": "MDA",
}  # fmt: skip
NAMELESS_ID_TO_CODE: dict[str, str] = {
    "N. Cyprus": "XNC",
    "Somaliland": "XSL",
    "Kosovo": "XKX",
    "Siachen Glacier": "XSG",
    "Indian Ocean Ter.": "XIO",
}


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """Decode quantized delta-encoded TopoJSON arcs to lon/lat arrays, each ``(n_i, 2)``."""
    lengths = np.array([len(a) for a in topo["arcs"]])
    flat = np.concatenate([np.asarray(a, dtype=np.int64) for a in topo["arcs"]])
    csum = np.cumsum(flat, axis=0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # subtract the running sum accumulated before each arc: position = per-arc cumsum
    before = np.vstack((np.zeros((1, 2), dtype=np.int64), csum[starts[1:] - 1]))
    pos = csum - np.repeat(before, lengths, axis=0)
    scale = np.asarray(topo["transform"]["scale"])
    translate = np.asarray(topo["transform"]["translate"])
    lonlat = pos * scale + translate
    return np.split(lonlat, np.cumsum(lengths)[:-1])


def simplify_arcs(arcs: list[np.ndarray], tol_deg: float) -> list[np.ndarray]:
    """Douglas-Peucker each arc (shared borders simplify identically on both sides)."""
    out = []
    for a in arcs:
        if len(a) < 3 or np.allclose(a[0], a[-1]):
            # closed single-arc rings: simplify as a ring so it cannot collapse to a point
            if len(a) >= 4 and np.allclose(a[0], a[-1]):
                s = shapely.simplify(shapely.linearrings(a), tol_deg, preserve_topology=True)
                out.append(shapely.get_coordinates(s))
            else:
                out.append(a)
            continue
        s = shapely.simplify(shapely.linestrings(a), tol_deg, preserve_topology=False)
        out.append(shapely.get_coordinates(s))
    return out


def ring_coords(ring_arcs: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for k, i in enumerate(ring_arcs):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def geometry_to_shape(geom: dict, arcs: list[np.ndarray]) -> shapely.Geometry:
    polys_arcs = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
    polys = []
    for rings in polys_arcs:
        coords = [ring_coords(r, arcs) for r in rings]
        if len(coords[0]) < 4:
            continue  # exterior collapsed by simplification (tiny island)
        holes = [c for c in coords[1:] if len(c) >= 4]
        polys.append(Polygon(coords[0], holes))
    return shapely.make_valid(MultiPolygon(polys)) if polys else MultiPolygon()


def polygons_of(g: shapely.Geometry) -> list[Polygon]:
    """Polygonal parts of any geometry (make_valid may return lines in a collection)."""
    parts = shapely.get_parts(g)
    out: list[Polygon] = []
    for p in parts:
        if isinstance(p, Polygon) and not p.is_empty:
            out.append(p)
        elif p.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(polygons_of(p))
    return out


def polygon_to_lists(p: Polygon) -> list[list[list[float]]]:
    p = shapely.geometry.polygon.orient(p, 1.0)  # exterior CCW, holes CW
    rings = [p.exterior, *p.interiors]
    return [np.round(np.asarray(r.coords), 4).tolist() for r in rings]


def build(package_dir: Path) -> dict:
    topo = json.loads((package_dir / SOURCE_FILE).read_text())
    version = json.loads((package_dir / "package.json").read_text())["version"]
    arcs = simplify_arcs(decode_arcs(topo), SIMPLIFY_TOL_DEG)
    clip = box(*CLIP_BOX)
    countries: dict[str, dict] = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom["properties"]["name"]
        gid = geom.get("id")
        shape = geometry_to_shape(geom, arcs)
        if not shape.intersects(clip):
            continue
        code = NUMERIC_TO_ALPHA3.get(gid) if gid is not None else NAMELESS_ID_TO_CODE.get(name)
        if code is None:
            sys.exit(f"no alpha-3 code for feature id={gid!r} name={name!r}: extend the table")
        clipped = shapely.set_precision(shapely.intersection(shape, clip), GRID_DEG)
        polys = [p for p in polygons_of(clipped) if p.area > 0.0]
        if not polys:
            continue
        countries[code] = {"name": name, "polygons": [polygon_to_lists(p) for p in polys]}
    return {
        "source": (
            f"world-atlas@{version} (npm, ISC) {SOURCE_FILE}: Natural Earth 1:50m admin-0 "
            "countries v4.1 (public domain)"
        ),
        "license": "Natural Earth: public domain; world-atlas packaging: ISC",
        "derivation": (
            f"arcs simplified (Douglas-Peucker {SIMPLIFY_TOL_DEG} deg), make_valid, clipped to "
            f"lon {CLIP_BOX[0]:g}..{CLIP_BOX[2]:g} lat {CLIP_BOX[1]:g}..{CLIP_BOX[3]:g}, "
            f"snapped to {GRID_DEG:g} deg; tools/build_borders.py"
        ),
        "clip_box_lon_lat": list(CLIP_BOX),
        "countries": dict(sorted(countries.items())),
    }


def main(argv: list[str] | None = None) -> None:
    default_out = (
        Path(__file__).resolve().parents[1] / "src/shieldwall/geo/data/countries-mideast.json"
    )
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package_dir", type=Path, help="unpacked world-atlas npm package folder")
    ap.add_argument("--out", type=Path, default=default_out)
    args = ap.parse_args(argv)
    data = build(args.package_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, "
          f"{len(data['countries'])} countries)")  # fmt: skip


if __name__ == "__main__":
    main()
