"""``flask surveyapp poster``: a unit's QR poster, or all the precincts of a district."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale, ngettext

from .. import messages as M
from ..categories import LOCALES
from ..exports.posters import (
    PosterProblem,
    active_area,
    district_precincts,
    poster_pdf,
    poster_svg,
    valid_base_url,
)
from ..extensions import db
from ..services.audit import record


@click.command("poster")
@click.argument("code", required=False)
@click.option(
    "--district", "district_code", help="All the precincts of this district, one per page."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The file to write (PDF, or SVG with --svg).",
)
@click.option("--svg", is_flag=True, help="Write the poster as SVG instead of PDF (one unit).")
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default="kk",
    show_default=True,
    help="Language of the survey page the QR code opens (and of the messages).",
)
@click.option(
    "--base-url",
    default=None,
    help="The site's public address, e.g. https://survey.example.kz "
    "(default: SURVEYAPP_PUBLIC_BASE_URL).",
)
def poster_command(
    code: str | None,
    district_code: str | None,
    output: Path,
    svg: bool,
    lang: str,
    base_url: str | None,
) -> None:
    """Write the printable A4 QR poster of the unit CODE (or of every precinct of a
    district) to a file."""
    with force_locale(lang):
        if (code is None) == (district_code is None):
            raise click.UsageError(str(M.POSTER_CLI_WHICH))
        if svg and district_code is not None:
            raise click.UsageError(str(M.POSTER_CLI_SVG_ONE))
        site = base_url or str(current_app.config.get("PUBLIC_BASE_URL") or "")
        if not site:
            raise click.UsageError(str(M.POSTER_CLI_BASE_URL))
        wanted = code if code is not None else str(district_code)
        area = active_area(db.session(), wanted)
        if area is None:
            raise click.ClickException(str(M.POSTER_AREA_UNKNOWN % {"code": wanted}))
        try:
            site = valid_base_url(site)
            areas = [area] if district_code is None else district_precincts(db.session(), area)
            if svg:
                output.write_text(
                    poster_svg(db.session(), area, base_url=site, lang=lang), encoding="utf-8"
                )
            else:
                output.write_bytes(poster_pdf(db.session(), areas, base_url=site, lang=lang))
        except PosterProblem as problem:
            raise click.ClickException(str(problem)) from None
        details: dict[str, object] = {
            "areas": [unit.code for unit in areas],
            "format": "svg" if svg else "pdf",
            "qr_lang": lang,
        }
        if district_code is not None:
            details["district"] = area.code
        record("poster.download", target=area, details=details)
        db.session.commit()
        message: str = ngettext(
            "%(num)d poster written to %(path)s.",
            "%(num)d posters written to %(path)s.",
            len(areas),
            path=str(output),
        )
        click.echo(message)
