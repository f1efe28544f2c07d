"""The rendered posters read back: the QR code decodes to the unit's link with the poster's
marker, the Kazakh text and the unit's names are there in an embedded font, a district's
set has a page per precinct, and the SVG is one valid document with the same code."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy.orm import Session

from surveyapp.exports.posters import (
    PosterProblem,
    district_precincts,
    poster_pdf,
    poster_svg,
    survey_link,
)
from surveyapp.models import Area

from .conftest import BASE, DISTRICT, PRECINCT, pdf_fonts, pdf_pages, pdf_text, qr_codes, run

KAZAKH_LETTERS = "әғқңөұүһі"


def test_the_qr_code_of_a_poster_is_the_units_link_marked_qr(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    pdf = poster_pdf(session, [tree[PRECINCT]], base_url=BASE)
    assert pdf.startswith(b"%PDF")
    assert qr_codes(pdf, tmp_path) == [f"{BASE}/kk/u/{PRECINCT}?via=qr"]


def test_the_qr_code_opens_the_chosen_language(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    pdf = poster_pdf(session, [tree[PRECINCT]], base_url=BASE + "/", lang="ru")
    assert qr_codes(pdf, tmp_path) == [f"{BASE}/ru/u/{PRECINCT}?via=qr"]


def test_the_poster_speaks_three_languages_in_an_embedded_font(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    pdf = poster_pdf(session, [tree[PRECINCT]], base_url=BASE)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    precinct = tree[PRECINCT]
    for name in (precinct.name_kk, precinct.name_ru, precinct.name_en):
        assert name in text
    for context in ("Есіл ауданының полиция басқармасы", "Управление полиции района Есиль"):
        assert context in text  # the district above, for context
    assert "Полиция жұмысын бағалаңыз" in text
    assert "Оцените работу полиции" in text
    assert "Rate the work of your police" in text
    assert "Анонимді сауалнама, шамамен 3 минут" in text
    assert "Anonymous survey, about 3 minutes" in text
    assert set(KAZAKH_LETTERS) <= set(text.lower())
    assert f"survey.example.kz/kk/u/{PRECINCT}" in text  # the short link, printed
    assert f"Аумақ коды: {PRECINCT}" in text
    fonts = pdf_fonts(pdf, tmp_path)
    embedded = [line for line in fonts.splitlines() if "DejaVuSans" in line]
    assert embedded and all(" yes yes yes " in line for line in embedded)  # emb, sub, uni
    assert len(fonts.splitlines()) == 2 + len(embedded)  # no other font


def test_the_poster_is_one_a4_portrait_page_with_a_big_code(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    pdf = poster_pdf(session, [tree[PRECINCT]], base_url=BASE)
    source = tmp_path / "a4.pdf"
    source.write_bytes(pdf)
    info = run("pdfinfo", str(source))
    assert "Pages:           1" in info
    assert "595.28 x 841.89 pts (A4)" in info
    # At 150 dpi the symbol (its pure black modules; the text is not pure black) is at
    # least 8 cm wide and high: 472 px.
    run("pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "big"))
    [page] = tmp_path.glob("big*.png")
    with Image.open(page) as image:
        black = image.convert("L").point(lambda value: 255 if value == 0 else 0)
    left, top, right, bottom = black.getbbox()
    assert right - left >= 472 and bottom - top >= 472


def test_a_long_name_wraps_and_the_code_still_reads(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    precinct = tree[PRECINCT]
    precinct.name_kk = " ".join(["Ұзын атаулы шағынауданның учаскесі"] * 4)
    precinct.name_ru = " ".join(["Участок микрорайона с длинным названием"] * 4)
    pdf = poster_pdf(session, [precinct], base_url=BASE)
    assert pdf_pages(pdf, tmp_path) == 1
    assert qr_codes(pdf, tmp_path) == [f"{BASE}/kk/u/{PRECINCT}?via=qr"]


def test_a_districts_set_has_one_page_per_active_precinct_by_code(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    tree["KZ-71-D01-P03"].is_active = False
    session.flush()
    precincts = district_precincts(session, tree[DISTRICT])
    assert [area.code for area in precincts] == [PRECINCT, "KZ-71-D01-P02"]
    tree["KZ-71-D01-P03"].is_active = True
    session.flush()
    precincts = district_precincts(session, tree[DISTRICT])
    pdf = poster_pdf(session, precincts, base_url=BASE, lang="en")
    assert pdf_pages(pdf, tmp_path) == 3
    assert qr_codes(pdf, tmp_path) == [
        f"{BASE}/en/u/{code}?via=qr" for code in (PRECINCT, "KZ-71-D01-P02", "KZ-71-D01-P03")
    ]
    text = pdf_text(pdf, tmp_path)
    assert "Үшқоңыр учаскесі" in text and "Әуезов көшесінің учаскесі" in text


def test_a_set_is_made_only_for_a_district_with_precincts(
    session: Session, tree: dict[str, Area]
) -> None:
    with force_locale("en"):
        with pytest.raises(PosterProblem, match="is not a district"):
            district_precincts(session, tree[PRECINCT])
        with pytest.raises(PosterProblem, match="no active precincts"):
            district_precincts(session, tree["KZ-71-D02"])


def test_the_svg_is_one_valid_document_with_the_code(
    session: Session, tree: dict[str, Area], tmp_path: Path
) -> None:
    svg = poster_svg(session, tree[PRECINCT], base_url=BASE, lang="kk")
    root = ET.fromstring(svg.encode("utf-8"))
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    assert root.get("width") == "210mm" and root.get("height") == "297mm"
    texts = " ".join(element.text or "" for element in root.iter(f"{namespace}text"))
    assert tree[PRECINCT].name_kk in texts and tree[PRECINCT].name_en in texts
    assert "Полиция жұмысын бағалаңыз" in texts
    [code] = [p for p in root.iter(f"{namespace}path") if p.get("data-link")]
    assert code.get("data-link") == f"{BASE}/kk/u/{PRECINCT}?via=qr"
    assert code.get("d", "").count("z") > 50  # the dark modules


def test_the_site_address_must_be_a_web_address(session: Session, tree: dict[str, Area]) -> None:
    for bad in ("", "survey.example.kz", "ftp://x", "https://a b", "https://x/?q=1"):
        with pytest.raises(PosterProblem):
            poster_pdf(session, [tree[PRECINCT]], base_url=bad)
    assert survey_link("https://x.kz/app/", "A-1", "en") == "https://x.kz/app/en/u/A-1?via=qr"
    assert survey_link("https://x.kz", "A-1", "en", marked=False) == "https://x.kz/en/u/A-1"
