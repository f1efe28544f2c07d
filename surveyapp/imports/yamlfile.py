"""A YAML loader with YAML 1.2 booleans: only true/false are booleans.

PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` become
booleans; in instrument files those are option codes (``show_if: {in: [yes]}``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class InstrumentLoader(yaml.SafeLoader):
    """SafeLoader whose implicit booleans are ``true``/``false`` only."""


InstrumentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
InstrumentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """Parse ``text`` with :class:`InstrumentLoader`."""
    return yaml.load(text, Loader=InstrumentLoader)


KEY_ORDER = (
    "format",
    "code",
    "version",
    "type",
    "title",
    "intro",
    "text",
    "help",
    "statement",
    "required",
    "role",
    "show_if",
    "question",
    "in",
    "levels",
    "min",
    "max",
    "max_choices",
    "max_length",
    "anchors",
    "low",
    "high",
    "index",
    "weighting",
    "options",
    "label",
    "value",
    "missing",
    "questions",
    "sections",
    "kk",
    "ru",
    "en",
)
"""The order of the keys of a written instrument file (others follow, sorted)."""


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        rank = {key: position for position, key in enumerate(KEY_ORDER)}
        keys = sorted(value, key=lambda key: (rank.get(key, len(rank)), str(key)))
        return {key: _ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def dump_yaml(document: Any) -> str:
    """``document`` as YAML that :func:`load_yaml` reads back to an equal document, its keys
    in the order of an instrument file; strings that would read as something else (``yes``,
    ``1``...) are quoted."""
    return yaml.dump(
        _ordered(document),
        Dumper=yaml.SafeDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
