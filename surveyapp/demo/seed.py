"""Loading the demo into a database: tree, instrument, margins, wave, accounts, responses.

Everything goes through the same importers a real deployment uses; the
synthetic responses are written in bulk (Core inserts, no per-row ORM objects).
The caller commits.
"""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..categories import WEIGHTING_VARIABLES
from ..clock import rounded_duration, to_hour, utcnow
from ..imports.csvfile import CsvRow
from ..imports.fieldwork import import_fieldwork
from ..imports.geography import import_area_rows
from ..imports.instrument import import_instrument
from ..imports.margins import import_margins
from ..models import (
    Answer,
    Area,
    Comment,
    Instrument,
    PopulationMargin,
    Response,
    SyntheticTruth,
    User,
    Wave,
    WaveArea,
)
from ..models.geography import REGION_DEPTH
from ..services.audit import record
from ..services.geography import load_regions
from . import synthetic
from .tree import RegionRow, demo_tree_rows, read_region_rows

DEFAULT_RESPONSES = 20_000
DEFAULT_SEED = 2026
DEMO_WAVE_CODE = "police-trust-2026-demo"
INSTRUMENT_FILE = "police-trust-2026.yaml"
MARGINS_FILE = "demo_margins.csv"
FIELDWORK_DAYS = 180
"""Days of fieldwork before the demo's day: its responses fill the whole days before it (six
30-day windows: half a year of a continuous programme)."""
PRECINCT_QUOTA = 60
FIELDWORK_WAVE_CODE = "police-trust-2026-fieldwork-demo"
FIELDWORK_FILE = "demo_fieldwork.csv"
FIELDWORK_MAPPING_FILE = "fieldwork_mapping.yaml"
"""The demo's face-to-face survey (:mod:`surveyapp.demo.fieldwork`): the data in ``surveyapp/data``,
the mapping in ``surveyapp/demo``; drawn
from the demo population of :data:`DEFAULT_SEED`, loaded only with that seed."""
FIELDWORK_WAVE_NAMES = {
    "name_kk": "Демонстрациялық далалық зерттеу (сұхбат), 2026",
    "name_ru": "Демонстрационный полевой опрос (интервью), 2026",
    "name_en": "Demonstration fieldwork survey (interviews), 2026",
}

WAVE_NAMES = {
    "name_kk": "Демонстрациялық толқын, 2026",
    "name_ru": "Демонстрационная волна, 2026",
    "name_en": "Demonstration wave, 2026",
}

DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("demo-admin", "admin", None),
    ("demo-researcher", "researcher", None),
    ("demo-region-head", "unit_head", "KZ-71"),
    ("demo-district-head", "unit_head", "KZ-71-D01"),
    ("demo-precinct-head", "unit_head", "KZ-71-D01-P01"),
)


class DemoAlreadyLoaded(Exception):
    """The demo wave exists: loading again would duplicate it."""

    def __init__(self, wave_code: str) -> None:
        super().__init__(wave_code)
        self.wave_code = wave_code


@dataclass(frozen=True)
class DemoAccount:
    """A created demo account, with its password in clear (printed once)."""

    username: str
    role: str
    password: str
    scope: str


@dataclass
class DemoReport:
    """What the demo loaded."""

    areas: int
    precincts: int
    responses: int
    wave_code: str
    accounts: list[DemoAccount] = field(default_factory=list)
    interviews: int = 0  # the fieldwork wave's (0: not loaded)


def database_is_empty(session: Session) -> bool:
    """True when no area has been loaded yet."""
    return session.scalar(select(func.count()).select_from(Area)) == 0


def demo_day(now: datetime | None = None) -> datetime:
    """The start (00:00 UTC) of the day of ``now``: the demo's responses end there.

    Windows cut at whole dates (``recompute --window 30d``). Were the responses to end at
    the current instant, a window's responses, and whether its weights converge, would
    depend on the hour the demo was loaded at.
    """
    instant = now or utcnow()
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def _package_path(package: str, name: str) -> Path:
    return Path(str(resources.files(package).joinpath(name)))


