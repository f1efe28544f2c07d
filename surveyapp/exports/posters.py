"""Printable QR posters of a police unit: one A4 portrait page per unit, as PDF or SVG.

A poster carries the unit's name (and its district and region) in Kazakh, Russian and
English, an invitation in the three languages, a QR code of the unit's survey link and
that link printed under it. The QR code (made by segno) encodes
``<base_url>/<lang>/u/<code>?via=qr``: the marker makes the answers count as channel
``qr`` (:data:`surveyapp.categories.QR_MARKER`); the printed link leaves the marker out, so
that an address typed by hand counts as ``web``.

The PDF (fpdf2) embeds subsets of DejaVu Sans, which has every Kazakh letter
(``fonts/``, with its licence). The SVG draws the same layout with the QR code as one path;
its text names the font with fallbacks (an SVG cannot embed a font portably).

Shared by the poster pages and ``flask surveyapp poster``; texts are taken from
:mod:`surveyapp.messages` under :func:`flask_babel.force_locale`, so an application
context is needed, not a request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import segno
from flask_babel import force_locale
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import messages as M
from ..categories import LOCALES, QR_MARKER
from ..imports.geography import AREA_CODE
from ..models import Area

FONT_DIR = Path(str(resources.files("surveyapp.exports").joinpath("fonts")))
FONT_FAMILY = "DejaVu Sans"
SVG_FONTS = "'DejaVu Sans', 'Noto Sans', 'PT Sans', Arial, sans-serif"
PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, millimetres
MARGIN = 15.0
QR_BOX = 100.0  # the code with its quiet zone (4 modules), millimetres: the symbol > 8 cm
QR_BORDER = 4
BAND = (0, 61, 115)  # the header band: a dark blue
INK = (20, 20, 20)
GREY = (90, 90, 90)
URL_PATTERN = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class PosterProblem(ValueError):
    """A poster cannot be made (the message is for the user, in their language)."""


@dataclass(frozen=True)
class PosterText:
    """The texts of one language on a poster."""

    locale: str
    headline: str
    anonymous: str
    scan: str
    why: str
    name: str
    context: str


@dataclass(frozen=True)
class Poster:
    """Everything printed on one poster."""

    code: str
    link: str
    """What the QR code encodes (with the ``via=qr`` marker)."""
    shown_link: str
    """The link printed under the code (no scheme, no marker)."""
    texts: tuple[PosterText, ...]
    area_code_label: str


def valid_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; :class:`PosterProblem` unless it is an http(s)
    address of a site (a path is allowed, no query)."""
    cleaned = base_url.strip().rstrip("/")
    if not URL_PATTERN.match(cleaned):
        raise PosterProblem(str(M.POSTER_BAD_BASE_URL))
    return cleaned


def survey_link(base_url: str, code: str, lang: str, *, marked: bool = True) -> str:
    """The unit's survey link in ``lang``: ``<base>/<lang>/u/<code>?via=qr``."""
    link = f"{valid_base_url(base_url)}/{lang}/u/{quote(code, safe='')}"
    return f"{link}?{QR_MARKER[0]}={QR_MARKER[1]}" if marked else link


def active_area(session: Session, code: str) -> Area | None:
    """The active area ``code``; None for an unknown, inactive or malformed code (a
    malformed one, e.g. with a NUL byte, never reaches the database)."""
    if not AREA_CODE.match(code):
        return None
    return session.scalar(select(Area).where(Area.code == code, Area.is_active.is_(True)))


def district_precincts(session: Session, district: Area) -> list[Area]:
    """The active precincts of a district, by code; :class:`PosterProblem` when ``district``
    is not a district or has none."""
    if district.kind != "district":
        raise PosterProblem(M.POSTER_NOT_A_DISTRICT % {"code": district.code})
    precincts = district.active_precincts(session)
    if not precincts:
        raise PosterProblem(M.POSTER_NO_PRECINCTS % {"code": district.code})
    return precincts


