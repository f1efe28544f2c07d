"""The OpenAPI 3.1 description of ``/api/v1/``, written by hand.

``tests/api/test_openapi.py`` keeps it honest: its paths are exactly the
blueprint's routes, and every parameter it documents is accepted by its route
(with its ``example``).
"""

from __future__ import annotations

from typing import Any

from ..categories import AREA_KINDS, WAVE_STATUSES
from .params import CODE_REGEX, MEASURE_REGEX

JSON = "application/json"
DEMO_WAVE = "police-trust-2026-demo"  # the examples name the demo's data


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "example": example,
    }


# Every query parameter is a non-empty string: ``name=`` is refused (400), never taken for an
# absent parameter.
CODE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": f"^(?:{CODE_REGEX})$"}
MEASURE = {
    "type": "string",
    "minLength": 1,
    "pattern": f"^(?:{MEASURE_REGEX})$",
    "description": "Lower case only, as stored: csi, item:<question code> or "
    "trust:<option code> (CSI is refused).",
}
# A cursor is opaque: the server issues it in a page's “next” address and alone knows what it
# holds; one it did not issue (edited, or of another listing) is refused with a 400.
CURSOR = {
    "type": "string",
    "minLength": 1,
    "description": "Opaque: issued by the server in the “next” address of the previous page; "
    "any other value is refused (400).",
}
NUMBER = {"type": ["number", "null"]}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
ERRORS = ("400", "401", "403", "404", "405", "429", "500")
ERROR_TEXT = {
    "400": "A parameter is unknown, repeated, empty or malformed, or a cursor the server did "
    "not issue; the message names it.",
    "401": "No token, or a token that is unknown, revoked or of a deactivated account.",
    "403": "The account's role does not give access to this resource.",
    "404": "Unknown (or, for a unit head, out-of-scope) area, wave or snapshot.",
    "405": "The API is read-only: only GET (and HEAD) are answered.",
    "429": "Too many requests with this token.",
    "500": "An error on the server.",
}
SCHEMAS: dict[str, Any] = {
    "Names": {
        "type": "object",
        "description": "A text in Kazakh, Russian and English.",
        "properties": {lang: {"type": "string"} for lang in ("kk", "ru", "en")},
        "required": ["kk", "ru", "en"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "message": {
                        "type": "string",
                        "description": "In the language of Accept-Language (kk, ru, en; else en).",
                    },
                },
                "required": ["status", "message"],
            }
        },
        "required": ["error"],
    },
    "Area": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "kind": {"type": "string", "enum": list(AREA_KINDS)},
            "parent": {"type": ["string", "null"]},
            "path": {"type": "string", "description": "Codes from the root, joined by /."},
            "depth": {"type": "integer"},
            "active": {"type": "boolean"},
            "name": _ref("Names"),
        },
    },
    "Wave": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": _ref("Names"),
            "kind": {"type": "string", "enum": ["cross_section", "continuous"]},
            "instrument": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "version": {"type": "integer"}},
            },
            "status": {"type": "string", "enum": list(WAVE_STATUSES)},
            "opens_at": DATE,
            "closes_at": NULLABLE_DATE,
        },
    },
    "Snapshot": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "created": DATE,
            "status": {"type": "string", "enum": ["draft", "published", "superseded"]},
            "wave": {"type": ["string", "null"]},
            "window_start": NULLABLE_DATE,
            "window_end": NULLABLE_DATE,
            "weight_run_id": {"type": "integer"},
            "method_version": {"type": "string"},
            "input_hash": {"type": "string"},
            "supersedes_id": {"type": ["integer", "null"]},
            "headline": {
                "type": "object",
                "description": "The country's CSI, its standard error and respondents.",
                "properties": {
                    "area": {"type": ["string", "null"]},
                    "csi": NUMBER,
                    "se": NUMBER,
                    "n": {"type": ["integer", "null"]},
                },
            },
        },
    },
    "Indicator": {
        "type": "object",
        "properties": {
            "area": {"type": "string"},
            "measure": {"type": "string", "description": "csi, item:<question>, trust:<option>"},
            "n": {"type": "integer"},
            "effective_n": NUMBER,
            "estimate": NUMBER,
            "se": NUMBER,
            "ci_low": NUMBER,
            "ci_high": NUMBER,
            "model_estimate": NUMBER,
            "model_mse": NUMBER,
            "publication": {
                "type": "string",
                "enum": ["published", "low_precision", "insufficient"],
            },
            "flags": {
                "type": "object",
                "description": "The CSI's comparisons (vs_parent, vs_country, change: "
                "difference, se, z, flag and, from method version 3, df, p_value and the "
                "Benjamini-Hochberg adjusted_p the flag is decided on; only for published "
                "values), the degrees of freedom of the interval (df), the change's interval "
                "(change_ci), rank and model, with the layout version (format); empty for "
                "items and trust shares.",
            },
        },
    },
    "ResponsePage": {
        "type": "object",
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "One response: the columns of the microdata export (for "
                    "a wave of interviews from a fieldwork agency also its sample design: "
                    "stratum, psu, base_weight and fpc; see the wave's codebook).",
                },
            },
            "next": {
                "type": ["string", "null"],
                "description": "The address of the next page; null on the last one.",
            },
            "error": {
                "type": "object",
                "description": "Only when the stream failed after it began (status 200 sent): "
                "as the error of the Error schema; the page is then incomplete.",
            },
        },
        "required": ["data", "next"],
    },
}


