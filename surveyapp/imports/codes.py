"""What the instrument format (``surveyapp-instrument/1``) fixes, shared by its readers: the
YAML importer (:mod:`.instrument`) and the XLSForm reader (:mod:`.xlsform`)."""

from __future__ import annotations

import re

FORMAT = "surveyapp-instrument/1"
INSTRUMENT_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
OPTION_CODE = re.compile(r"^[a-z0-9][a-z0-9_+\-]{0,63}$")

CHOICE_TYPES = {"likert5", "single", "multi", "yes_no"}
"""The question types answered by choosing options (a display condition can refer to them)."""

# yes_no options are the same in every instrument; their wording is fixed here.
YES_NO_OPTIONS = (
    ("yes", 1.0, {"kk": "Иә", "ru": "Да", "en": "Yes"}),
    ("no", 0.0, {"kk": "Жоқ", "ru": "Нет", "en": "No"}),
)
