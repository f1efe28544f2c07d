"""Cache-friendly static files: every static URL carries a hash of the file's content.

Browsers can then keep static files for a year (``SEND_FILE_MAX_AGE_DEFAULT``)
and still fetch a new version the moment it changes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, request


@lru_cache(maxsize=64)
def _content_hash(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def register_static_versioning(app: Flask) -> None:
    """Add ``v=<hash>`` to ``url_for('static', filename=...)``."""
    static_folder = Path(app.static_folder or "")

    @app.after_request
    def _let_static_files_be_compressed(response: Any) -> Any:
        # send_file marks responses as pass-through, which Flask-Compress skips;
        # the files are small, so read them and compress (registered after it, runs before it).
        if request.endpoint == "static" and response.status_code == 200:
            response.direct_passthrough = False
            response.make_sequence()
        return response

    @app.url_defaults
    def _version_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        path = static_folder / values["filename"]
        if path.is_file():
            values["v"] = _content_hash(str(path), path.stat().st_mtime)
