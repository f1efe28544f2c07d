"""A small police tree with names in Kazakh, Russian and English, an open wave over some of
its precincts, accounts of every role, and helpers that read a rendered poster back (with
poppler's and zbar's command-line tools: CI installs them, and a test fails without them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from surveyapp.models import Area, Wave, WaveArea
from surveyapp.services.geography import load_regions
from tests.factories import import_areas, make_wave

BASE = "https://survey.example.kz"
DISTRICT = "KZ-71-D01"
PRECINCT = "KZ-71-D01-P01"
# (code, parent, kind, kk, ru, en)
TREE = [
    ("KZ-71-PD", "KZ-71", "department", "Астана қаласының ПД", "ДП города Астаны", "Astana PD"),
    (
        DISTRICT,
        "KZ-71-PD",
        "district",
        "Есіл ауданының полиция басқармасы",
        "Управление полиции района Есиль",
        "Esil district police",
    ),
    (
        PRECINCT,
        DISTRICT,
        "precinct",
        "Гауһар тас шағынауданының учаскесі",
        "Участок микрорайона Гаухар тас",
        "Gauhar Tas neighbourhood precinct",
    ),
    (
        "KZ-71-D01-P02",
        DISTRICT,
        "precinct",
        "Әуезов көшесінің учаскесі",
        "Участок улицы Ауэзова",
        "Auezov Street precinct",
    ),
    (
        "KZ-71-D01-P03",
        DISTRICT,
        "precinct",
        "Үшқоңыр учаскесі",
        "Участок Ушконыр",
        "Ushkonyr precinct",
    ),
    ("KZ-71-D02", "KZ-71-PD", "district", "Сарыарқа ауданы", "Район Сарыарка", "Saryarka"),
]
TOOLS = ("pdftoppm", "zbarimg", "pdffonts", "pdftotext", "pdfinfo")


@pytest.fixture
def tree(session: Session) -> dict[str, Area]:
    """The regions and the tree above; the areas by code."""
    load_regions(session)
    return import_areas(session, TREE, "poster test tree")


@pytest.fixture
def wave(session: Session, tree: dict[str, Area]) -> Wave:
    """An open public wave over the first two precincts of the district."""
    wave = make_wave(session, code="poster-wave")
    for code in (PRECINCT, "KZ-71-D01-P02"):
        wave.areas.append(WaveArea(area=tree[code], target_n=10))
    session.flush()
    return wave


@pytest.fixture
def regions(tree: dict[str, Area]) -> None:
    """The regions the accounts' scopes name: loaded with the tree."""


def tool(name: str) -> str:
    """The path of a command-line tool the poster tests need; fails (never skips) without it."""
    path = shutil.which(name)
    assert path is not None, f"{name} is missing: install poppler-utils and zbar-tools"
    return path


def run(*args: str) -> str:
    return subprocess.run(
        [tool(args[0]), *args[1:]], check=True, capture_output=True, text=True, timeout=120
    ).stdout


def qr_codes(pdf: bytes, directory: Path) -> list[str]:
    """The text of the QR code on each page of ``pdf``, page by page (rendered at 150 dpi)."""
    source = directory / "poster.pdf"
    source.write_bytes(pdf)
    run("pdftoppm", "-r", "150", "-png", str(source), str(directory / "page"))
    return [
        run("zbarimg", "--raw", "-q", str(page)).strip()
        for page in sorted(directory.glob("page*.png"))
    ]


def pdf_text(pdf: bytes, directory: Path) -> str:
    source = directory / "text.pdf"
    source.write_bytes(pdf)
    return run("pdftotext", "-raw", str(source), "-")


def pdf_pages(pdf: bytes, directory: Path) -> int:
    source = directory / "info.pdf"
    source.write_bytes(pdf)
    info = run("pdfinfo", str(source))
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def pdf_fonts(pdf: bytes, directory: Path) -> str:
    source = directory / "fonts.pdf"
    source.write_bytes(pdf)
    return run("pdffonts", str(source))
