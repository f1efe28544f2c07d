"""The rate limits' shared storage (Redis) out of reach (issue 17): no request fails for it,
each process counts on its own meanwhile, and a frozen Redis holds a request only for its
socket timeouts.

The limiter is one object for every app of a process, so the app with an unreachable Redis
runs in a process of its own."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET

SCRIPT = """
import json, sys
from flask_migrate import upgrade
from surveyapp import MIGRATIONS_DIR, create_app

app = create_app(environ=json.loads(sys.argv[1]))
app.config.update(WTF_CSRF_ENABLED=False)
with app.app_context():
    upgrade(directory=str(MIGRATIONS_DIR))
client = app.test_client()
statuses = [
    client.post("/en/login", data={"username": "admin", "password": f"guess {n}"}).status_code
    for n in range(7)
]
print(json.dumps({"statuses": statuses, "landing": client.get("/en/").status_code}))
"""


def _run(tmp_path: Path, storage: str) -> dict[str, object]:
    environ = {
        "SURVEYAPP_ENV": "test",
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'limits.sqlite3'}",
        "SURVEYAPP_SECRET_KEY": TEST_SECRET,
        "SURVEYAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        "SURVEYAPP_RATELIMIT_STORAGE_URL": storage,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(environ)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_sign_in_stays_throttled_while_redis_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = _run(tmp_path, f"redis://127.0.0.1:{port}/0")
    # Five wrong passwords for one account from one address, then 429: the process's own
    # counters hold the limit; never a 500.
    assert result["statuses"] == [401] * 5 + [429] * 2
    assert result["landing"] == 200


def test_a_frozen_redis_holds_a_request_at_most_its_timeouts(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        result = _run(tmp_path, f"redis://127.0.0.1:{port}/0")
    # Without socket timeouts the first request would wait for ever (the run's timeout
    # fails the test); with them it waits a second, then the process counts on its own.
    assert result["statuses"] == [401] * 5 + [429] * 2
    assert result["landing"] == 200
