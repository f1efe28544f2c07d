"""JSON bodies of the API: UTF-8 as is (names in Kazakh and Russian stay readable), no NaN."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Response, current_app

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def dumps(payload: Any) -> str:
    """``payload`` as compact JSON text; non-ASCII characters are kept, not escaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON response of ``payload``."""
    return current_app.response_class(dumps(payload), status=status, content_type=JSON_CONTENT_TYPE)


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value
