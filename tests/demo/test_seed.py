"""The demo loads through the real importers, is biased as documented, and never loads twice."""

from __future__ import annotations

from collections import Counter

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from surveyapp.categories import WEIGHTING_VARIABLES
from surveyapp.demo import synthetic
from surveyapp.demo.seed import (
    DEMO_WAVE_CODE,
    DemoAlreadyLoaded,
    _precinct_specs,
    _region_margins,
    seed_demo,
)
from surveyapp.demo.tree import read_region_rows
from surveyapp.models import (
    Answer,
    Area,
    AuditEvent,
    Comment,
    MarginSet,
    Option,
    PopulationMargin,
    Question,
    Response,
    SyntheticTruth,
    User,
    Wave,
)

N_RESPONSES = 3000


@pytest.fixture
def seeded(session: Session):  # type: ignore[no-untyped-def]
    return seed_demo(session, n_responses=N_RESPONSES, seed=11)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_tree_has_every_level(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    kinds = Counter(session.scalars(select(Area.kind)))
    assert kinds["country"] == 1
    assert kinds["region"] == 20
    assert kinds["department"] == 20
    assert 40 <= kinds["district"] <= 80
    assert kinds["precinct"] == seeded.precincts
    for precinct in session.scalars(select(Area).where(Area.kind == "precinct")).all()[:20]:
        assert precinct.parent is not None and precinct.parent.kind == "district"
        assert 3 <= len(precinct.parent.children) <= 8
        assert precinct.path.startswith("KZ/")
        assert all((precinct.name_kk, precinct.name_ru, precinct.name_en))


def test_responses_answers_and_truth_are_stored(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    wave = session.scalar(select(Wave).where(Wave.code == DEMO_WAVE_CODE))
    assert wave is not None and wave.status == "open"
    assert count(session, Response) == N_RESPONSES == seeded.responses
    precinct_ids = set(session.scalars(select(Area.id).where(Area.kind == "precinct")))
    assert set(session.scalars(select(Response.area_id).distinct())) <= precinct_ids
    # Every response answered the index items it was shown (one answer row per single question).
    overall = session.scalar(select(Question).where(Question.code == "overall_satisfaction"))
    assert overall is not None
    answered = count_answers(session, overall.id)
    assert 0.9 * N_RESPONSES <= answered <= N_RESPONSES
    assert count(session, Comment) > 0
    truths = session.scalars(select(SyntheticTruth).where(SyntheticTruth.wave_id == wave.id)).all()
    kinds = Counter(session.get(Area, truth.area_id).kind for truth in truths)  # type: ignore[union-attr]
    # Every area of the tree has its true value (a parent's: that of its precincts' adults).
    assert kinds == Counter(area.kind for area in session.scalars(select(Area)))
    assert kinds["precinct"] == seeded.precincts and kinds["region"] == 20
    assert all(0 <= truth.value <= 100 for truth in truths)
    assert max(t.value for t in truths) - min(t.value for t in truths) > 10


def count_answers(session: Session, question_id: int) -> int:
    statement = select(func.count()).select_from(Answer).where(Answer.question_id == question_id)
    return int(session.scalar(statement) or 0)


def test_skip_logic_is_respected(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    questions = {q.code: q.id for q in session.scalars(select(Question))}
    yes_responses = set(
        session.scalars(
            select(Answer.response_id)
            .join(Option, Option.id == Answer.option_id)
            .where(Answer.question_id == questions["contact_12m"], Option.code == "yes")
        )
    )
    typed = set(
        session.scalars(
            select(Answer.response_id).where(Answer.question_id == questions["contact_type"])
        )
    )
    assert typed and typed <= yes_responses


def test_unweighted_sample_is_biased_towards_young_urban(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    """Young and urban people answer more, so the raw sample differs from the margins."""
    population: dict[str, Counter[str]] = {v: Counter() for v in WEIGHTING_VARIABLES}
    for variable, category, value in session.execute(
        select(PopulationMargin.variable, PopulationMargin.category, PopulationMargin.population)
    ):
        population[variable][category] += value
    sample = {
        "age_group": Counter(session.scalars(select(Response.age_group))),
        "settlement": Counter(session.scalars(select(Response.settlement))),
    }

    def share(counter: Counter[str], key: str) -> float:
        return counter[key] / sum(value for k, value in counter.items() if k is not None)

    assert share(sample["age_group"], "18-24") > 1.25 * share(population["age_group"], "18-24")
    assert share(sample["age_group"], "65+") < 0.8 * share(population["age_group"], "65+")
    assert share(sample["settlement"], "city") > share(population["settlement"], "city") + 0.05


def test_accounts_one_per_role_with_working_passwords(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    roles = Counter(session.scalars(select(User.role)))
    assert roles["admin"] == 1 and roles["researcher"] == 1 and roles["unit_head"] >= 1
    for account in seeded.accounts:
        user = session.scalar(select(User).where(User.username == account.username))
        assert user is not None
        assert check_password_hash(user.password_hash, account.password)
        assert account.password not in user.password_hash
        if user.role == "unit_head":
            assert user.scope_area is not None and user.scope_area.code == account.scope
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "demo.seed")) is not None


def test_second_load_is_refused_and_changes_nothing(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    before = (count(session, Area), count(session, Response), count(session, User))
    with pytest.raises(DemoAlreadyLoaded):
        seed_demo(session, n_responses=10, seed=11)
    assert (count(session, Area), count(session, Response), count(session, User)) == before


def test_command_loads_prints_accounts_and_then_refuses(
    runner: FlaskCliRunner, session: Session
) -> None:
    first = runner.invoke(args=["surveyapp", "seed-demo", "--responses", "200", "--quiet"])
    assert first.exit_code == 0, first.output
    assert "200 responses" in first.output
    assert "demo-precinct-head" in first.output
    assert "1860 fieldwork interviews in wave police-trust-2026-fieldwork-demo" in first.output
    areas = count(session, Area)

    again = runner.invoke(args=["surveyapp", "seed-demo", "--responses", "200", "--quiet"])
    assert again.exit_code != 0
    assert "already loaded" in again.output
    skipped = runner.invoke(args=["surveyapp", "seed-demo", "--if-empty", "--quiet"])
    assert skipped.exit_code == 0
    assert "not loaded" in skipped.output
    assert count(session, Area) == areas
    assert count(session, Response) == 200 + 1860  # and the fieldwork wave's interviews


def test_areas_carry_the_generators_urban_shares(session: Session, seeded) -> None:  # type: ignore[no-untyped-def]
    """The model's auxiliary is the generator's truth: each precinct stores exactly the urban
    share its responses were drawn with, each region that of the reference list, each
    department and district the adult-weighted mean of its precincts'."""
    areas = {area.code: area for area in session.scalars(select(Area))}
    stored = {code: area.urban_share for code, area in areas.items()}
    precincts = sorted((a for a in areas.values() if a.kind == "precinct"), key=lambda a: a.code)
    regions = read_region_rows()
    specs = _precinct_specs(precincts, regions, seed=11)
    assert {p.code: stored[p.code] for p in precincts} == {s.code: s.urban_share for s in specs}
    assert {r.code: stored[r.code] for r in regions} == {r.code: r.urban_share for r in regions}
    assert stored["KZ"] is None

    margin_set_id = session.scalars(select(MarginSet.id)).one()
    population = synthetic.build_population(
        specs, _region_margins(session, margin_set_id, areas), seed=11
    )
    adults = dict(zip(population.precinct_codes, population.adults, strict=True))
    share = {spec.code: spec.urban_share for spec in specs}
    units = [a for a in areas.values() if a.kind in ("department", "district")]
    assert len(units) > 40
    for unit in units:
        below = [p.code for p in precincts if p.in_subtree_of(unit)]
        mean = sum(adults[c] * share[c] for c in below) / sum(adults[c] for c in below)
        assert stored[unit.code] == pytest.approx(mean, rel=1e-12)
    # All the precincts of a city are urban, and so are its units.
    assert {stored[a.code] for a in areas.values() if a.region_code == "KZ-71"} == {1.0}
