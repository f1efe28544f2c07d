"""A wave's interviews page: a fieldwork agency's file and its mapping uploaded, every row
checked and previewed, then imported (audited); a bad file stores nothing, its problems named
by row and column in the reader's language."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from surveyapp.models import Answer, PendingUpload, Response, ResponseDesign, User, Wave
from tests.imports.support import counts
from tests.imports.test_fieldwork import HEADER, MAPPING, ROWS

from .conftest import audit

# The imports' rows moved to this wave's precincts: stratum A = P01, P02; B = D02-P03, KZ-75.
LINES = [row.replace("KZ-71-D02-P04", "KZ-75-D01-P01") for row in ROWS]
MODELS = (Response, ResponseDesign, Answer)


def _post(admin: FlaskClient, wave: Wave, data: bytes, mapping: bytes = MAPPING.encode()):  # type: ignore[no-untyped-def]
    form = {
        "file": (io.BytesIO(data), "agency.csv"),
        "mapping": (io.BytesIO(mapping), "mapping.yaml"),
    }
    return admin.post(
        f"/en/admin/waves/{wave.id}/interviews", data=form, content_type="multipart/form-data"
    )


def _csv(lines: list[str]) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def _upload_id(page: TestResponse) -> str:
    text = page.get_data(as_text=True)
    return text.split('name="upload" type="hidden" value="')[1].split('"')[0]


def test_preview_then_import(admin: FlaskClient, session: Session, wave: Wave) -> None:
    page = admin.get(f"/en/admin/waves/{wave.id}/interviews")
    assert page.status_code == 200
    assert "Interviews of a fieldwork agency" in page.get_data(as_text=True)

    preview = _post(admin, wave, _csv(LINES))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200, text
    assert "Every row of agency.csv has been checked." in text
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}
    assert counts(session, PendingUpload) == {"PendingUpload": 1}

    done = admin.post(
        f"/en/admin/waves/{wave.id}/interviews/import", data={"upload": _upload_id(preview)}
    )
    assert done.status_code == 303
    assert counts(session, *MODELS)["Response"] == 8
    assert counts(session, *MODELS)["ResponseDesign"] == 8
    assert counts(session, PendingUpload) == {"PendingUpload": 0}
    [event] = audit(session, "fieldwork.import")
    assert event.actor == "admin-1"
    assert event.details["strata"] == 2 and event.details["psus"] == 4
    after = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "8 interviews have been imported into this wave." in after


def test_a_bad_file_is_refused_row_by_row_in_the_reader_s_language(
    admin: FlaskClient, session: Session, wave: Wave
) -> None:
    bad = [*LINES[:2], "3,KZ-71-D01-P02,A,A2,0,4,2,5,2,7,2,3,2,,,Iv", *LINES[3:]]
    response = _post(admin, wave, _csv(bad))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing has been imported" in text
    assert "row 4 › column “wt”: “0” is not a base weight" in text
    assert "row 4 › column “q1”: “7” is not a code of question “trust_level”" in text
    form = {
        "file": (io.BytesIO(_csv(bad)), "agency.csv"),
        "mapping": (io.BytesIO(MAPPING.encode()), "mapping.yaml"),
    }
    russian = admin.post(
        f"/ru/admin/waves/{wave.id}/interviews", data=form, content_type="multipart/form-data"
    )
    assert russian.status_code == 422
    assert "строка 4" in russian.get_data(as_text=True)
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}
    assert counts(session, PendingUpload) == {"PendingUpload": 0}
    assert audit(session, "fieldwork.import") == []


def test_missing_files_and_a_stale_upload_are_refused(
    admin: FlaskClient, session: Session, wave: Wave, accounts: dict[str, User]
) -> None:
    response = admin.post(
        f"/en/admin/waves/{wave.id}/interviews",
        data={"file": (io.BytesIO(_csv(LINES)), "agency.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose the interviews file" in response.get_data(as_text=True)
    gone = admin.post(f"/en/admin/waves/{wave.id}/interviews/import", data={"upload": "999"})
    assert gone.status_code == 422
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}


def test_a_file_larger_than_a_form_passes_the_csrf_check(
    admin: FlaskClient, session: Session, wave: Wave, csrf_on: None
) -> None:
    """The CSRF check reads the body before the view: with the app's 64 KiB limit for forms it
    refused (413) an agency's file of a realistic size before the upload's own limit applied."""
    rows = [f"{i}," + LINES[i % len(LINES)].split(",", 1)[1] for i in range(1, 2001)]
    data = _csv(rows)
    assert len(data) > 64 * 1024
    page = admin.get(f"/en/admin/waves/{wave.id}/interviews").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    form = {
        "file": (io.BytesIO(data), "agency.csv"),
        "mapping": (io.BytesIO(MAPPING.encode()), "mapping.yaml"),
        "csrf_token": token.group(1),
    }
    preview = admin.post(
        f"/en/admin/waves/{wave.id}/interviews", data=form, content_type="multipart/form-data"
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200, text[:500]
    assert "Every row of agency.csv has been checked." in text
    # Without the token the same file is refused, and nothing is kept.
    del form["csrf_token"]
    form["file"] = (io.BytesIO(data), "agency.csv")
    form["mapping"] = (io.BytesIO(MAPPING.encode()), "mapping.yaml")
    refused = admin.post(
        f"/en/admin/waves/{wave.id}/interviews", data=form, content_type="multipart/form-data"
    )
    assert refused.status_code == 400
    assert counts(session, PendingUpload) == {"PendingUpload": 1}
    done = admin.post(
        f"/en/admin/waves/{wave.id}/interviews/import",
        data={"upload": _upload_id(preview), "csrf_token": token.group(1)},
    )
    assert done.status_code == 303
    assert counts(session, *MODELS)["Response"] == 2000