def seed_demo(
    session: Session,
    *,
    n_responses: int = DEFAULT_RESPONSES,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Callable[[int], Any] | None = None,
    fieldwork: bool = True,
) -> DemoReport:
    """Load the whole demo (flushes, does not commit); refuse if it is already there.

    The responses fill the :data:`FIELDWORK_DAYS` whole days before the day of ``now``
    (default: the current time), see :func:`demo_day`: which of them a window of whole
    dates takes is the same at any hour of any day, and so are the numbers.
    """
    if session.scalar(select(Wave).where(Wave.code == DEMO_WAVE_CODE)) is not None:
        raise DemoAlreadyLoaded(DEMO_WAVE_CODE)

    load_regions(session)
    regions = read_region_rows()
    tree_rows = [
        CsvRow(number, {**row.__dict__})
        for number, row in enumerate(demo_tree_rows(regions, seed=seed), start=1)
    ]
    import_area_rows(session, tree_rows, "demo tree")
    instrument = import_instrument(session, _package_path("surveyapp.instruments", INSTRUMENT_FILE))
    margins = import_margins(
        session,
        _package_path("surveyapp.data", MARGINS_FILE),
        label="Demonstration margins (not official statistics)",
        demonstration=True,
    )

    areas = {area.code: area for area in session.scalars(select(Area))}
    precincts = _precincts(areas)
    day = demo_day(now)
    wave = Wave(
        code=DEMO_WAVE_CODE,
        instrument=instrument.instrument,
        kind="continuous",
        status="open",
        opens_at=day - timedelta(days=FIELDWORK_DAYS),
        closes_at=day + timedelta(days=365 - FIELDWORK_DAYS),
        **WAVE_NAMES,
    )
    session.add(wave)
    for precinct in precincts:
        wave.areas.append(WaveArea(area=precinct, target_n=PRECINCT_QUOTA))
    session.flush()

    region_margins = _region_margins(session, margins.margin_set.id, areas)
    specs = _precinct_specs(precincts, regions, seed)
    shares = _urban_shares(specs, region_margins, precincts, regions, seed)
    import_area_rows(session, _with_urban_shares(tree_rows, shares), "demo tree")
    truth = _true_values(specs, region_margins, precincts, seed)
    session.execute(
        insert(SyntheticTruth),
        [
            {
                "wave_id": wave.id,
                "area_id": areas[code].id,
                "measure": "csi",
                "value": value,
                "seed": seed,
            }
            for code, value in sorted(truth.items())
        ],
    )
    written = write_responses(
        session,
        wave,
        instrument.instrument,
        areas,
        synthetic.generate(
            specs,
            region_margins,
            n_responses,
            seed=seed,
            start=wave.opens_at,
            end=day,
        ),
        progress=progress,
    )
    report = DemoReport(
        areas=len(areas), precincts=len(precincts), responses=written, wave_code=wave.code
    )
    for username, role, scope in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        user = User(
            username=username,
            password_hash=generate_password_hash(password),
            role=role,
            scope_area=areas[scope] if scope else None,
            locale="kk",
            is_active=True,
        )
        session.add(user)
        report.accounts.append(DemoAccount(username, role, password, scope or ""))
    record("demo.seed", details={"responses": written, "seed": seed, "wave": wave.code})
    if fieldwork and seed == DEFAULT_SEED:
        report.interviews = seed_fieldwork_wave(session, instrument.instrument, areas, day)
    session.flush()
    return report


def seed_fieldwork_wave(
    session: Session, instrument: Instrument, areas: dict[str, Area], day: datetime
) -> int:
    """The demo's fieldwork wave (paused: it takes no online responses, its figures are still
    computed) with the shipped interviews, imported as an agency's file would be; the wave
    lists the sampled precincts. Returns the number of interviews."""
    data = _package_path("surveyapp.data", FIELDWORK_FILE).read_bytes()
    mapping = _package_path("surveyapp.demo", FIELDWORK_MAPPING_FILE).read_bytes()
    rows = csv.DictReader(io.StringIO(data.decode("utf-8")))
    sampled: dict[str, int] = {}
    for row in rows:
        sampled[row["precinct"]] = sampled.get(row["precinct"], 0) + 1
    wave = Wave(
        code=FIELDWORK_WAVE_CODE,
        instrument=instrument,
        kind="cross_section",
        status="paused",
        opens_at=day - timedelta(days=30),
        closes_at=day + timedelta(days=335),
        **FIELDWORK_WAVE_NAMES,
    )
    session.add(wave)
    for code, count in sorted(sampled.items()):
        wave.areas.append(WaveArea(area=areas[code], target_n=count))
    session.flush()
    result = import_fieldwork(
        session,
        wave.code,
        data,
        FIELDWORK_FILE,
        mapping,
        FIELDWORK_MAPPING_FILE,
        now=day - timedelta(hours=12),
    )
    record("fieldwork.import", target=wave, details=result.details)
    return result.responses


