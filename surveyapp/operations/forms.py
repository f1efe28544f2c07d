"""The operations forms; labels with ``_l``, messages from :mod:`surveyapp.messages`.

The wave is checked by the services against the waves that may be recomputed (with the
platform's own messages), so ``validate_choice`` is off.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..models import Wave


class RecomputeForm(FlaskForm):
    """Which wave to recompute now (with the CSRF token)."""

    wave = SelectField(_l("Wave"), validate_choice=False)

    def __init__(self, waves: list[tuple[Wave, int]], locale: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wave.choices = [
            (
                str(wave.id),
                f"{wave.code} · {wave.name(locale)} · "
                + ngettext("%(num)s complete response", "%(num)s complete responses", n),
            )
            for wave, n in waves
        ]
