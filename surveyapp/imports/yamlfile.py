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