def _list_of(schema: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"data": {"type": "array", "items": _ref(schema)}}}


def _page_of(schema: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": _ref(schema)},
            "next": {
                "type": ["string", "null"],
                "description": "The address of the next page; null on the last one.",
            },
        },
        "required": ["data", "next"],
    }


def _operation(
    summary: str, schema: dict[str, Any], parameters: list[dict[str, Any]], public: bool = False
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {JSON: {"schema": schema}}},
    }
    for status in ERRORS:
        if public and status in ("401", "403", "404"):
            continue
        responses[status] = {"$ref": f"#/components/responses/E{status}"}
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    }
    if public:
        operation["security"] = []
    return {"get": operation}


PATHS: dict[str, Any] = {
    "/api/v1/areas": _operation(
        "Areas of the police geography (a unit head: their subtree)",
        _list_of("Area"),
        [
            _query("parent", "Only the children of this area.", CODE, "KZ-71"),
            _query(
                "kind",
                "Only areas of this kind.",
                {"type": "string", "enum": list(AREA_KINDS)},
                "district",
            ),
        ],
    ),
    "/api/v1/waves": _operation("Survey waves", _list_of("Wave"), []),
    "/api/v1/snapshots": _operation(
        "Indicator snapshots, newest first, a page at a time",
        _page_of("Snapshot"),
        [
            _query("wave", "Only the snapshots of this wave.", CODE, DEMO_WAVE),
            _query(
                "before",
                "The cursor of the previous page (take the whole “next” address).",
                CURSOR,
                "czEw",
            ),
            _query(
                "limit",
                "Snapshots per page.",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                100,
            ),
        ],
    ),
    "/api/v1/snapshots/{snapshot_id}/indicators": _operation(
        "A snapshot's indicators per area and measure (a unit head: their subtree)",
        _list_of("Indicator"),
        [
            {
                "name": "snapshot_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
                "example": 1,
            },
            _query("area", "Only this area.", CODE, "KZ-71"),
            _query("measure", "Only this measure, e.g. csi.", MEASURE, "csi"),
        ],
    ),
    "/api/v1/responses": _operation(
        "Microdata of a wave, page by page (researchers and administrators)",
        _ref("ResponsePage"),
        [
            {**_query("wave", "The wave.", CODE, DEMO_WAVE), "required": True},
            _query("start", "Responses submitted on or after this day (UTC).", DATE, "2026-01-01"),
            _query("end", "Responses submitted on or before this day (UTC).", DATE, "2026-12-31"),
            _query(
                "after",
                "The cursor of the previous page (take the whole “next” address).",
                CURSOR,
                "cjEwMDA",
            ),
            _query(
                "limit",
                "Responses per page.",
                {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
                100,
            ),
        ],
    ),
    "/api/v1/openapi.json": _operation("This description", {"type": "object"}, [], public=True),
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, as a JSON-ready dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Police citizen survey: read-only API",
            "version": "1",
            "description": (
                "Areas, waves, indicator snapshots and weighted microdata. Authenticate with a "
                "personal token (created on the account page) as `Authorization: Bearer <token>`. "
                "Names come in Kazakh, Russian and English; error messages in the language of "
                "Accept-Language. Every authenticated request is audited."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token.",
                }
            },
            "schemas": SCHEMAS,
            "responses": {
                f"E{status}": {
                    "description": ERROR_TEXT[status],
                    "content": {JSON: {"schema": _ref("Error")}},
                }
                for status in ERRORS
            },
        },
    }
