"""The pipeline's inputs carry the areas' auxiliary variables for the small-area model."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.demo.seed import DEMO_WAVE_CODE, seed_demo
from surveyapp.models import Area, Wave


@pytest.fixture
def demo_wave(session: Session) -> Wave:
    seed_demo(session, n_responses=400, seed=3)
    return session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()


def test_auxiliaries_are_the_stored_urban_shares(session: Session, demo_wave: Wave) -> None:
    inputs = pipeline.load_inputs(session, pipeline.Scope(demo_wave))
    stored = dict(session.execute(select(Area.code, Area.urban_share)).all())
    known = {code: share for code, share in stored.items() if share is not None}
    assert len(known) == len(stored) - 1  # every area but the country has one (the demo)

    auxiliaries = inputs.auxiliaries()
    assert auxiliaries == {code: {"urban_share": share} for code, share in known.items()}
    assert all(type(values["urban_share"]) is float for values in auxiliaries.values())
    assert "KZ" not in auxiliaries
    frame = dict(zip(inputs.areas["code"], inputs.areas["urban_share"], strict=True))
    assert math.isnan(frame["KZ"]) and frame["KZ-71"] == 1.0


def test_an_area_without_an_urban_share_has_no_auxiliaries(
    session: Session, demo_wave: Wave
) -> None:
    session.execute(update(Area).where(Area.kind == "precinct").values(urban_share=None))
    inputs = pipeline.load_inputs(session, pipeline.Scope(demo_wave))
    kinds = dict(session.execute(select(Area.code, Area.kind)).all())
    assert {kinds[code] for code in inputs.auxiliaries()} == {"region", "department", "district"}

    session.execute(update(Area).values(urban_share=None))
    inputs = pipeline.load_inputs(session, pipeline.Scope(demo_wave))
    assert inputs.areas["urban_share"].isna().all()
    assert inputs.auxiliaries() == {}
