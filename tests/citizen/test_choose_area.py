"""The area chooser: the district first, then its precincts with the places they serve (the
whole district offered once); or a search by street or locality within the region."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.collation import search_key
from surveyapp.models import Area, AreaPlace, Wave
from tests.factories import import_areas

from .conftest import SURVEY

CHOOSER = f"/{{lang}}/s/{SURVEY}"
WHOLE_DISTRICT = {
    "kk": "Учаскемді білмеймін: бүкіл аудан",
    "ru": "Не знаю свой участок: весь район",
    "en": "I do not know my precinct: the whole district",
}

PLACES = {
    "KZ-71-D01-P01": [
        ("locality", "Ақсу", "Аксу", "Aksu"),
        ("locality", "Жаңаталап", "Жанаталап", "Zhanatalap"),
        ("street", "Абай даңғылы", "проспект Абая", "Abay Avenue"),
        ("street", "Сәтбаев көшесі", "улица Сатпаева", "Satpayev Street"),
        ("street", "Төле би көшесі", "улица Толе би", "Tole Bi Street"),
        ("street", "Жамбыл көшесі", "улица Жамбыла", "Zhambyl Street"),
    ],
    "KZ-71-D01-P02": [("locality", "Берёзовка", "Берёзовка", "Beryozovka")],
    "KZ-71-D02-P03": [("locality", "Қосшы", "Косшы", "Kosshy")],
    "KZ-75-D01-P01": [("locality", "Жаңаталап", "Жанаталап", "Zhanatalap")],  # another region
    "KZ-71-D09-P09": [("locality", "Үшқоңыр", "Ушконыр", "Ushkonyr")],  # not covered
}


@pytest.fixture
def places(session: Session, wave: Wave) -> None:
    """The places of the fixture's precincts, and a precinct the wave does not cover."""
    import_areas(
        session, [("KZ-71-D09", "KZ-71-PD", "district"), ("KZ-71-D09-P09", "KZ-71-D09", "precinct")]
    )
    for code, rows in PLACES.items():
        area = session.scalars(select(Area).where(Area.code == code)).one()
        for position, (kind, kk, ru, en) in enumerate(rows):
            names = {"kk": kk, "ru": ru, "en": en}
            area.places.append(AreaPlace.named(kind, position, names))
    session.flush()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def get(client: FlaskClient, lang: str, query: str) -> tuple[int, str]:
    response = client.get(CHOOSER.format(lang=lang) + "?" + query)
    return response.status_code, response.get_data(as_text=True)


def search(client: FlaskClient, lang: str, q: str, region: str = "KZ-71") -> tuple[int, str]:
    return get(client, lang, f"region={region}&q={quote(q)}")


# --- district, then precinct -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_district_comes_first_and_the_whole_district_is_offered_once(
    client: FlaskClient, places: None, lang: str
) -> None:
    status, page = get(client, lang, "region=KZ-71")
    assert status == 200
    assert 'name="district" value="KZ-71-D01"' in page
    assert 'name="district" value="KZ-71-D02"' in page
    assert 'name="district" value="KZ-71-D09"' not in page  # none of its precincts covered
    assert 'name="area"' not in page and WHOLE_DISTRICT[lang] not in page
    status, page = get(client, lang, "region=KZ-71&district=KZ-71-D01")
    assert status == 200
    assert 'name="area" value="KZ-71-D01-P01"' in page
    assert 'name="area" value="KZ-71-D01-P02"' in page
    assert 'value="KZ-71-D02-P03"' not in page  # another district's
    assert page.count(WHOLE_DISTRICT[lang]) == 1
    assert page.count('name="area" value="KZ-71-D01"') == 1


def test_each_precinct_is_shown_with_the_places_it_serves_in_the_page_language(
    client: FlaskClient, places: None
) -> None:
    expected = {
        "kk": (
            "KZ-71-D01-P01 kk — Ақсу, Жаңаталап",
            "Абай даңғылы, Сәтбаев көшесі, Төле би көшесі",
        ),
        "ru": (
            "KZ-71-D01-P01 ru — Аксу, Жанаталап",
            "проспект Абая, улица Сатпаева, улица Толе би",
        ),
        "en": (
            "KZ-71-D01-P01 en — Aksu, Zhanatalap",
            "Abay Avenue, Satpayev Street, Tole Bi Street",
        ),
    }
    more = {"kk": "және тағы 1", "ru": "и ещё 1", "en": "and 1 more"}
    for lang, (localities, streets) in expected.items():
        _, page = get(client, lang, "region=KZ-71&district=KZ-71-D01")
        text = _text(page)
        assert localities in text, lang
        assert f"{streets} {more[lang]}" in text, lang  # three streets named, the fourth counted
        assert "Жамбыл" not in text and "Zhambyl" not in text


