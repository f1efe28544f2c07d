"""The area page says the same thing everywhere: the headline is the trend's last point (or the
page says why not), model estimates are marked on screen, the change since the previous period
is always addressed, a single child does not hide the level below, ranks read in words."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp import pipeline
from surveyapp.dashboard.ranks import ordinal, rank_words
from surveyapp.dashboard.routes import _headline_differs
from surveyapp.domain import snapshots
from surveyapp.domain.records import Rank
from surveyapp.models import Area, IndicatorSnapshot, IndicatorValue, WeightRun

from .conftest import signed_in
from .test_area_page import section

ROW_FIGURE = re.compile(r"<tr>\s*<th scope=\"row\">[^<]*</th>\s*(?:<td>([\d.,]+)|<td colspan)")
MODEL_TAG = 'class="tag model-tag"'


def headline_figure(page: str) -> str | None:
    """The headline's figure, or None when it says there are not enough responses."""
    found = re.search(r'<p class="figure"><strong>([\d.,]+)</strong>', section(page, "csi-heading"))
    return found.group(1) if found else None


def trend_figures(page: str) -> list[str | None]:
    """The figures of the trend's table, oldest first (None: not enough responses)."""
    return [figure or None for figure in ROW_FIGURE.findall(section(page, "trend-heading"))]


def snapshot_id(scope: pipeline.Scope, session: Session) -> int:
    """The snapshot computed for the window ``scope``."""
    found = session.scalar(
        select(IndicatorSnapshot.id)
        .join(WeightRun, WeightRun.id == IndicatorSnapshot.weight_run_id)
        .where(WeightRun.window_start == scope.start, WeightRun.window_end == scope.end)
        .order_by(IndicatorSnapshot.id.desc())
    )
    assert found is not None
    return found


def newest_snapshot_id(windows: list[pipeline.Scope], session: Session) -> int:
    return snapshot_id(windows[-1], session)


def csi_value(session: Session, snapshot_id: int, code: str) -> IndicatorValue:
    return session.scalars(
        select(IndicatorValue)
        .join(Area, Area.id == IndicatorValue.area_id)
        .where(
            IndicatorValue.snapshot_id == snapshot_id,
            IndicatorValue.measure == "csi",
            Area.code == code,
        )
    ).one()


def modelled_precinct(session: Session, snapshot_id: int) -> str:
    """A precinct whose figure in the snapshot is the model estimate."""
    return session.scalars(
        select(Area.code)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            IndicatorValue.snapshot_id == snapshot_id,
            IndicatorValue.measure == "csi",
            IndicatorValue.publication == "insufficient",
            IndicatorValue.model_estimate.is_not(None),
            Area.kind == "precinct",
        )
        .order_by(Area.code)
        .limit(1)
    ).one()


# (a) ----------------------------------------------------------------------------------------


