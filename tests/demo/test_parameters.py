"""The demo model's parameters file: read into records, checked key by key."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest

from surveyapp.categories import LOCALES
from surveyapp.demo import synthetic
from surveyapp.demo.parameters import (
    PARAMETERS_FILE,
    TONES,
    parse_parameters,
    shipped_parameters,
)
from surveyapp.imports.yamlfile import load_yaml


@pytest.fixture
def document() -> dict[str, Any]:
    text = resources.files("surveyapp.demo").joinpath(PARAMETERS_FILE).read_text("utf-8")
    loaded: dict[str, Any] = load_yaml(text)
    return copy.deepcopy(loaded)


def test_the_shipped_file_is_what_the_generator_runs_on() -> None:
    parameters = shipped_parameters()
    assert synthetic.PARAMETERS is parameters
    assert synthetic.LATENT_INTERCEPT == parameters.latent.intercept == 0.25
    assert parameters.latent.effects.age_group["65+"] == 0.30
    assert parameters.latent.effects.young_urban_male == -0.20
    assert dict(parameters.propensity.age_group)["18-24"] == 1.7
    likert = parameters.index_items["police_reliable"].thresholds
    assert likert == (-2.0, -0.8, 0.2, 1.7)
    assert parameters.index_items["police_fair"].thresholds == likert  # the YAML anchor
    assert parameters.index_items["safety_dark"].shift.sex == {"female": -0.35}
    overall = parameters.index_items["overall_satisfaction"].thresholds
    assert overall == tuple(k + 0.5 for k in range(10))
    assert synthetic.REGION_KK_SHARE["KZ-59"] == 0.15
    assert set(synthetic.COMMENT_BANK) == set(LOCALES)
    assert all(len(synthetic.COMMENT_BANK[locale]) == len(TONES) for locale in LOCALES)


def test_the_same_document_gives_the_same_parameters(document: dict[str, Any]) -> None:
    assert parse_parameters(document, LOCALES) == shipped_parameters()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other/1"), "format must be"),
        (lambda d: d["latent"].pop("region_sd"), r"latent\.region_sd is missing"),
        (lambda d: d["latent"].update(region_sd="0.3"), r"latent\.region_sd: '0\.3' is not"),
        (lambda d: d["trust"].update(intercept=True), r"trust\.intercept: True is not"),
        (lambda d: d["contact"].update(bias=0.1), r"contact: unknown \['bias'\]"),
        (
            lambda d: d["latent"]["effects"]["sex"].update(femal=0.05),
            r"latent\.effects\.sex: unknown \['femal'\]",
        ),
        (lambda d: d["propensity"]["age_group"].pop("65+"), r"propensity\.age_group needs"),
        (lambda d: d.update(young=["18-34"]), r"young: unknown \['18-34'\]"),
        (lambda d: d["comments"]["bank"].pop("kk"), r"comments\.bank\.kk is missing"),
        (lambda d: d["priorities"].update(count=[]), r"priorities\.count is not a list"),
    ],
)
def test_a_wrong_file_is_refused_with_the_key(
    document: dict[str, Any], change: Any, message: str
) -> None:
    change(document)
    with pytest.raises(ValueError, match=message):
        parse_parameters(document, LOCALES)