def test_a_region_with_one_district_goes_straight_to_its_precincts(
    client: FlaskClient, places: None
) -> None:
    status, page = get(client, "en", "region=KZ-75")
    assert status == 200
    assert 'name="area" value="KZ-75-D01-P01"' in page and "Zhanatalap" in page
    assert page.count(WHOLE_DISTRICT["en"]) == 1


def test_an_unknown_or_empty_district_gets_a_message(client: FlaskClient, places: None) -> None:
    for query in ("region=KZ-71&district=", "region=KZ-71&district=KZ-75-D01"):
        status, page = get(client, "ru", query)
        assert status == 422, query
        assert "Выберите свой район из списка." in page
        assert 'name="district" value="KZ-71-D01"' in page  # offered again


def test_choosing_a_precinct_or_the_whole_district_opens_the_survey(
    client: FlaskClient, places: None
) -> None:
    for area in ("KZ-71-D01-P02", "KZ-71-D01"):
        response = client.get(f"/en/s/{SURVEY}?region=KZ-71&district=KZ-71-D01&area={area}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/en/s/{SURVEY}/{area}")


# --- search by street or locality -------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "q", "marked"),
    [
        ("kk", "Жаңаталап", "<mark>Жаңаталап</mark>"),
        ("ru", "жанаталап", "<mark>Жанаталап</mark>"),  # the Russian name, in lower case
        ("en", "ZHANATALAP", "<mark>Zhanatalap</mark>"),
        ("en", "жаңатал", "<mark>Жаңатал</mark>ап"),  # typed in Kazakh on an English page
        ("kk", "жанаталап", "<mark>Жаңаталап</mark>"),  # a Russian keyboard: ң typed as н
        ("ru", "сатпаева", "улица <mark>Сатпаева</mark>"),
        ("kk", "абай", "<mark>Абай</mark> даңғылы"),
        ("en", "abay  avenue", "<mark>Abay Avenue</mark>"),
        ("en", "Tole-bi", "<mark>Tole Bi</mark> Street"),  # punctuation is a space
        ("ru", "толе би", "улица <mark>Толе би</mark>"),
    ],
)
def test_a_street_or_locality_finds_its_precinct_in_any_language(
    client: FlaskClient, places: None, lang: str, q: str, marked: str
) -> None:
    status, page = search(client, lang, q)
    assert status == 200
    assert f'href="/{lang}/s/{SURVEY}/KZ-71-D01-P01"' in page
    assert marked in page
    assert "KZ-75-D01-P01" not in page  # the same village in another region is not listed
    assert f'href="/{lang}/s/{SURVEY}/KZ-71-D01-P02"' not in page


def test_a_match_in_another_language_also_names_the_place_in_the_page_language(
    client: FlaskClient, places: None
) -> None:
    _, page = search(client, "en", "Жаңаталап")
    assert '<span lang="kk"><mark>Жаңаталап</mark></span> (Zhanatalap)' in page


@pytest.mark.parametrize("q", ["берёзовка", "БЕРЕЗОВКА", "Березовка", "берЕзовКА"])
def test_yo_and_ye_and_case_are_the_same_letter(client: FlaskClient, places: None, q: str) -> None:
    status, page = search(client, "ru", q)
    assert status == 200
    assert f'href="/ru/s/{SURVEY}/KZ-71-D01-P02"' in page
    assert "<mark>Берёзовка</mark>" in page