def _true_values(
    specs: list[synthetic.PrecinctSpec],
    region_margins: dict[str, dict[str, dict[str, float]]],
    precincts: list[Area],
    seed: int,
) -> dict[str, float]:
    """The true CSI of every area of the tree: each precinct and each of its ancestors (the
    CSI of the adults of the precincts below it), so that estimates and comparisons with a
    parent can be checked at every level."""
    truth: dict[str, float] = {}
    lineages = {precinct.code: precinct.lineage_codes for precinct in precincts}
    for depth in range(max(len(codes) for codes in lineages.values())):
        group = {code: codes[depth] for code, codes in lineages.items()}
        truth.update(synthetic.true_csi(specs, region_margins, seed=seed, by=group))
    return truth


def _urban_shares(
    specs: list[synthetic.PrecinctSpec],
    region_margins: dict[str, dict[str, dict[str, float]]],
    precincts: list[Area],
    regions: Iterable[RegionRow],
    seed: int,
) -> dict[str, float]:
    """The urban share of the areas of the tree, the small-area model's auxiliary: each
    precinct's is the generator's own (``specs``), each region's that of the reference list,
    each department's and district's the mean of its precincts' weighted by their adults in
    the synthetic population. The country has none."""
    shares = {spec.code: spec.urban_share for spec in specs}
    population = synthetic.build_population(specs, region_margins, seed=seed)
    lineages = {precinct.code: precinct.lineage_codes for precinct in precincts}
    totals: dict[str, list[float]] = {}
    for code, adults in zip(population.precinct_codes, population.adults, strict=True):
        # The units between the region and the precinct: its department and district.
        for unit in lineages[code][REGION_DEPTH + 1 : -1]:
            total = totals.setdefault(unit, [0.0, 0.0])
            total[0] += float(adults) * shares[code]
            total[1] += float(adults)
    shares.update({unit: min(1.0, urban / adults) for unit, (urban, adults) in totals.items()})
    shares.update({region.code: float(region.urban_share) for region in regions})
    return shares


def _with_urban_shares(rows: list[CsvRow], shares: dict[str, float]) -> list[CsvRow]:
    """The tree rows with an ``urban_share`` column (written so that it reads back exactly;
    empty where there is none)."""
    return [
        CsvRow(
            row.line,
            {
                **row.values,
                "urban_share": (
                    np.format_float_positional(shares[row.values["code"]], unique=True, trim="-")
                    if row.values["code"] in shares
                    else ""
                ),
            },
        )
        for row in rows
    ]


def _region_margins(
    session: Session, margin_set_id: int, areas: dict[str, Area]
) -> dict[str, dict[str, dict[str, float]]]:
    by_id = {area.id: area.code for area in areas.values()}
    result: dict[str, dict[str, dict[str, float]]] = {}
    rows = session.execute(
        select(
            PopulationMargin.area_id,
            PopulationMargin.variable,
            PopulationMargin.category,
            PopulationMargin.population,
        ).where(PopulationMargin.margin_set_id == margin_set_id)
    )
    for area_id, variable, category, population in rows:
        result.setdefault(by_id[area_id], {}).setdefault(variable, {})[category] = float(population)
    return result


def _precinct_specs(
    precincts: list[Area], regions: Iterable[Any], seed: int
) -> list[synthetic.PrecinctSpec]:
    """Each precinct's urban share: all urban in cities, elsewhere drawn around the region's."""
    pairs = []
    for precinct in precincts:
        region_code = precinct.region_code
        assert region_code is not None  # a precinct lies in a region
        pairs.append((precinct.code, region_code))
    return precinct_specs(pairs, regions, seed)


def precinct_specs(
    precincts: Iterable[tuple[str, str]], regions: Iterable[Any], seed: int
) -> list[synthetic.PrecinctSpec]:
    """:func:`_precinct_specs` of ``(precinct code, region code)`` pairs (in code order)."""
    urban_share = {region.code: float(region.urban_share) for region in regions}
    rng = np.random.default_rng([seed, 7])
    specs = []
    for code, region_code in precincts:
        share = urban_share[region_code]
        if share < 1.0:
            concentration = 4.0
            share = float(rng.beta(share * concentration, (1 - share) * concentration))
        specs.append(synthetic.PrecinctSpec(code, region_code, share))
    return specs


