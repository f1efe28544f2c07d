"""Reports in the reader's language (surveyapp/reports.py): the reasons, the raking's
messages and the numbers and dates, in kk, ru and en."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from flask_babel import force_locale

from surveyapp import reports
from surveyapp.analysis import weighting
from surveyapp.domain.reasons import Reason, ReasonCode

ENGLISH_WORDS = re.compile(
    r"\b(converged|converge|iterations?|margin|error|rows|trimmed|cap|"
    r"collapsed|groups|respondents|relative|raked|target|off)\b"
)


def _messages() -> list[str]:
    """Messages the raking writes: converged, merged, not converged, trimmed, absent groups."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"sex": rng.choice(["m", "f"], 200, p=[0.8, 0.2]), "age": rng.choice(["y", "o"], 200)}
    )
    margins = {"sex": {"m": 500.0, "f": 500.0}, "age": {"y": 400.0, "o": 600.0}}
    merged = {"sex": margins["sex"], "age": {"y": 400.0, "o": 590.0, "x": 10.0}}
    grouped = frame.assign(region=rng.choice(["a", "b"], 200))
    return [
        weighting.rake(frame, merged).message,
        weighting.rake(frame, margins, max_iter=1).message,
        weighting.rake(frame, margins, cap=2.0).message,
        weighting.rake_by(grouped, "region", {"a": margins, "b": margins, "c": margins}).message,
        "full: " + weighting.rake(frame, margins, max_iter=1).message,
        "converged with a fallback (max margin error 2.5e-11): KZ-71: reduced, KZ-75: pooled",
    ]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_of_the_raking_is_worded_again(app: Flask, lang: str) -> None:
    with app.app_context(), force_locale(lang):
        for message in _messages():
            worded = reports.weighting_message(message)
            assert not ENGLISH_WORDS.search(worded), (message, worded)
            assert not re.search(r"\d\.\d+e-\d", worded), worded  # no "1.96e-11"


def test_the_raking_message_keeps_its_figures(app: Flask) -> None:
    with app.app_context():
        with force_locale("ru"):
            worded = reports.weighting_message(
                "converged in 33 iterations (max margin error 6.56e-11); 1 rows trimmed to the cap"
            )
            assert worded == (
                "сходимость достигнута за 33 итерации (наибольшая ошибка по маргиналам: "
                "6,56 × 10⁻¹¹); 1 вес усечён до предела"
            )
        with force_locale("en"):
            assert reports.weighting_message("something new; 3 rows trimmed to the cap") == (
                "something new; 3 weights trimmed to the cap"  # an unknown piece is kept
            )


@pytest.mark.parametrize(
    ("lang", "value", "expected"),
    [
        ("en", 1e-10, "10⁻¹⁰"),
        ("ru", 6.5612e-11, "6,56 × 10⁻¹¹"),
        ("kk", 2.5e-16, "2,5 × 10⁻¹⁶"),
        ("en", 0.0445, "0.0445"),
        ("ru", 522.263, "522"),
        ("ru", 1234567.0, "1,23 × 10⁶"),
        ("en", 0.0, "0"),
        ("en", None, "—"),
    ],
)
def test_small_and_large_numbers_in_powers_of_ten(
    app: Flask, lang: str, value: float | None, expected: str
) -> None:
    with app.app_context(), force_locale(lang):
        assert reports.scientific(value) == expected


def test_counts_and_dates_in_the_locales_format(app: Flask) -> None:
    moment = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
    with app.app_context():
        with force_locale("ru"):
            assert reports.count(3000) == "3\xa0000"
            assert "2026" in reports.when(moment.isoformat()) and "T" not in reports.when(moment)
            assert reports.day("2026-03-01").startswith("1 мар. 2026")  # CLDR: "1 мар. 2026 г."
        with force_locale("en"):
            assert reports.count(3000) == "3,000" and reports.day("2026-03-01") == "Mar 1, 2026"


@pytest.mark.parametrize(
    ("stored", "lang", "expected"),
    [
        (
            Reason.of(ReasonCode.TOO_FEW_COMPLETE_CASES, n=94, needed=100).to_json(),
            "ru",
            "слишком мало полностью заполненных анкет (94 < 100)",
        ),
        (
            "too few complete cases (94 < 100)",
            "kk",
            "толық жауап берілген сауалнамалар тым аз (94 < 100)",
        ),
        (
            "no variance in police_fair, police_listen",
            "ru",
            "ответы не различаются: police_fair, police_listen",
        ),
        ("no complete responses in {'wave': 'a'}", "kk", "толық жауаптар жоқ"),
        (
            Reason.of(ReasonCode.NO_MARGINS_FOR_REGIONS, regions=["KZ-71"]),
            "en",
            "no population margins for the regions KZ-71",
        ),
        ("something the code never wrote", "ru", "something the code never wrote"),
        (None, "ru", ""),
    ],
)
def test_reasons_in_the_readers_language_old_and_new(
    app: Flask, stored: object, lang: str, expected: str
) -> None:
    with app.app_context(), force_locale(lang):
        assert reports.explain(stored) == expected  # type: ignore[arg-type]
