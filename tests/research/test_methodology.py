"""The methodology report's page and JSON download: rendered in each language, audited,
404 for an unknown snapshot, researchers and admins only."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp import reports
from surveyapp.models import AuditEvent, IndicatorSnapshot

from ..exports.test_methodology import _report
from .conftest import signed_in

ROUTES = (
    "/{lang}/research/snapshots/{id}/methodology",
    "/{lang}/research/snapshots/{id}/methodology.json",
    "/{lang}/research/snapshots/{id}/table.csv",
    "/{lang}/research/snapshots/{id}/table.xlsx",
)


def test_a_run_without_margins_says_so(app: Flask, session: Session, snapshot_id: int) -> None:
    _report_before, run, _snapshot = _report(session, snapshot_id)
    run.diagnostics = {k: v for k, v in run.diagnostics.items() if k != "margins"}
    session.flush()
    report, _run, _snapshot = _report(session, snapshot_id)
    assert report["margins"] == {"recorded": False, "tolerance": 1e-10, "rows": []}
    page = signed_in(app, "research-1").get(f"/en/research/snapshots/{snapshot_id}/methodology")
    assert "not recorded for this run" in page.get_data(as_text=True)


def test_a_run_stored_before_the_versions_were_kept_says_so(
    app: Flask, session: Session, snapshot_id: int
) -> None:
    _report_before, run, _snapshot = _report(session, snapshot_id)
    page = signed_in(app, "research-1").get(f"/en/research/snapshots/{snapshot_id}/methodology")
    assert f"numpy {run.inputs['software']['numpy']}" in page.get_data(as_text=True)
    # A format-0 run: no layout version, no library versions.
    run.inputs = {k: v for k, v in run.inputs.items() if k not in ("format", "software")}
    session.flush()
    report, _run, _snapshot = _report(session, snapshot_id)
    assert report["software"] is None and report["inputs"]["seed"] == run.inputs["seed"]
    page = signed_in(app, "research-1").get(f"/en/research/snapshots/{snapshot_id}/methodology")
    assert "computed before the versions were stored" in page.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_page_renders_in_each_language(app: Flask, snapshot_id: int, lang: str) -> None:
    client = signed_in(app, "research-1")
    response = client.get(f"/{lang}/research/snapshots/{snapshot_id}/methodology")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    with force_locale(lang):
        title = _("Methodology report of snapshot %(id)s", id=snapshot_id)
        heading = _("Population targets and achieved margins")
        standard_error = _("%(value)s (standard error %(se)s)", value="", se="").strip(" ()")
        precision = _(
            "An area that passes the counts is published only if the half-width of its 95%% "
            "interval is at most %(width)s points; otherwise it is of low precision.",
            width=10.0,
        )
    publication = page[page.index('id="publication-heading"') :].split("</section>")[0]
    assert precision.replace("'", "&#39;") in publication  # the precision rule, in words
    model = page[page.index('id="model-heading"') :].split("</section>")[0]
    assert re.search(re.escape(standard_error) + r"\s+[0-9]", model)  # the coefficients' SE
    assert re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip() == title  # type: ignore[union-attr]
    assert heading in page and "<caption>" in page
    assert "style=" not in page and "<script" not in page
    assert "KZ-71" in page and "police_fair" in page


def test_the_json_downloads_and_is_audited(app: Flask, session: Session, snapshot_id: int) -> None:
    client = signed_in(app, "admin-1")
    response = client.get(f"/ru/research/snapshots/{snapshot_id}/methodology.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"snapshot-{snapshot_id}.json" in disposition
    report, _run, _snapshot = _report(session, snapshot_id)
    assert json.loads(response.get_data(as_text=True)) == json.loads(json.dumps(report))
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export.methodology")
    ).one()
    assert event.actor == "admin-1" and event.details == {"snapshot": snapshot_id}


def test_an_unknown_snapshot_is_404(app: Flask, session: Session, snapshot_id: int) -> None:
    missing = (session.scalar(select(func.max(IndicatorSnapshot.id))) or 0) + 1
    client = signed_in(app, "research-1")
    for route in ROUTES:
        assert client.get(route.format(lang="en", id=missing)).status_code == 404, route


def test_only_researchers_and_admins_get_in(app: Flask, snapshot_id: int) -> None:
    anonymous = app.test_client()
    for route in ROUTES:
        response = anonymous.get(route.format(lang="kk", id=snapshot_id))
        assert response.status_code == 302, route
        assert response.headers["Location"].startswith("/kk/login?next="), route
    for username, expected in [
        ("head-region", 404),
        ("head-precinct", 404),
        ("research-1", 200),
        ("admin-1", 200),
    ]:
        client = signed_in(app, username)
        for route in ROUTES:
            status = client.get(route.format(lang="en", id=snapshot_id)).status_code
            assert status == expected, (username, route, status)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_region_weighted_with_a_fallback_scheme_shows_it_and_why(
    app: Flask, session: Session, snapshot_id: int, lang: str
) -> None:
    _report_before, run, _snapshot = _report(session, snapshot_id)
    reason = (
        "full: did not converge in 1000 iterations: margin 'age_group' category '65+' is off by "
        "0.0123 relative (raked 1,234.5, target 1,250)"
    )
    regions = dict(run.diagnostics["regions"])
    regions["KZ-71"] = {
        **regions["KZ-71"],
        "scheme": "reduced",
        "scheme_reason": reason,
        "scheme_variables": ["sex", "age_group"],
        "scheme_margin_error": 1e-11,
    }
    run.diagnostics = {**run.diagnostics, "regions": regions}
    session.flush()
    page = signed_in(app, "research-1").get(f"/{lang}/research/snapshots/{snapshot_id}/methodology")
    text = page.get_data(as_text=True)
    with force_locale(lang):
        scheme, full = _("without the settlement margin"), _("full margins")
        not_raked = _("not raked: see the region's scheme")
        why = reports.weighting_message(reason)
    assert scheme in text and full in text  # the region's scheme, the others' full margins
    assert str(escape(why)) in text and not_raked in text
    assert "1000" not in why and "65+" in why  # the reason in words, its numbers in the locale's


# What the methodology page showed in English to Kazakh and Russian readers (issue 16).
ENGLISH_FRAGMENTS = (
    "(published)",
    "converged in",
    "iterations",
    "reml",
    "too few complete cases",
    "1e-10",
    "trimmed to the cap",
    "max margin error",
)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_remains_and_numbers_and_dates_are_the_locales(
    app: Flask, session: Session, snapshot_id: int, lang: str
) -> None:
    report, _run, _snapshot = _report(session, snapshot_id)
    page = signed_in(app, "research-1").get(f"/{lang}/research/snapshots/{snapshot_id}/methodology")
    body = page.get_data(as_text=True)
    main = body[body.index("<main") : body.index("</main>")]
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    for fragment in ENGLISH_FRAGMENTS:
        assert fragment not in text, fragment
    assert not re.search(r"\d\.\d+e[-+]\d", text)  # no "6.56e-11"
    assert not re.search(r"\d{4}-\d\d-\d\d", text)  # no ISO date or timestamp
    refused = [d for d in report["drivers"] if d["reason"]]
    assert refused and refused[0]["reason"]["code"] == "too_few_complete_cases"
    with force_locale(lang):
        responses = format_number(report["inputs"]["responses"])  # "1 500", with its space
        why = reports.explain(refused[0]["reason"])
        method = str(reports.MODEL_METHODS["reml"])
        published = _("published")
    assert report["inputs"]["responses"] >= 1000 and responses in text
    assert why in text and method in text and f"({published})" in text
    assert "10⁻¹⁰" in text  # the convergence tolerance
