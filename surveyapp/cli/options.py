"""Options shared by the CLI commands."""

from __future__ import annotations

import click

from .categories import LOCALES

lang_option = click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