def test_the_headline_is_the_trends_last_point_on_every_kind_of_area(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    codes = ["KZ", "KZ-71", "KZ-71-PD", "KZ-71-D01", "KZ-71-D01-P01"]
    codes.append(modelled_precinct(session, newest_snapshot_id(windows, session)))
    codes += session.scalars(
        select(Area.code).where(Area.kind == "region").order_by(Area.code).limit(5)
    ).all()
    client = signed_in(app, "admin-1")
    for code in codes:
        page = client.get(f"/en/dashboard/a/{code}").get_data(as_text=True)
        figures = trend_figures(page)
        assert len(figures) == 2, code
        assert headline_figure(page) == figures[-1], code
        assert 'id="headline-differs"' not in page, code


def test_the_page_says_why_the_headline_is_not_the_trends_last_point(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    # A third period before the two, where the district has a figure (copied from the older
    # window); in the newest period it has none: its trend ends a period before the headline.
    oldest = windows[0]
    assert oldest.start is not None
    run = WeightRun(
        wave_id=oldest.wave.id,
        window_start=oldest.start - timedelta(days=60),
        window_end=oldest.start - timedelta(days=1),
        method_version="test",
        status="succeeded",
    )
    earlier = IndicatorSnapshot(weight_run=run, status="published", input_hash="test")
    session.add_all([run, earlier])
    session.flush()
    older_value = csi_value(session, snapshot_id(windows[0], session), "KZ-71-D01")
    columns = "area_id measure n effective_n estimate se ci_low ci_high model_estimate"
    columns += " model_mse publication flags"
    copied = {column: getattr(older_value, column) for column in columns.split()}
    session.add(IndicatorValue(snapshot_id=earlier.id, **copied))
    session.delete(csi_value(session, snapshot_id(windows[-1], session), "KZ-71-D01"))
    session.flush()
    page = signed_in(app, "admin-1").get("/en/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert len(trend_figures(page)) == 2 and headline_figure(page) is None
    assert "the trend's last point is an earlier period than the figure below" in page
    region = signed_in(app, "admin-1").get("/en/dashboard/a/KZ-71").get_data(as_text=True)
    assert 'id="headline-differs"' not in region  # its newest period has a figure


def test_a_whole_wave_headline_beside_a_trend_is_explained() -> None:
    value = IndicatorValue()
    points = [
        snapshots.TrendPoint(date(2026, 1, 1), date(2026, 1, 30), value),
        snapshots.TrendPoint(date(2026, 1, 31), date(2026, 3, 1), value),
    ]
    assert _headline_differs(snapshots.Window(), points) == "whole_wave"
    assert _headline_differs(snapshots.Window(date(2026, 1, 31), date(2026, 3, 1)), points) == ""
    assert _headline_differs(snapshots.Window(date(2026, 3, 2), date(2026, 4, 1)), points) == (
        "older"
    )
    assert _headline_differs(snapshots.Window(), points[:1]) == ""  # no trend drawn


# (b) ----------------------------------------------------------------------------------------


def test_model_estimates_are_marked_on_screen(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    code = modelled_precinct(session, newest_snapshot_id(windows, session))
    client = signed_in(app, "admin-1")
    page = client.get(f"/en/dashboard/a/{code}").get_data(as_text=True)
    assert MODEL_TAG in section(page, "csi-heading")
    trend_part = section(page, "trend-heading")
    assert MODEL_TAG in trend_part  # the table's modelled rows
    legend = trend_part.split('class="note chart-legend"')[1].split("</figcaption>")[0]
    assert "model estimate" in legend and "survey figure" in legend
    assert 'aria-hidden="true"' in legend  # the symbols; the words say it
    parent = session.scalars(select(Area).where(Area.code == code)).one().parent
    assert parent is not None
    units = section(
        client.get(f"/en/dashboard/a/{parent.code}").get_data(as_text=True), "units-heading"
    )
    row = units.split(f'/en/dashboard/a/{code}"')[1].split("</tr>")[0]
    assert MODEL_TAG in row
    assert 'class="note chart-legend"' in units  # under the caterpillar
    published = section(client.get("/en/dashboard/a/KZ").get_data(as_text=True), "csi-heading")
    assert MODEL_TAG not in published


def test_a_unit_shown_by_its_model_is_not_compared_and_the_page_says_why(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    code = modelled_precinct(session, newest_snapshot_id(windows, session))
    value = csi_value(session, newest_snapshot_id(windows, session), code)
    assert value.publication != "published"
    assert value.flags_record.vs_parent is None and value.flags_record.vs_country is None
    client = signed_in(app, "admin-1")
    page = section(client.get(f"/en/dashboard/a/{code}").get_data(as_text=True), "csi-heading")
    assert 'id="no-comparison"' in page
    assert "comparisons are made only for published figures" in page
    assert "chance would explain" not in page  # no above / below / not different
    region = session.scalars(
        select(Area.code)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(
            IndicatorValue.snapshot_id == newest_snapshot_id(windows, session),
            IndicatorValue.measure == "csi",
            IndicatorValue.publication == "published",
            Area.kind == "region",
        )
        .order_by(Area.code)
    ).first()
    assert region is not None
    published = section(
        client.get(f"/en/dashboard/a/{region}").get_data(as_text=True), "csi-heading"
    )
    assert 'id="no-comparison"' not in published
    assert "chance would explain" in published


# (c) ----------------------------------------------------------------------------------------


def test_the_change_is_addressed_whenever_there_is_a_previous_period(
    app: Flask, session: Session, windows: list[pipeline.Scope]
) -> None:
    client = signed_in(app, "admin-1")
    newest = newest_snapshot_id(windows, session)
    modelled = modelled_precinct(session, newest)
    for code in ("KZ", "KZ-71-D01", modelled):
        change = section(
            client.get(f"/en/dashboard/a/{code}").get_data(as_text=True), "csi-heading"
        )
        assert "Since the previous period:" in change, code
        assert "no previous period" not in change, code
    value = csi_value(session, newest, "KZ-71-D01")
    value.flags = dataclasses.replace(value.flags_record, change=None).to_json()
    session.flush()
    page = client.get("/en/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert "no comparison, too few responses here" in section(page, "csi-heading")


def test_without_a_previous_period_the_page_says_so(app: Flask, demo: None) -> None:
    page = signed_in(app, "admin-1").get("/en/dashboard/a/KZ-71-D01").get_data(as_text=True)
    assert "no previous period to compare with" in section(page, "csi-heading")


# (d) ----------------------------------------------------------------------------------------


def test_a_region_head_sees_the_districts_below_the_one_department(
    app: Flask, session: Session, demo: None
) -> None:
    client = signed_in(app, "head-region")
    page = client.get("/en/dashboard/a/KZ-71").get_data(as_text=True)
    units = section(page, "units-heading")
    listed = re.findall(r'<th scope="row"><a href="/en/dashboard/a/([\w-]+)"', units)
    districts = session.scalars(
        select(Area.code)
        .where(Area.parent_id == select(Area.id).where(Area.code == "KZ-71-PD").scalar_subquery())
        .order_by(Area.code)
    ).all()
    assert len(districts) >= 2 and sorted(listed) == list(districts)
    department = session.scalars(select(Area).where(Area.code == "KZ-71-PD")).one()
    assert f"“{department.name('en')}” is the only unit below this area" in units
    assert 'aria-labelledby="units-chart-title units-chart-desc"' in units
    below = section(client.get("/en/dashboard/a/KZ-71-PD").get_data(as_text=True), "units-heading")
    assert sorted(re.findall(r'<th scope="row"><a href="/en/dashboard/a/([\w-]+)"', below)) == (
        sorted(listed)
    )
    assert "is the only unit below" not in below


# (e) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "english", "russian", "kazakh"),
    [
        (1, "1st", ("1-е", "1-го"), ("1-ші", "1-ден", "1-ге")),
        (2, "2nd", ("2-е", "2-го"), ("2-ші", "2-ден", "2-ге")),
        (3, "3rd", ("3-е", "3-го"), ("3-ші", "3-тен", "3-ке")),
        (4, "4th", ("4-е", "4-го"), ("4-ші", "4-тен", "4-ке")),
        (6, "6th", ("6-е", "6-го"), ("6-шы", "6-дан", "6-ға")),
        (9, "9th", ("9-е", "9-го"), ("9-шы", "9-дан", "9-ға")),
        (10, "10th", ("10-е", "10-го"), ("10-шы", "10-нан", "10-ға")),
        (11, "11th", ("11-е", "11-го"), ("11-ші", "11-ден", "11-ге")),
        (12, "12th", ("12-е", "12-го"), ("12-ші", "12-ден", "12-ге")),
        (13, "13th", ("13-е", "13-го"), ("13-ші", "13-тен", "13-ке")),
        (20, "20th", ("20-е", "20-го"), ("20-шы", "20-дан", "20-ға")),
        (21, "21st", ("21-е", "21-го"), ("21-ші", "21-ден", "21-ге")),
        (40, "40th", ("40-е", "40-го"), ("40-шы", "40-тан", "40-қа")),
        (50, "50th", ("50-е", "50-го"), ("50-ші", "50-ден", "50-ге")),
        (80, "80th", ("80-е", "80-го"), ("80-ші", "80-нен", "80-ге")),
        (100, "100th", ("100-е", "100-го"), ("100-ші", "100-ден", "100-ге")),
        (112, "112th", ("112-е", "112-го"), ("112-ші", "112-ден", "112-ге")),
    ],
)
def test_ordinals_in_each_language(
    n: int, english: str, russian: tuple[str, str], kazakh: tuple[str, str, str]
) -> None:
    assert {ordinal(n, "en", role) for role in ("place", "from", "to")} == {english}
    assert (ordinal(n, "ru"), ordinal(n, "ru", "from"), ordinal(n, "ru", "to")) == (
        russian[0],
        russian[1],
        russian[1],
    )
    assert (ordinal(n, "kk"), ordinal(n, "kk", "from"), ordinal(n, "kk", "to")) == kazakh


def test_a_rank_reads_in_words_in_each_language(app: Flask) -> None:
    expected = {
        "en": ("3rd of 4 (between 2nd and 4th)", "2nd of 4"),
        "ru": ("3-е место из 4 (от 2-го до 4-го)", "2-е место из 4"),
        "kk": ("4 бөлімшенің ішінде 3-ші (2-ден 4-ке дейін)", "4 бөлімшенің ішінде 2-ші"),
    }
    for lang, (interval, single) in expected.items():
        with app.test_request_context(), force_locale(lang):
            assert rank_words(Rank(3, 2, 4, 4), lang) == interval
            assert rank_words(Rank(2, 2, 2, 4), lang) == single
            assert rank_words(Rank(), lang) == ""


def test_the_units_table_gives_ranks_in_words(app: Flask, session: Session, demo: None) -> None:
    snapshot = snapshots.current(session, snapshots.current_wave(session))  # type: ignore[arg-type]
    assert snapshot is not None
    one_place = csi_value(session, snapshot.id, "KZ-71")
    one_place.flags = dataclasses.replace(one_place.flags_record, rank=Rank(2, 2, 2, 20)).to_json()
    session.flush()
    client = signed_in(app, "admin-1")
    cells = {
        lang: re.findall(
            r'<td class="rank">([^<]*)</td>',
            section(client.get(f"/{lang}/dashboard/a/KZ").get_data(as_text=True), "units-heading"),
        )
        for lang in ("en", "ru", "kk")
    }
    assert len(cells["en"]) == 20
    assert "2nd of 20" in cells["en"] and "2-е место из 20" in cells["ru"]
    assert "20 бөлімшенің ішінде 2-ші" in cells["kk"]
    ranged = [cell for cell in cells["en"] if "between" in cell]
    assert ranged and all(
        re.fullmatch(r"\d+(st|nd|rd|th) of 20 \(between .+ and .+\)", c) for c in ranged
    )
    assert any(re.fullmatch(r"\d+-е место из 20 \(от \d+-го до \d+-го\)", c) for c in cells["ru"])
