"""Each endpoint's content against the database: codes, names in three languages, figures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE
from surveyapp.models import Area, IndicatorSnapshot, IndicatorValue, Wave, WeightRun

from .conftest import Api, audit


def test_areas_waves_and_snapshots_as_in_the_database(session: Session, demo_api: Api) -> None:
    parent = aliased(Area)
    expected = {
        area.code: (area, parent_code)
        for area, parent_code in session.execute(
            select(Area, parent.code).outerjoin(parent, parent.id == Area.parent_id)
        )
    }
    areas = demo_api.json("/api/v1/areas")["data"]
    assert [row["code"] for row in areas] == sorted(
        expected, key=lambda code: expected[code][0].path
    )
    for row in areas:
        area, parent_code = expected[row["code"]]
        assert row == {
            "code": area.code,
            "kind": area.kind,
            "parent": parent_code,
            "path": area.path,
            "depth": area.depth,
            "active": area.is_active,
            "name": {"kk": area.name_kk, "ru": area.name_ru, "en": area.name_en},
        }
    astana = next(row for row in areas if row["code"] == "KZ-71")
    assert astana["name"] == {"kk": "Астана қаласы", "ru": "город Астана", "en": "Astana"}
    response = demo_api.get("/api/v1/areas?kind=region")
    assert "Астана қаласы" in response.get_data(as_text=True)  # UTF-8 as is, not \u escapes
    regions = response.get_json()["data"]
    assert len(regions) == 20 and {row["kind"] for row in regions} == {"region"}
    children = demo_api.json("/api/v1/areas?parent=KZ-71-D01")["data"]
    assert {row["code"] for row in children} == {
        area.code for area, parent_code in expected.values() if parent_code == "KZ-71-D01"
    }
    assert {row["parent"] for row in children} == {"KZ-71-D01"}
    assert demo_api.json("/api/v1/areas?parent=KZ-71-D01&kind=district")["data"] == []

    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    [row] = demo_api.json("/api/v1/waves")["data"]
    assert row == {
        "code": DEMO_WAVE_CODE,
        "name": {"kk": wave.name_kk, "ru": wave.name_ru, "en": wave.name_en},
        "kind": "continuous",
        "instrument": {"code": "police-trust-2026", "version": 2},
        "status": wave.status,
        "opens_at": wave.opens_at.date().isoformat(),
        "closes_at": wave.closes_at.date().isoformat() if wave.closes_at else None,
    }
    assert len(row["opens_at"]) == 10  # a day, no time

    snapshot = session.scalars(select(IndicatorSnapshot)).one()
    run = session.get_one(WeightRun, snapshot.weight_run_id)
    page = demo_api.json("/api/v1/snapshots")
    assert page["next"] is None
    listed = page["data"]
    assert listed == demo_api.json(f"/api/v1/snapshots?wave={DEMO_WAVE_CODE}")["data"]
    assert listed == [
        {
            "id": snapshot.id,
            "created": snapshot.created_at.date().isoformat(),
            "status": "published",
            "wave": DEMO_WAVE_CODE,
            "window_start": None,
            "window_end": None,
            "weight_run_id": run.id,
            "method_version": run.method_version,
            "input_hash": snapshot.input_hash,
            "supersedes_id": None,
            "headline": {
                "area": "KZ",
                "csi": snapshot.summary["csi"],
                "se": snapshot.summary["csi_se"],
                "n": snapshot.summary["n"],
            },
        }
    ]
    rows = [event.details["rows"] for event in audit(session, "api.request")]
    assert rows == [len(areas), 20, len(children), 0, 1, 1, 1]


def test_indicators_as_in_the_database(session: Session, demo_api: Api) -> None:
    snapshot_id = session.scalars(select(IndicatorSnapshot.id)).one()
    url = f"/api/v1/snapshots/{snapshot_id}/indicators"
    rows = demo_api.json(url)["data"]
    total = session.scalar(select(func.count()).where(IndicatorValue.snapshot_id == snapshot_id))
    assert len(rows) == total
    assert len({(row["area"], row["measure"]) for row in rows}) == total
    stored = {
        (code, value.measure): value
        for value, code in session.execute(
            select(IndicatorValue, Area.code)
            .join(Area, Area.id == IndicatorValue.area_id)
            .where(IndicatorValue.snapshot_id == snapshot_id)
        )
    }
    for row in rows:
        value = stored[row["area"], row["measure"]]
        assert row == {
            "area": row["area"],
            "measure": value.measure,
            "n": value.n,
            "effective_n": value.effective_n,
            "estimate": value.estimate,
            "se": value.se,
            "ci_low": value.ci_low,
            "ci_high": value.ci_high,
            "model_estimate": value.model_estimate,
            "model_mse": value.model_mse,
            "publication": value.publication,
            "flags": value.flags,
        }
    csi = demo_api.json(f"{url}?measure=csi")["data"]
    assert {row["measure"] for row in csi} == {"csi"}
    assert len(csi) == sum(1 for _code, measure in stored if measure == "csi")
    [country] = demo_api.json(f"{url}?measure=csi&area=KZ")["data"]
    assert country["estimate"] == session.get_one(IndicatorSnapshot, snapshot_id).summary["csi"]
    assert set(country["flags"]) >= {"vs_parent", "vs_country", "rank"}
    district = demo_api.json(f"{url}?area=KZ-71-D01")["data"]
    assert {row["area"] for row in district} == {"KZ-71-D01"}
    assert "csi" in {row["measure"] for row in district} and len(district) > 5
    assert demo_api.json(f"{url}?measure=item:no_such_question")["data"] == []
    demo_api.json(f"{url}?area=KZ-NOPE", status=404)


def test_snapshots_come_a_page_at_a_time_newest_first(session: Session, demo_api: Api) -> None:
    wave = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    for _again in range(3):  # three more snapshots, each superseding the one before
        pipeline.recompute(
            session,
            pipeline.Scope(wave),
            settings=pipeline.Settings(rank_draws=50, driver_bootstraps=5),
        )
    expected = list(
        session.scalars(select(IndicatorSnapshot.id).order_by(IndicatorSnapshot.id.desc()))
    )
    assert len(expected) == 4
    seen: list[int] = []
    pages = 0
    url: str | None = f"/api/v1/snapshots?wave={DEMO_WAVE_CODE}&limit=3"
    while url is not None:
        page = demo_api.json(url.removeprefix("http://localhost"))
        assert len(page["data"]) <= 3
        seen += [row["id"] for row in page["data"]]
        url, pages = page["next"], pages + 1
        if url is not None:
            assert f"wave={DEMO_WAVE_CODE}" in url and "limit=3" in url
    assert (seen, pages) == (expected, 2)
    newest = demo_api.json("/api/v1/snapshots?limit=1")["data"][0]
    assert (newest["id"], newest["supersedes_id"]) == (expected[0], expected[1])
    assert [event.details["rows"] for event in audit(session, "api.request")] == [3, 1, 1]
