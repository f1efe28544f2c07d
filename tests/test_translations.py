"""The catalogs are complete in kk, ru and en, and the template is not stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LOCALES = ("kk", "ru", "en")


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        str(message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id
    }


def test_template_matches_a_fresh_extraction(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    committed = _ids(_catalog(TRANSLATIONS / "messages.pot"))
    extracted = _ids(_catalog(fresh))
    assert extracted - committed == set(), "new strings: run `make update-catalogs` and translate"
    assert committed - extracted == set(), "stale strings: run `make update-catalogs`"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale: str) -> None:
    template_ids = _ids(_catalog(TRANSLATIONS / "messages.pot"))
    catalog = _catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    assert _ids(catalog) == template_ids, "catalog out of step with the template"
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (not message.string or (isinstance(message.string, tuple) and not all(message.string)))
    ]
    assert not catalog.fuzzy, "the catalog header is marked fuzzy: pybabel compile would skip it"
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", ("kk", "ru"))
def test_catalog_is_really_translated(locale: str) -> None:
    """kk and ru are not copies of the English source (placeholders aside)."""
    catalog = _catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    copied = [
        message.id
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and message.string == message.id
        and any(ch.isalpha() for ch in message.id.replace("%(", "").split(")s")[-1])
    ]
    assert copied == []


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]")
    catalog = _catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(pattern.findall(ids[0]))
        for string in strings:
            assert set(pattern.findall(string)) == expected, (locale, message.id, string)


def test_no_message_is_defined_twice() -> None:
    """A name assigned twice in surveyapp/messages.py silently replaces the first message."""
    import ast

    tree = ast.parse((ROOT / "surveyapp" / "messages.py").read_text(encoding="utf-8"))
    names = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []
