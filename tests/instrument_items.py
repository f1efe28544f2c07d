"""The index items of a parsed instrument file, read straight from the file format.

An independent reading of ``docs/instrument-format.md`` (the application builds the items from
the stored questions, :meth:`surveyapp.models.Instrument.index_items`): tests compare the two
and score answers with items that do not need a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveyapp.analysis.scoring import ItemSpec


def items_from_instrument(document: Mapping[str, Any], *, csi_only: bool = True) -> list[ItemSpec]:
    """The index items of a parsed instrument file (``docs/instrument-format.md``).

    ``document`` is the instrument as loaded from YAML (or an equivalent
    mapping). Questions with an ``index`` role are returned in instrument
    order; with ``csi_only`` only those with ``csi: true``.
    """
    items: list[ItemSpec] = []
    for section in document.get("sections", []):
        for question in section.get("questions", []):
            role = question.get("index")
            if not role or (csi_only and not role.get("csi", False)):
                continue
            kind = question["type"]
            values: dict[str, float | None] = {}
            for option in question.get("options", []) or []:
                missing = bool(option.get("missing", False))
                values[str(option["code"])] = None if missing else float(option["value"])
            items.append(
                ItemSpec(
                    code=str(question["code"]),
                    kind=kind,
                    values=values,
                    reverse=role.get("direction", "positive") == "negative",
                    dimension=str(role.get("dimension", "")),
                    csi=bool(role.get("csi", False)),
                )
            )
    return items