@pytest.mark.parametrize(
    ("q", "marked"),
    [
        ("Қосшы", "<mark>Қосшы</mark>"),
        ("косшы", "<mark>Қосшы</mark>"),
        ("ҚОСШЫ", "<mark>Қосшы</mark>"),
        ("қосш", "<mark>Қосш</mark>ы"),
        ("Kosshy", '<span lang="en"><mark>Kosshy</mark></span> (Қосшы)'),
    ],
)
def test_kazakh_letters_match_with_or_without_them(
    client: FlaskClient, places: None, q: str, marked: str
) -> None:
    _, page = search(client, "kk", q)
    assert f'href="/kk/s/{SURVEY}/KZ-71-D02-P03"' in page
    assert marked in page


def test_a_precinct_the_wave_does_not_cover_is_not_found(client: FlaskClient, places: None) -> None:
    status, page = search(client, "ru", "Ушконыр")
    assert status == 200
    assert "KZ-71-D09-P09" not in page
    assert "Ни одна улица или населённый пункт этого региона не совпадает" in page


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "No street or locality of this region matches “Atlantis”"),
        ("ru", "Ни одна улица или населённый пункт этого региона не совпадает с «Atlantis»"),
        ("kk", "«Atlantis» атауына сәйкес келетін"),
    ],
)
def test_no_match_says_so_and_leaves_the_district_choice(
    client: FlaskClient, places: None, lang: str, message: str
) -> None:
    status, page = search(client, lang, "Atlantis")
    assert status == 200
    assert message in page
    assert 'name="district" value="KZ-71-D01"' in page


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a", "Please type at least 2 letters"),
        ("   ", "Please type at least 2 letters"),
        ("!?", "Please type at least 2 letters"),
        ("x" * 101, "Please type a shorter name: at most 100 characters."),
    ],
)
def test_a_bad_query_gets_a_message_not_an_error(
    client: FlaskClient, places: None, q: str, message: str
) -> None:
    status, page = search(client, "en", q)
    assert status == 422
    assert message in page
    assert "\x00" not in page and "\x1b" not in page
    assert 'value="' + "x" * 101 not in page  # not echoed beyond the field's limit
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("q", ["ab\x00cd", "Абай\nдаңғылы", "\x1b[31mabay"])
def test_a_control_character_in_the_query_is_a_translated_400(
    client: FlaskClient, places: None, q: str
) -> None:
    """Refused before the chooser reads it (surveyapp/inputs.py), and never echoed."""
    status, page = search(client, "ru", q)
    assert status == 400
    assert "недопустимые символы" in page
    assert "\x00" not in page and "\x1b" not in page and "даңғылы" not in page


def test_nul_in_any_parameter_is_no_server_error(client: FlaskClient, places: None) -> None:
    for query in ("region=%00", "region=KZ-71&district=%00", "region=KZ-71&area=%00"):
        status, _ = get(client, "en", query)
        assert status == 400, query
    assert client.get(f"/en/s/{SURVEY}/KZ%00").status_code == 400


def test_many_matches_are_cut_with_a_note(
    client: FlaskClient, session: Session, wave: Wave
) -> None:
    from surveyapp.citizen.services import SEARCH_MAX_PRECINCTS
    from surveyapp.models import WaveArea

    district = session.scalars(select(Area).where(Area.code == "KZ-71-D01")).one()
    for number in range(SEARCH_MAX_PRECINCTS + 1):
        code = f"KZ-71-D01-X{number:02d}"
        area = import_areas(session, [(code, "KZ-71-D01", "precinct")])[code]
        area.places.append(AreaPlace.named("street", 0, {"kk": "Ақ", "ru": "Ак", "en": "Ak"}))
        wave.areas.append(WaveArea(area=area, target_n=1))
    session.flush()
    assert district.code == "KZ-71-D01"
    status, page = search(client, "en", "ak")
    assert status == 200
    assert page.count('<li>\n      <a href="/en/s/') == SEARCH_MAX_PRECINCTS
    assert "More precincts match: type more of the name" in page


def test_the_search_key_folds_case_yo_kazakh_letters_accents_and_punctuation() -> None:
    assert search_key("  Жаңа-Талап, ауылы!  ") == "жана талап ауылы"
    assert search_key("Берёзовка") == search_key("БЕРЕЗОВКА") == "березовка"
    assert (
        search_key("Әуезов Ғабит Қожа Ұлы Үй Һ Өзен Іле") == "ауезов габит кожа улы уй х озен иле"
    )
    assert search_key("Almatı Şymkent Ürjar") == "almati symkent urjar"
