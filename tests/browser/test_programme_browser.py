"""The programme run from the browser, as an administrator would, on a database that holds
only the regions and an administrator's account: the police unit tree uploaded (preview,
then import), an XLSForm questionnaire in three languages uploaded, previewed in Kazakh and
published, the population margins uploaded, a wave opened for one district with a target
per precinct, that district's QR posters downloaded (the code read back from the PDF leads
to a precinct's survey), one answer given through that link, and the wave's progress page
showing it with the channel "QR poster". Every page on the way is checked at a phone's
width (language, axe, no sideways scrolling, nothing in the console)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveyapp.demo.tree import demo_tree_rows, read_region_rows
from surveyapp.exports.instrument_file import write_xlsform
from surveyapp.extensions import db
from surveyapp.imports.instrument import read_instrument_file
from surveyapp.models import Area, Instrument, Response, User, Wave
from surveyapp.services.geography import load_regions
from tests.clock import session_now

from .conftest import LiveServer, screenshot, serving
from .staff import Watch, check_current, visit
from .survey_flow import ANSWERS, answer_all, submit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "surveyapp" / "instruments" / "police-trust-2026.yaml"
MARGINS = ROOT / "surveyapp" / "data" / "demo_margins.csv"
ADMIN, PASSWORD = "programme-admin", "a programme admin password"
CODE = "district-pilot-2027"
WAVE = "pilot-kz71-d01"
DISTRICT = "KZ-71-D01"
TARGET = 40


def tree_csv() -> bytes:
    """The demo's police unit tree below the regions, as the unit-tree CSV."""
    rows = demo_tree_rows(read_region_rows(), seed=5)
    text = io.StringIO()
    columns = ("code", "parent_code", "kind", "name_kk", "name_ru", "name_en")
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: getattr(row, column) for column in columns})
    return text.getvalue().encode("utf-8")


def instrument_workbook() -> tuple[bytes, dict[str, Any]]:
    """The shipped questionnaire under a new code, as an XLSForm workbook in kk, ru and en."""
    document = read_instrument_file(SHIPPED)
    document["code"], document["version"] = CODE, 1
    return write_xlsform(document), document


def seed_programme(session: Session) -> None:
    """The country, its regions and one administrator."""
    load_regions(session)
    session.add(
        User(
            username=ADMIN,
            password_hash=generate_password_hash(PASSWORD),
            role="admin",
            locale="en",
        )
    )


@pytest.fixture(scope="module")
def programme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server on a database with the country, its regions and one administrator."""
    with serving(tmp_path_factory.mktemp("programme"), seed_programme) as server:
        yield server


def post_and_wait(page: Any, button: Any) -> int:
    """Click a form's submit ``button``; the status of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    return int(navigation.value.status)


