"""A wave's areas and targets: ticked from the tree a region at a time, a whole district, a
CSV file; bad input refused with the areas named, nothing changed."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp.models import Area, Wave

from .conftest import TARGETS, audit


def _listed(wave: Wave) -> dict[str, int | None]:
    return {link.area.code: link.target_n for link in wave.areas}


def test_the_tree_shows_every_precinct_with_the_wave_s_targets(
    admin: FlaskClient, wave: Wave
) -> None:
    page = admin.get(f"/en/admin/waves/{wave.id}/areas").get_data(as_text=True)
    assert page.count('type="checkbox" name="area"') == 5
    assert 'value="KZ-71-D01-P01" checked' in page
    assert 'value="KZ-75-D01-P02">' in page  # not listed, not ticked
    assert 'name="target-KZ-71-D01-P01" value="10"' in page
    assert "<details" in page and "3 of 3 precincts" in page and "1 of 2 precincts" in page


def test_saving_a_region_changes_that_region_only(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    data = {
        "region": "KZ-75",
        "area": ["KZ-75-D01-P01", "KZ-75-D01-P02"],
        "target-KZ-75-D01-P01": "12",
        "target-KZ-75-D01-P02": "",
    }
    response = admin.post(f"/en/admin/waves/{wave.id}/areas", data=data)
    assert response.status_code == 303
    assert _listed(wave) == {**TARGETS, "KZ-75-D01-P01": 12, "KZ-75-D01-P02": None}
    # Unticking in Astana removes those precincts; Almaty stays as saved.
    data = {"region": "KZ-71", "area": ["KZ-71-D02-P03"], "target-KZ-71-D02-P03": "7"}
    assert admin.post(f"/en/admin/waves/{wave.id}/areas", data=data).status_code == 303
    assert _listed(wave) == {"KZ-71-D02-P03": 7, "KZ-75-D01-P01": 12, "KZ-75-D01-P02": None}
    events = audit(session, "wave.areas_changed")
    assert [
        (e.details["added"], e.details["removed"], e.details["retargeted"]) for e in events
    ] == [
        (1, 0, 1),
        (0, 2, 1),
    ]


def test_a_whole_district_is_added_with_one_target_per_precinct(
    admin: FlaskClient, session: Session, wave: Wave, areas: dict[str, Area]
) -> None:
    url = f"/ru/admin/waves/{wave.id}/areas/district"
    response = admin.post(url, data={"district": "KZ-75-D01", "target": "30"})
    assert response.status_code == 303
    assert _listed(wave) == {**TARGETS, "KZ-75-D01-P01": 30, "KZ-75-D01-P02": 30}
    # An inactive precinct is not added.
    wave.areas.clear()
    areas["KZ-71-D01-P02"].is_active = False
    session.flush()
    admin.post(url, data={"district": "KZ-71-D01", "target": ""})
    assert _listed(wave) == {"KZ-71-D01-P01": None}


def test_a_bad_district_or_target_is_refused(admin: FlaskClient, wave: Wave) -> None:
    url = f"/en/admin/waves/{wave.id}/areas/district"
    for data, message in [
        (
            {"district": "KZ-71-D01-P01", "target": "3"},
            "There is no active district KZ-71-D01-P01.",
        ),
        ({"district": "KZ-99", "target": "3"}, "There is no active district KZ-99."),
        ({"district": "KZ-71-D01", "target": "1000001"}, "A target is a whole number"),
        ({"district": "KZ-71-D01", "target": "2.5"}, "A target is a whole number"),
        ({"district": "", "target": "2"}, "Please fill in this field."),
    ]:
        response = admin.post(url, data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _listed(wave) == TARGETS


def test_a_region_with_unknown_inactive_or_non_precinct_areas_is_refused_naming_them(
    admin: FlaskClient, session: Session, wave: Wave, areas: dict[str, Area]
) -> None:
    areas["KZ-71-D01-P02"].is_active = False
    session.flush()
    data = {
        "region": "KZ-71",
        "area": ["KZ-71-D01-P01", "KZ-71-NOPE", "KZ-71-D01-P02", "KZ-71-D01"],
        "target-KZ-71-D01-P01": "5",
    }
    response = admin.post(f"/en/admin/waves/{wave.id}/areas", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There are no areas with these codes: KZ-71-NOPE." in page
    assert "These areas are no longer active: KZ-71-D01-P02 (KZ-71-D01-P02 en)." in page
    assert "A wave lists precincts only" in page and "KZ-71-D01 (KZ-71-D01 en)" in page
    bad_target = {"region": "KZ-71", "area": ["KZ-71-D01-P01"], "target-KZ-71-D01-P01": "-1"}
    assert admin.post(f"/en/admin/waves/{wave.id}/areas", data=bad_target).status_code == 422
    other_region = {"region": "KZ-75", "area": ["KZ-71-D01-P01"]}
    assert admin.post(f"/en/admin/waves/{wave.id}/areas", data=other_region).status_code == 422
    assert admin.post(f"/en/admin/waves/{wave.id}/areas", data={"region": "X"}).status_code == 422
    assert _listed(wave) == TARGETS
    assert audit(session, "wave.areas_changed") == []


def _upload(admin: FlaskClient, wave: Wave, content: bytes, **extra: str) -> TestResponse:
    data: dict[str, object] = {"file": (io.BytesIO(content), "areas.csv"), **extra}
    return admin.post(
        f"/en/admin/waves/{wave.id}/areas/csv", data=data, content_type="multipart/form-data"
    )


def test_a_csv_adds_or_retargets_and_can_replace_the_list(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    added = _upload(
        admin, wave, b"\xef\xbb\xbfarea_code,target_n\nKZ-75-D01-P02,9\nKZ-71-D01-P01,\n"
    )
    assert added.status_code == 303
    assert _listed(wave) == {**TARGETS, "KZ-75-D01-P02": 9, "KZ-71-D01-P01": None}
    replaced = _upload(admin, wave, b"area_code,target_n\r\nKZ-71-D02-P03,50\r\n", replace="y")
    assert replaced.status_code == 303
    assert _listed(wave) == {"KZ-71-D02-P03": 50}


def test_a_bad_csv_is_refused_and_changes_nothing(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    for content, message in [
        (b"code,n\nKZ-71-D01-P01,3\n", "must name the columns area_code,target_n"),
        (b"area_code,target_n\nKZ-71-D01-P01,x\nKZ-75-D01-P02,-2\n", "Line 2: A target"),
        (b"area_code,target_n\nKZ-00,3\n", "There are no areas with these codes: KZ-00."),
        (b"\xff\xfe\x00a", "not a UTF-8 CSV text file"),
        (b"area_code\x00,target_n\n", "not a UTF-8 CSV text file"),
    ]:
        response = _upload(admin, wave, content)
        assert response.status_code == 422, content
        assert message in response.get_data(as_text=True), content
    missing = admin.post(f"/en/admin/waves/{wave.id}/areas/csv", data={})
    assert missing.status_code == 422
    assert "Choose a CSV file to upload." in missing.get_data(as_text=True)
    assert _listed(wave) == TARGETS


def test_a_closed_wave_s_areas_cannot_change(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    wave.status = "closed"
    session.flush()
    page = admin.get(f"/en/admin/waves/{wave.id}/areas").get_data(as_text=True)
    assert "disabled" in page and "Add the district" not in page
    response = admin.post(
        f"/en/admin/waves/{wave.id}/areas/district", data={"district": "KZ-75-D01"}
    )
    assert response.status_code == 422
    assert _listed(wave) == TARGETS


def test_a_csv_larger_than_a_form_passes_the_csrf_check(
    admin: FlaskClient, session: Session, wave: Wave, csrf_on: None
) -> None:
    """A national list of precincts is larger than the app's 64 KiB limit for forms; the CSRF
    check reads the body before the view, so the wave's limit for its CSV applies there."""
    page = admin.get(f"/en/admin/waves/{wave.id}/areas").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    # The demo tree has few precincts: one of them, listed again and again (the last wins).
    lines = [f"KZ-75-D01-P02,{n % 90 + 1}" for n in range(6000)]
    content = ("area_code,target_n\n" + "\n".join(lines) + "\n").encode()
    assert 64 * 1024 < len(content) < 2_000_000
    response = _upload(admin, wave, content, csrf_token=token.group(1))
    assert response.status_code == 303
    assert _listed(wave)["KZ-75-D01-P02"] == 5999 % 90 + 1  # the last line's target
    without = _upload(admin, wave, content)
    assert without.status_code == 400
