"""What the CLI commands share: the ``--lang`` option (else ``SURVEYAPP_CLI_LOCALE``, else
English), the ``FILE`` argument and the unit of
work (commit once at the end, or roll back and exit non-zero with the problems listed)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask_babel import force_locale, ngettext

from ..categories import LOCALES
from ..extensions import db
from ..imports import ImportRefused

LANG_ENVVAR = "SURVEYAPP_CLI_LOCALE"
"""The environment variable that sets every command's language when ``--lang`` is not given."""

lang_option = click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default="en",
    show_default=True,
    envvar=LANG_ENVVAR,
    show_envvar=True,
    help="Language of the messages and reports (kk, ru or en).",
)


@contextmanager
def unit_of_work(lang: str) -> Iterator[None]:
    """Run a command body in ``lang``; commit on success, roll back and exit 1 on refusal."""
    with force_locale(lang):
        try:
            yield
        except ImportRefused as refused:
            db.session.rollback()
            click.echo(refused.render(), err=True)
            click.echo(_nothing_stored(len(refused.problems)), err=True)
            sys.exit(1)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


def _nothing_stored(count: int) -> str:
    message: str = ngettext(
        "%(num)d problem found; nothing was stored.",
        "%(num)d problems found; nothing was stored.",
        count,
    )
    return message


def existing_file(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command with a ``FILE`` argument that must exist."""
    return click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        function
    )
