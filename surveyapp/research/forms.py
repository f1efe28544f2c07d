"""The research area's form: which run's microdata to export, in which format and language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from .. import messages as M
from ..categories import LOCALES
from ..exports.writers import FORMATS
from ..i18n import LOCALE_NAMES
from ..models import Wave, WeightRun
from .services import default_run, run_label

FORMAT_NAMES = {
    "sav": _l("SPSS (.sav)"),
    "dta": _l("Stata (.dta)"),
    "xlsx": _l("Excel (.xlsx)"),
    "csv": _l("CSV (UTF-8)"),
    "csv_bom": _l("CSV for Excel (UTF-8 with BOM)"),
}


class ExportForm(FlaskForm):
    """Which run's microdata, in which format and language; free text or not."""

    # Radio buttons, not drop-down lists: every choice is read whole, on a phone too.
    run = RadioField(_l("Data"), validate_choice=False)
    format = RadioField(_l("File format"), validate_choice=False)
    language = RadioField(_l("Language of the labels"), validate_choice=False)
    include_text = BooleanField(_l("Include citizens' comments (scrubbed of personal data)"))

    def __init__(self, runs: list[tuple[Wave, WeightRun]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run.choices = [(str(run.id), run_label(wave, run)) for wave, run in runs]
        self.format.choices = [(code, str(FORMAT_NAMES[code])) for code in FORMATS]
        self.language.choices = [(code, LOCALE_NAMES[code]) for code in LOCALES]
        self.default_run = default_run(runs)

    def set_defaults(self, lang: str) -> None:
        """A fresh form: the newest wave whole (not a window), SPSS, labels in ``lang``."""
        if self.default_run is not None:
            self.run.data = str(self.default_run.id)
        self.format.data = "sav"
        self.language.data = lang

    def check(self, runs: dict[str, tuple[Wave, WeightRun]]) -> bool:
        """Every choice is one of those offered (messages from :mod:`surveyapp.messages`)."""
        ok = self.validate()
        for field, allowed in (
            (self.run, runs),
            (self.format, FORMATS),
            (self.language, LOCALES),
        ):
            if field.data not in allowed:
                field.errors = [*field.errors, M.CHOICE_INVALID]
                ok = False
        return ok
