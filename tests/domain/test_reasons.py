"""Typed reasons (surveyapp/domain/reasons.py): code and parameters, stored with a format,
and the English sentences stored before read back into codes."""

from __future__ import annotations

import json

import pytest

from surveyapp.domain.reasons import REASON_FORMAT, Reason, ReasonCode
from surveyapp.domain.records import AreaDrivers


def test_a_reason_round_trips_through_json() -> None:
    reason = Reason.of(ReasonCode.NO_VARIANCE, items=["police_fair", "police_listen"])
    stored = json.loads(json.dumps(reason.to_json()))
    assert stored == {
        "format": REASON_FORMAT,
        "code": "no_variance",
        "params": {"items": ["police_fair", "police_listen"]},
    }
    assert Reason.from_dict(stored) == reason
    assert reason.describe() == "no variance in police_fair, police_listen"


@pytest.mark.parametrize(
    ("sentence", "code", "params"),
    [
        (
            "too few complete cases (94 < 100)",
            ReasonCode.TOO_FEW_COMPLETE_CASES,
            {"n": 94, "needed": 100},
        ),
        ("no variance in police_fair", ReasonCode.NO_VARIANCE, {"items": ["police_fair"]}),
        ("no complete responses in {'wave': 'w'}", ReasonCode.NO_COMPLETE_RESPONSES, {}),
        (
            "no population margins for the regions ['KZ-71', 'KZ-75']",
            ReasonCode.NO_MARGINS_FOR_REGIONS,
            {"regions": ["KZ-71", "KZ-75"]},
        ),
        (
            "no population margins imported (flask surveyapp import-margins)",
            ReasonCode.NO_MARGINS,
            {},
        ),
        ("the weights cannot be computed: bad", ReasonCode.WEIGHTS_FAILED, {"detail": "bad"}),
        ("RuntimeError: disk full", ReasonCode.TEXT, {"text": "RuntimeError: disk full"}),
    ],
)
def test_the_sentences_stored_before_are_read_back_into_codes(
    sentence: str, code: ReasonCode, params: dict[str, object]
) -> None:
    reason = Reason.from_dict(sentence)
    assert reason is not None and reason.code is code and dict(reason.params) == params


def test_an_area_without_drivers_reads_either_layout() -> None:
    old = {
        "n": 94,
        "bootstraps": 200,
        "r_squared": None,
        "reason": "too few complete cases (94 < 100)",
    }
    new = AreaDrivers.from_dict(old).to_json()
    assert new["reason"] == {
        "format": REASON_FORMAT,
        "code": "too_few_complete_cases",
        "params": {"n": 94, "needed": 100},
    }
    assert AreaDrivers.from_dict(new) == AreaDrivers.from_dict(old)
    assert AreaDrivers.from_dict({**old, "reason": None}).reason is None


def test_a_newer_format_is_refused_and_an_unknown_code_kept_as_text() -> None:
    with pytest.raises(ValueError, match="unknown reason format"):
        Reason.from_dict({"format": REASON_FORMAT + 1, "code": "no_margins"})
    kept = Reason.from_dict({"format": 1, "code": "from_the_future", "params": {}})
    assert kept is not None and kept.code is ReasonCode.TEXT