def write_responses(
    session: Session,
    wave: Wave,
    instrument: Instrument,
    areas: dict[str, Area],
    batches: Iterable[synthetic.ResponseBatch],
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Bulk-insert generated responses with their answers and comments; returns the count."""
    questions = {question.code: question for question in instrument.questions}
    option_ids = {
        (question.code, option.code): option.id
        for question in instrument.questions
        for option in question.options
    }
    comment_question = questions["comment"]
    area_ids = {code: area.id for code, area in areas.items()}
    written = 0
    rng = np.random.default_rng(wave.id)
    for batch in batches:
        size = len(batch.area_code)
        submitted = batch.submitted_at.astype("datetime64[s]").astype(object)
        durations = rng.integers(180, 900, size=size)
        rows = [
            {
                "wave_id": wave.id,
                "area_id": area_ids[batch.area_code[i]],
                "locale": batch.locale[i],
                "channel": "synthetic",
                "status": "complete",
                # To the hour, like a real submission (surveyapp/citizen/submission.py).
                "started_at": to_hour(submitted[i] - timedelta(seconds=int(durations[i]))),
                "submitted_at": to_hour(submitted[i]),
                "duration_seconds": rounded_duration(
                    submitted[i] - timedelta(seconds=int(durations[i])), submitted[i]
                ),
                "sex": batch.sex[i],
                "age_group": batch.age_group[i],
                "settlement": batch.settlement[i],
                "nonce": uuid.uuid4().hex,
            }
            for i in range(size)
        ]
        response_ids = list(
            session.scalars(
                insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
            )
        )
        answer_rows: list[dict[str, Any]] = []
        for code, values in batch.answers.items():
            question = questions[code]
            if question.type == "scale0_10" or question.type == "number":
                for response_id, value in zip(response_ids, values, strict=True):
                    if value is not None and value >= 0:
                        answer_rows.append(
                            {
                                "response_id": response_id,
                                "question_id": question.id,
                                "value_num": float(value),
                            }
                        )
            elif question.type == "multi":
                for response_id, chosen in zip(response_ids, values, strict=True):
                    for option_code in chosen or ():
                        answer_rows.append(
                            {
                                "response_id": response_id,
                                "question_id": question.id,
                                "option_id": option_ids[(code, option_code)],
                            }
                        )
            else:
                for response_id, option_code in zip(response_ids, values, strict=True):
                    if option_code is not None:
                        answer_rows.append(
                            {
                                "response_id": response_id,
                                "question_id": question.id,
                                "option_id": option_ids[(code, option_code)],
                            }
                        )
        # Demographic questions are answers too (the response row keeps the weighting copy).
        for variable in WEIGHTING_VARIABLES:
            column = getattr(batch, variable)
            for response_id, category in zip(response_ids, column, strict=True):
                option_code = category if category is not None else "prefer_not"
                if (variable, option_code) in option_ids:
                    answer_rows.append(
                        {
                            "response_id": response_id,
                            "question_id": questions[variable].id,
                            "option_id": option_ids[(variable, option_code)],
                        }
                    )
        if answer_rows:
            session.execute(insert(Answer), answer_rows)
        comment_rows = [
            {
                "response_id": response_ids[i],
                "question_id": comment_question.id,
                "area_id": rows[i]["area_id"],
                "locale": rows[i]["locale"],
                "body": batch.comment[i],
                # Half the demo comments are approved so the dashboards have some to show.
                "moderation": "approved" if i % 2 == 0 else "pending",
                "created_at": rows[i]["submitted_at"],
            }
            for i in range(size)
            if batch.comment[i]
        ]
        if comment_rows:
            session.execute(insert(Comment), comment_rows)
        written += size
        if progress is not None:
            progress(size)
    return written


def seed_extra_wave(
    session: Session, code: str, n_responses: int, *, seed: int, now: datetime | None = None
) -> int:
    """Another open wave of the demo instrument over the demo precincts, with ``n_responses``
    synthetic responses from the last week before the day of ``now`` (benchmarks of
    incremental recomputes). Needs the demo; flushes, does not commit; returns the number
    of responses written."""
    demo = session.scalars(select(Wave).where(Wave.code == DEMO_WAVE_CODE)).one()
    areas = {area.code: area for area in session.scalars(select(Area))}
    precincts = _precincts(areas)
    margin_set_id = session.scalar(select(func.max(PopulationMargin.margin_set_id)))
    region_margins = _region_margins(session, int(margin_set_id or 0), areas)
    day = demo_day(now)
    wave = Wave(
        code=code,
        instrument=demo.instrument,
        kind="cross_section",
        status="open",
        opens_at=day - timedelta(days=7),
        closes_at=day + timedelta(days=30),
        name_kk=f"{demo.name_kk} ({code})",
        name_ru=f"{demo.name_ru} ({code})",
        name_en=f"{demo.name_en} ({code})",
    )
    session.add(wave)
    session.flush()
    specs = _precinct_specs(precincts, read_region_rows(), seed)
    batches = synthetic.generate(
        specs, region_margins, n_responses, seed=seed, start=wave.opens_at, end=day
    )
    return write_responses(session, wave, demo.instrument, areas, batches)


def _precincts(areas: dict[str, Area]) -> list[Area]:
    return sorted((a for a in areas.values() if a.kind == "precinct"), key=lambda a: a.code)