def decoded_qr(pdf: Path, page_number: int, directory: Path) -> str:
    """The text of the QR code on page ``page_number`` of ``pdf`` (poppler, then zbar)."""
    prefix = directory / f"page-{page_number}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            str(page_number),
            "-l",
            str(page_number),
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    (image,) = sorted(directory.glob(f"page-{page_number}*.png"))
    result = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_administrator_runs_a_district_pilot_from_the_browser(
    programme_server: LiveServer,
    new_page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    base, app = programme_server.url, programme_server.app
    page: Any = new_page(accept_downloads=True)  # 360 px wide, JavaScript on, the real CSP
    watch = Watch(page)
    problems: list[str] = []
    try:
        # Sign in.
        page.goto(f"{base}/en/login")
        page.fill("#username", ADMIN)
        page.fill("#password", PASSWORD)
        assert post_and_wait(page, page.locator("main button[type=submit]")) == 200
        watch.take()

        # 1. The police unit tree: preview what the file changes, then import it.
        problems += visit(page, watch, f"{base}/en/admin/units/", "units", "en")
        tree = tree_csv()
        page.locator("input[type=file]").first.set_input_files(
            {"name": "units.csv", "mimeType": "text/csv", "buffer": tree}
        )
        status = post_and_wait(page, page.get_by_role("button", name=re.compile("preview")))
        assert status == 200
        problems += check_current(page, watch, "unit tree preview", "en")
        with app.app_context():
            assert db.session.scalar(select(Area).where(Area.code == DISTRICT)) is None
        assert DISTRICT in page.content()
        assert post_and_wait(page, page.get_by_role("button", name="Import these changes")) == 200
        problems += check_current(page, watch, "units after import", "en")
        with app.app_context():
            district = db.session.scalars(select(Area).where(Area.code == DISTRICT)).one()
            precincts = sorted(
                area.code
                for area in db.session.scalars(select(Area).where(Area.parent_id == district.id))
            )
        assert precincts and all(code.startswith(f"{DISTRICT}-P") for code in precincts)

        # 2. The questionnaire as an XLSForm workbook in three languages: a draft, previewed
        #    in Kazakh as a citizen would see it, then published.
        workbook, document = instrument_workbook()
        problems += visit(page, watch, f"{base}/en/admin/instruments/upload", "upload", "en")
        page.locator("input[type=file]").set_input_files(
            {
                "name": f"{CODE}.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook,
            }
        )
        assert post_and_wait(page, page.locator("main form button[type=submit]")) == 200
        assert re.search(r"/en/admin/instruments/\d+$", page.url), page.url
        problems += check_current(page, watch, "draft version", "en")
        instrument_url = page.url
        trust = next(
            question
            for section in document["sections"]
            for question in section["questions"]
            if question["code"] == "trust_level"
        )
        problems += visit(
            page,
            watch,
            f"{instrument_url}/preview".replace("/en/", "/kk/", 1),
            "preview in Kazakh",
            "kk",
        )
        assert trust["text"]["kk"] in page.locator("#q-trust_level").inner_text()
        assert page.locator("#q-trust_level input[type=radio]").count() == len(trust["options"])
        page.goto(instrument_url)
        page.locator("input[name=confirm]").check()
        publish = page.get_by_role("button", name=re.compile("Publish version 1"))
        assert post_and_wait(page, publish) == 200
        problems += check_current(page, watch, "published version", "en")
        with app.app_context():
            instrument = db.session.scalars(select(Instrument).where(Instrument.code == CODE)).one()
            assert instrument.status == "published"
            assert instrument.question("trust_level").text("ru") == trust["text"]["ru"]

        # 3. The population margins: compared with what is stored (nothing yet), then stored.
        problems += visit(page, watch, f"{base}/en/admin/margins/", "margins", "en")
        page.locator("input[type=file]").first.set_input_files(str(MARGINS))
        assert post_and_wait(page, page.get_by_role("button", name=re.compile("Check"))) == 200
        problems += check_current(page, watch, "margins preview", "en")
        store = page.get_by_role("button", name="Store these margins as a new version")
        assert post_and_wait(page, store) == 200
        problems += check_current(page, watch, "margins history", "en")
        assert page.locator("table").filter(has_text="1").count() >= 1

        # 4. A wave for one district, open from today, with a target for each precinct.
        today = session_now().date()
        problems += visit(page, watch, f"{base}/en/admin/waves/new", "new wave", "en")
        page.fill("#code", WAVE)
        page.fill("#name_kk", "Аудандағы пилоттық сауалнама")
        page.fill("#name_ru", "Пилотный опрос в районе")
        page.fill("#name_en", "District pilot survey")
        choice = page.locator("#instrument option").filter(has_text=CODE)
        page.locator("#instrument").select_option(choice.get_attribute("value"))
        page.fill("#opens_at", today.isoformat())
        page.fill("#closes_at", (today + timedelta(days=90)).isoformat())
        page.fill("#district", DISTRICT)
        page.fill("#district_target", str(TARGET))
        assert post_and_wait(page, page.locator("main form button[type=submit]").last) == 200
        problems += check_current(page, watch, "the new wave", "en")
        with app.app_context():
            wave = db.session.scalars(select(Wave).where(Wave.code == WAVE)).one()
            assert wave.status == "open"
            assert sorted(link.area.code for link in wave.areas) == precincts
            assert {link.target_n for link in wave.areas} == {TARGET}
            wave_id = wave.id

        # 5. The district's posters: one PDF, a page per precinct; the QR code of the first
        #    page leads to the first precinct's survey, marked as coming from a poster.
        problems += visit(page, watch, f"{base}/en/admin/posters/", "posters", "en")
        link = page.locator(f"a[href*='/admin/posters/district/{DISTRICT}.pdf']").first
        with page.expect_download() as download:
            link.click()
        pdf = tmp_path / "posters.pdf"
        download.value.save_as(pdf)
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        assert re.search(rf"^Pages:\s+{len(precincts)}$", pages.stdout, re.M), pages.stdout
        survey_link = decoded_qr(pdf, 1, tmp_path)
        assert survey_link == f"{base}/kk/u/{precincts[0]}?via=qr"

        # 6. A citizen answers once through that link (the poster's Kazakh page).
        citizen: Any = new_page()
        citizen.goto(survey_link)
        assert citizen.locator("html").get_attribute("lang") == "kk"
        answer_all(citizen, ANSWERS)
        assert submit(citizen) == 303  # stored, then the thank-you page
        assert "/kk/thanks" in citizen.url
        with app.app_context():
            response = db.session.scalars(select(Response)).one()
            assert (response.channel, response.wave_id) == ("qr", wave_id)
            assert response.locale == "kk"

        # 7. The wave's progress page: the precinct has its response, against its target,
        #    and the channels show it came from a QR poster.
        url = f"{base}/en/admin/waves/{wave_id}/progress"
        problems += visit(page, watch, url, "progress", "en")
        row = page.locator("table.progress tbody tr").filter(has_text=precincts[0])
        assert row.count() == 1
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        assert "1" in cells and str(TARGET) in cells, cells
        channel = page.locator("table[aria-labelledby=channel-heading] tbody tr")
        assert channel.count() == 1
        assert channel.first.locator("th").inner_text() == "QR poster"
        assert channel.first.locator("td").first.inner_text().strip() == "1"
        # The furthest behind come first: the precinct with its one response is last.
        first_rows = page.locator("table.progress tbody tr th").all_inner_texts()
        assert precincts[0] in first_rows[-1]
    except Exception:
        screenshot(page, "programme-walk")
        raise
    assert problems == []