def poster_of(session: Session, area: Area, *, base_url: str, lang: str = "kk") -> Poster:
    """The content of ``area``'s poster; the QR code opens the page in ``lang``."""
    if lang not in LOCALES:
        raise PosterProblem(str(M.POSTER_BAD_LANGUAGE))
    link = survey_link(base_url, area.code, lang)
    shown = survey_link(base_url, area.code, lang, marked=False).split("://", 1)[1]
    above = [
        ancestor
        for ancestor in reversed(area.ancestors(session))
        if ancestor.kind in {"district", "region"}
    ]
    texts = []
    for locale in LOCALES:
        with force_locale(locale):
            texts.append(
                PosterText(
                    locale=locale,
                    headline=str(M.POSTER_HEADLINE),
                    anonymous=str(M.POSTER_ANONYMOUS),
                    scan=str(M.POSTER_SCAN),
                    why=str(M.POSTER_WHY),
                    name=area.name(locale),
                    context=", ".join(ancestor.name(locale) for ancestor in above),
                )
            )
    with force_locale(lang):
        label = M.POSTER_AREA_CODE % {"code": area.code}
    return Poster(area.code, link, shown, tuple(texts), label)


def _qr_runs(link: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR symbol's size in modules (with its quiet zone) and its dark runs, as
    ``(row, first column, length)``."""
    qr = segno.make(link, error="m")
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=QR_BORDER)]
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(rows), runs


# PDF


class _PosterPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font(FONT_FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT_FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_creator("surveyapp")

    def centred(self, text: str, size: float, *, bold: bool = False, leading: float = 1.25) -> None:
        """``text`` centred across the page from the current height, wrapped."""
        self.set_font(FONT_FAMILY, "B" if bold else "", size)
        self.set_x(MARGIN)
        self.multi_cell(
            PAGE_W - 2 * MARGIN,
            size * 0.3528 * leading,
            text,
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )


NAME_SIZES = ((16.0, 14.0, 12.5, 11.0), (14.0, 12.5, 11.0, 10.0), (12.0, 11.0, 10.0, 9.0))
"""The point sizes tried for the unit's name in kk, ru and en: the first that fits two lines."""
COLUMN_GAP = 6.0
COLUMN_W = (PAGE_W - 2 * MARGIN - 2 * COLUMN_GAP) / 3
FOOT = PAGE_H - 12.0  # the area code's line
LINK_H = 9.0  # the printed link under the code, with its gaps


def _name_size(lines: Callable[[str, float], int], text: str, sizes: Sequence[float]) -> float:
    """The first of ``sizes`` at which ``text`` takes at most two lines (else the last)."""
    return next((size for size in sizes if lines(text, size) <= 2), sizes[-1])


def _code_place(names_bottom: float, column_top: float) -> tuple[float, float]:
    """The QR box's top and side: as big as :data:`QR_BOX` allows between the names and the
    printed link above the columns, centred in the room left."""
    room = column_top - LINK_H - 3 - names_bottom
    side = min(QR_BOX, room)
    return names_bottom + 2 + (room - side) / 2, side


def _pdf_lines(pdf: _PosterPDF, text: str, size: float, width: float, bold: bool) -> int:
    pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
    lines = pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return len(lines)


def _pdf_column_height(pdf: _PosterPDF, text: PosterText) -> float:
    return (
        2.5
        + 5 * _pdf_lines(pdf, text.anonymous, 11, COLUMN_W, True)
        + 1.5
        + 4.4 * _pdf_lines(pdf, text.scan, 9.5, COLUMN_W, False)
        + 1.5
        + 4.4 * _pdf_lines(pdf, text.why, 9.5, COLUMN_W, False)
    )


def _pdf_page(pdf: _PosterPDF, poster: Poster) -> None:
    pdf.add_page()
    kk, ru, en = poster.texts
    # The headline band.
    pdf.set_fill_color(*BAND)
    pdf.rect(0, 0, PAGE_W, 50, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_y(9)
    pdf.centred(kk.headline, 25, bold=True)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.centred(ru.headline, 19, bold=True)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.centred(en.headline, 14, bold=True)
    # The unit, in three languages, with its district and region.
    pdf.set_y(56)
    for text, sizes in zip(poster.texts, NAME_SIZES, strict=True):
        size = _name_size(
            lambda name, size: _pdf_lines(pdf, name, size, PAGE_W - 2 * MARGIN, True),
            text.name,
            sizes,
        )
        pdf.set_text_color(*INK)
        pdf.centred(text.name, size, bold=True)
        if text.context:
            pdf.set_text_color(*GREY)
            pdf.centred(text.context, 9)
        pdf.set_y(pdf.get_y() + 1.5)
    # The invitation, one column per language, ending above the foot.
    column_top = FOOT - 3 - max(_pdf_column_height(pdf, text) for text in poster.texts)
    # The QR code, centred, with its quiet zone, between the names and the columns.
    top, side = _code_place(pdf.get_y(), column_top)
    left = (PAGE_W - side) / 2
    modules, runs = _qr_runs(poster.link)
    unit = side / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(left, top, side, side, style="F")
    pdf.set_fill_color(0, 0, 0)
    for y, x, length in runs:
        pdf.rect(left + x * unit, top + y * unit, length * unit, unit * 1.02, style="F")
    pdf.set_text_color(*INK)
    pdf.set_y(top + side + 1)
    pdf.centred(poster.shown_link, 12, bold=True)
    pdf.set_draw_color(*BAND)
    pdf.set_line_width(0.6)
    for index, text in enumerate(poster.texts):
        column_x = MARGIN + index * (COLUMN_W + COLUMN_GAP)
        pdf.line(column_x, column_top, column_x + COLUMN_W, column_top)
        pdf.set_xy(column_x, column_top + 2.5)
        pdf.set_text_color(*BAND)
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.multi_cell(COLUMN_W, 5, text.anonymous, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_y(pdf.get_y() + 1.5)
        pdf.set_x(column_x)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT_FAMILY, "", 9.5)
        pdf.multi_cell(COLUMN_W, 4.4, text.scan, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_y(pdf.get_y() + 1.5)
        pdf.set_x(column_x)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(COLUMN_W, 4.4, text.why, align="L", new_x="LEFT", new_y="NEXT")
    # The area code, small, at the foot.
    pdf.set_text_color(*GREY)
    pdf.set_y(FOOT)
    pdf.centred(poster.area_code_label, 8)


def poster_pdf(
    session: Session, areas: Sequence[Area], *, base_url: str, lang: str = "kk"
) -> bytes:
    """One PDF with a poster per area (in the given order); the QR codes open ``lang``."""
    posters = [poster_of(session, area, base_url=base_url, lang=lang) for area in areas]
    pdf = _PosterPDF()
    names = ", ".join(poster.code for poster in posters)
    pdf.set_title(f"{posters[0].texts[0].headline} — {names}" if posters else "")
    pdf.set_lang(lang)
    for poster in posters:
        _pdf_page(pdf, poster)
    return bytes(pdf.output())


# SVG

_SVG = "http://www.w3.org/2000/svg"
_XML = "http://www.w3.org/XML/1998/namespace"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _wrapped(text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
    """``text`` cut into lines that fit ``width`` mm at ``size`` pt (an average glyph is
    taken as 0.56 em wide, 0.63 em in bold: the SVG viewer's font is not known)."""
    per_line = max(8, math.floor(width / (size * 0.3528 * (0.63 if bold else 0.56))))
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) > per_line and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


class _Svg:
    def __init__(self) -> None:
        ET.register_namespace("", _SVG)
        self.root = ET.Element(
            f"{{{_SVG}}}svg",
            {
                "width": f"{PAGE_W:g}mm",
                "height": f"{PAGE_H:g}mm",
                "viewBox": f"0 0 {PAGE_W:g} {PAGE_H:g}",
                "font-family": SVG_FONTS,
            },
        )
        self.add("rect", x="0", y="0", width=f"{PAGE_W:g}", height=f"{PAGE_H:g}", fill="#fff")

    def add(self, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(
            self.root,
            f"{{{_SVG}}}{tag}",
            {
                key if key.startswith("{") else key.replace("_", "-"): v
                for key, v in attributes.items()
            },
        )
        element.text = text
        return element

    def lines(
        self,
        text: str,
        y: float,
        size: float,
        *,
        x: float = PAGE_W / 2,
        width: float = PAGE_W - 2 * MARGIN,
        anchor: str = "middle",
        bold: bool = False,
        fill: tuple[int, int, int] = INK,
        lang: str | None = None,
    ) -> float:
        """Write ``text`` wrapped, its first baseline at ``y``; the height below the last line."""
        height = _line_height(size)
        extra = {"font_weight": "bold"} if bold else {}
        if lang:
            extra[f"{{{_XML}}}lang"] = lang
        for line in _wrapped(text, size, width, bold=bold):
            self.add(
                "text",
                line,
                x=f"{x:.2f}",
                y=f"{y:.2f}",
                font_size=f"{size * 0.3528:.2f}",
                text_anchor=anchor,
                fill=_hex(fill),
                **extra,
            )
            y += height
        return y


def _line_height(size: float) -> float:
    return size * 0.3528 * 1.3


def _svg_column_height(text: PosterText) -> float:
    """The estimated height of a language's column in the SVG (see :func:`_wrapped`)."""
    return (
        6.5
        + _line_height(11) * (len(_wrapped(text.anonymous, 11, COLUMN_W, bold=True)) - 1)
        + 1.5
        + _line_height(9.5) * len(_wrapped(text.scan, 9.5, COLUMN_W))
        + 1.5
        + _line_height(9.5) * len(_wrapped(text.why, 9.5, COLUMN_W))
    )


def poster_svg(session: Session, area: Area, *, base_url: str, lang: str = "kk") -> str:
    """The poster of ``area`` as one SVG document (A4, in millimetres)."""
    poster = poster_of(session, area, base_url=base_url, lang=lang)
    svg = _Svg()
    kk, ru, en = poster.texts
    svg.add("rect", x="0", y="0", width=f"{PAGE_W:g}", height="50", fill=_hex(BAND))
    white = (255, 255, 255)
    y = svg.lines(kk.headline, 18, 25, bold=True, fill=white, lang="kk")
    y = svg.lines(ru.headline, y + 2, 19, bold=True, fill=white, lang="ru")
    svg.lines(en.headline, y + 1.5, 14, bold=True, fill=white, lang="en")
    y = 62.0
    full = PAGE_W - 2 * MARGIN
    for text, sizes in zip(poster.texts, NAME_SIZES, strict=True):
        size = _name_size(
            lambda name, size: len(_wrapped(name, size, full, bold=True)), text.name, sizes
        )
        y = svg.lines(text.name, y, size, bold=True, lang=text.locale)
        if text.context:
            y = svg.lines(text.context, y, 9, fill=GREY, lang=text.locale)
        y += 2.5
    column_top = FOOT - 3 - max(_svg_column_height(text) for text in poster.texts)
    top, side = _code_place(y - 4, column_top)
    left = (PAGE_W - side) / 2
    modules, runs = _qr_runs(poster.link)
    unit = side / modules
    path = "".join(f"M{x} {row}h{length}v1h-{length}z" for row, x, length in runs)
    svg.add(
        "path",
        d=path,
        fill="#000",
        transform=f"translate({left:.3f} {top:.3f}) scale({unit:.5f})",
        shape_rendering="crispEdges",
    ).set("data-link", poster.link)
    svg.lines(poster.shown_link, top + side + 5.5, 12, bold=True)
    for index, text in enumerate(poster.texts):
        x = MARGIN + index * (COLUMN_W + COLUMN_GAP)
        svg.add(
            "line",
            x1=f"{x:.2f}",
            y1=f"{column_top:.2f}",
            x2=f"{x + COLUMN_W:.2f}",
            y2=f"{column_top:.2f}",
            stroke=_hex(BAND),
            stroke_width="0.6",
        )
        column = partial(svg.lines, x=x, width=COLUMN_W, anchor="start", lang=text.locale)
        y = column(text.anonymous, column_top + 6.5, 11, bold=True, fill=BAND)
        y = column(text.scan, y + 1.5, 9.5)
        column(text.why, y + 1.5, 9.5, fill=GREY)
    svg.lines(poster.area_code_label, FOOT + 3, 8, fill=GREY)
    ET.indent(svg.root)
    return ET.tostring(svg.root, encoding="unicode", xml_declaration=True) + "\n"
