"""The access matrix of the administration is complete: every route under ``/<lang>/admin/``
(whatever blueprint declares it) is listed, with its method, in the ``ROUTES`` of an access
test — the tests that send the signed-out to sign in and give every other role a 404 with
nothing changed. A new admin route that no access test lists fails here."""

from __future__ import annotations

import re
import string

from flask import Flask

from tests.admin.test_access import ROUTES as ADMIN
from tests.fieldwork.test_access import ROUTES as FIELDWORK
from tests.operations.test_access import ROUTES as OPERATIONS
from tests.posters.test_pages import ROUTES as POSTERS
from tests.questionnaires.test_access import ROUTES as QUESTIONNAIRES
from tests.units.test_access import ROUTES as UNITS

LISTED = [*ADMIN, *FIELDWORK, *OPERATIONS, *POSTERS, *QUESTIONNAIRES, *UNITS]
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _pattern(rule: str) -> re.Pattern[str]:
    """A URL rule (``/<lang>/admin/waves/<id:wave_id>``) as a regular expression."""
    parts, position = [], 0
    for match in CONVERTER.finditer(rule):
        parts.append(re.escape(rule[position : match.start()]))
        parts.append(r"\d+" if match.group(1) in ("id", "int") else r"[^/]+")
        position = match.end()
    parts.append(re.escape(rule[position:]))
    return re.compile("".join(parts) + r"$")


def _listed_urls() -> set[tuple[str, str]]:
    """The listed (method, path) pairs with their placeholders filled in, queries dropped."""
    urls = set()
    for method, template in LISTED:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        url = template.format(**{name: "kk" if name == "lang" else "1" for name in names})
        urls.add((method, url.split("?")[0]))
    return urls


def test_every_admin_route_is_in_an_access_test(app: Flask) -> None:
    listed = _listed_urls()
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/<lang>/admin"):
            continue
        pattern = _pattern(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if not any(m == method and pattern.match(url) for m, url in listed):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == []
