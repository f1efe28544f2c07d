"""Settings from the environment; production refuses unsafe defaults."""

from __future__ import annotations

import math
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from surveyapp import create_app
from surveyapp.config import (
    DEFAULT_SECRET_KEY,
    DEMO_CONTACT_EMAIL,
    KNOWN_SECRET_KEYS,
    MIN_SECRET_KEY_BITS,
    ConfigError,
    load_settings,
    secret_key_bits,
    secret_key_weakness,
)

# Drawn per run: a key written here would be a committed key, which production refuses.
GOOD_KEY = secrets.token_hex(32)
ROOT = Path(__file__).resolve().parent.parent
# What production needs besides the database URL and the key (contact, shared counters).
PRODUCTION_REST = {
    "SURVEYAPP_CONTACT_EMAIL": "opros@mvd.example.kz",
    "SURVEYAPP_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
}


def test_development_defaults_to_sqlite_under_instance(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path)
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'surveyapp.sqlite3'}"
    assert settings.secret_key == DEFAULT_SECRET_KEY
    assert settings.session_cookie_secure is False


def test_variables_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SURVEYAPP_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SURVEYAPP_SECRET_KEY": GOOD_KEY,
            "SURVEYAPP_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
            "SURVEYAPP_SESSION_COOKIE_SECURE": "yes",
            "SURVEYAPP_LOG_LEVEL": "debug",
        },
        instance_path=tmp_path,
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.secret_key == GOOD_KEY
    assert settings.ratelimit_storage_url == "redis://127.0.0.1:6379/0"
    assert settings.session_cookie_secure is True
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, ["SURVEYAPP_DATABASE_URL", "SURVEYAPP_SECRET_KEY"]),
        ({"SURVEYAPP_SECRET_KEY": GOOD_KEY}, ["SURVEYAPP_DATABASE_URL"]),
        ({"SURVEYAPP_DATABASE_URL": "postgresql+psycopg://u@h/db"}, ["SURVEYAPP_SECRET_KEY"]),
        (
            {
                "SURVEYAPP_DATABASE_URL": "postgresql+psycopg://u@h/db",
                "SURVEYAPP_SECRET_KEY": DEFAULT_SECRET_KEY,
            },
            ["SURVEYAPP_SECRET_KEY"],
        ),
        (
            {
                "SURVEYAPP_DATABASE_URL": "postgresql+psycopg://u@h/db",
                "SURVEYAPP_SECRET_KEY": "short",
            },
            ["SURVEYAPP_SECRET_KEY"],
        ),
    ],
)
def test_production_refuses_to_start_without_url_and_key(
    tmp_path: Path, environ: dict[str, str], named: list[str]
) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(
            environ={
                "SURVEYAPP_ENV": "production",
                **environ,
                "SURVEYAPP_INSTANCE_PATH": str(tmp_path),
            }
        )
    message = str(refused.value)
    for variable in named:
        assert variable in message
    for variable in {"SURVEYAPP_DATABASE_URL", "SURVEYAPP_SECRET_KEY"} - set(named):
        assert variable not in message


def test_production_starts_with_url_and_key(tmp_path: Path) -> None:
    app = create_app(
        environ={
            "SURVEYAPP_ENV": "production",
            "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "SURVEYAPP_SECRET_KEY": GOOD_KEY,
            **PRODUCTION_REST,
        }
    )
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["CONTACT_EMAIL"] == "opros@mvd.example.kz"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_unknown_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SURVEYAPP_ENV"):
        load_settings({"SURVEYAPP_ENV": "staging"}, instance_path=tmp_path)


def test_create_app_touches_no_database(tmp_path: Path) -> None:
    """No migrations or other side effects in the factory: the database file is not created."""
    database = tmp_path / "untouched.sqlite3"
    create_app(environ={"SURVEYAPP_DATABASE_URL": f"sqlite:///{database}"})
    assert not database.exists()


def test_the_public_address_of_the_posters(tmp_path: Path) -> None:
    assert load_settings({}, instance_path=tmp_path).public_base_url == ""
    settings = load_settings(
        {"SURVEYAPP_PUBLIC_BASE_URL": " https://survey.example.kz/app/ "}, instance_path=tmp_path
    )
    assert settings.public_base_url == "https://survey.example.kz/app"
    assert settings.as_flask_config()["PUBLIC_BASE_URL"] == "https://survey.example.kz/app"
    for bad in ("survey.example.kz", "https://x.kz/?a=1", "ftp://x.kz"):
        with pytest.raises(ConfigError, match="SURVEYAPP_PUBLIC_BASE_URL"):
            load_settings({"SURVEYAPP_PUBLIC_BASE_URL": bad}, instance_path=tmp_path)


def test_the_contact_and_the_retention_period(tmp_path: Path) -> None:
    """Outside production the contact is the demo address of a reserved domain; the phone is
    optional; answers are kept 5 years unless configured."""
    defaults = load_settings({}, instance_path=tmp_path).as_flask_config()
    assert defaults["CONTACT_EMAIL"] == DEMO_CONTACT_EMAIL == "survey@example.kz"
    assert defaults["CONTACT_PHONE"] == ""
    assert defaults["RETENTION_YEARS"] == 5
    configured = load_settings(
        {
            "SURVEYAPP_CONTACT_EMAIL": " opros@mvd.example.kz ",
            "SURVEYAPP_CONTACT_PHONE": " +7  7172 00-00-00 ",
            "SURVEYAPP_RETENTION_YEARS": "3",
        },
        instance_path=tmp_path,
    ).as_flask_config()
    assert configured["CONTACT_EMAIL"] == "opros@mvd.example.kz"
    assert configured["CONTACT_PHONE"] == "+7 7172 00-00-00"
    assert configured["RETENTION_YEARS"] == 3
    for name, bad in [
        ("SURVEYAPP_CONTACT_EMAIL", "opros"),
        ("SURVEYAPP_CONTACT_EMAIL", "opros@mvd"),
        ("SURVEYAPP_CONTACT_EMAIL", "<a@b.kz>"),
        ("SURVEYAPP_CONTACT_PHONE", "call us"),
        ("SURVEYAPP_RETENTION_YEARS", "0"),
        ("SURVEYAPP_RETENTION_YEARS", "five"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_settings({name: bad}, instance_path=tmp_path)


def test_production_refuses_to_start_without_a_contact(tmp_path: Path) -> None:
    """Citizens must have somewhere real to ask: production does not fall back to the demo."""
    environ = {
        "SURVEYAPP_ENV": "production",
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "SURVEYAPP_SECRET_KEY": GOOD_KEY,
    }
    with pytest.raises(ConfigError) as refused:
        load_settings(environ, instance_path=tmp_path)
    message = str(refused.value)
    assert "SURVEYAPP_CONTACT_EMAIL" in message
    assert "SURVEYAPP_DATABASE_URL" not in message and "SURVEYAPP_SECRET_KEY" not in message
    with pytest.raises(ConfigError, match="SURVEYAPP_CONTACT_EMAIL"):
        load_settings({**environ, "SURVEYAPP_CONTACT_EMAIL": "  "}, instance_path=tmp_path)


def _production(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {
        "SURVEYAPP_ENV": "production",
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "SURVEYAPP_SECRET_KEY": GOOD_KEY,
        **PRODUCTION_REST,
        **variables,
    }


def test_production_refuses_per_process_rate_limits(tmp_path: Path) -> None:
    """memory:// counts in each worker: n workers would let n times every limit through.
    Production says what to set, and accepts it only when told the app is one process."""
    for storage in ("", "memory://"):
        environ = _production(tmp_path, SURVEYAPP_RATELIMIT_STORAGE_URL=storage)
        with pytest.raises(ConfigError) as refused:
            load_settings(environ, instance_path=tmp_path)
        message = str(refused.value)
        assert "SURVEYAPP_RATELIMIT_STORAGE_URL" in message
        assert "redis://127.0.0.1:6379/0" in message and "SURVEYAPP_SINGLE_PROCESS=1" in message
        assert "SURVEYAPP_SECRET_KEY" not in message
        for flag in ("0", "no", ""):
            with pytest.raises(ConfigError, match="SURVEYAPP_RATELIMIT_STORAGE_URL"):
                load_settings({**environ, "SURVEYAPP_SINGLE_PROCESS": flag}, tmp_path)
        alone = load_settings({**environ, "SURVEYAPP_SINGLE_PROCESS": "1"}, tmp_path)
        assert alone.single_process is True
        assert alone.ratelimit_storage_url == "memory://"
        # No limits at all (a capacity benchmark): nothing is counted, nothing to share.
        unlimited = load_settings({**environ, "SURVEYAPP_RATELIMIT_ENABLED": "0"}, tmp_path)
        assert unlimited.ratelimit_enabled is False
    for shared in ("redis://127.0.0.1:6379/0", "rediss://cache.example.kz:6380/1"):
        settings = load_settings(
            _production(tmp_path, SURVEYAPP_RATELIMIT_STORAGE_URL=shared), tmp_path
        )
        assert settings.as_flask_config()["RATELIMIT_STORAGE_URI"] == shared
        assert settings.single_process is False


@pytest.mark.parametrize(
    "storage", ["memcached://127.0.0.1:11211", "cache:6379", "http://127.0.0.1:6379", "mongodb://x"]
)
def test_an_unknown_rate_limit_storage_is_refused_everywhere(tmp_path: Path, storage: str) -> None:
    for environ in ({}, {"SURVEYAPP_ENV": "test"}, _production(tmp_path)):
        with pytest.raises(ConfigError) as refused:
            load_settings({**environ, "SURVEYAPP_RATELIMIT_STORAGE_URL": storage}, tmp_path)
        message = str(refused.value)
        assert "SURVEYAPP_RATELIMIT_STORAGE_URL" in message
        assert "memory://, redis://, rediss://" in message
        assert storage not in message  # a storage URL may carry a password


WEAK_KEYS = [
    "",
    "short",
    DEFAULT_SECRET_KEY,
    "a" * 32,
    "a" * 200,
    "abc" * 20,
    "ab" * 40,
    "0123456789abcdef" * 4,
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "f3a9c2e17b4d8605" * 4,  # a random-looking part, repeated
    "f3a9c2e17b4d8605e6c1a0b9" * 3,
    "passwordpasswordpasswordpassword",
    "zyxwvutsrqponmlkjihgfedcbazyxwvu",
    *sorted(KNOWN_SECRET_KEYS),
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_production_refuses_weak_and_published_keys(tmp_path: Path, key: str) -> None:
    assert secret_key_weakness(key)
    with pytest.raises(ConfigError) as refused:
        load_settings(_production(tmp_path, SURVEYAPP_SECRET_KEY=key), tmp_path)
    message = str(refused.value)
    assert "SURVEYAPP_SECRET_KEY" in message and "secrets.token_hex(32)" in message
    if key:
        assert key not in message
    # Outside production the same key is accepted (tests and demos use their own).
    assert load_settings({"SURVEYAPP_SECRET_KEY": key or "x"}, tmp_path).env == "development"


def test_keys_the_documentation_recommends_pass(tmp_path: Path) -> None:
    """token_hex(32) and token_urlsafe(32) carry 256 bits; the conservative estimate puts
    them near 200, far above the threshold (1,000 of each drawn here)."""
    for draw in (lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32)):
        for _ in range(1000):
            key = draw()
            assert secret_key_bits(key) >= MIN_SECRET_KEY_BITS + 8, key
            assert secret_key_weakness(key) == ""
    settings = load_settings(_production(tmp_path), tmp_path)
    assert settings.secret_key == GOOD_KEY


def test_the_entropy_estimate() -> None:
    assert secret_key_bits("") == 0
    assert secret_key_bits("a" * 64) == 0
    # Steps through the alphabet and repeated triples count nothing: the first character only.
    assert secret_key_bits("abcdefghijklmnopqrstuvwxyz") == pytest.approx(math.log2(26))
    assert secret_key_bits("q7Zp" * 16) == secret_key_bits("q7Zp" * 2)
    # 64 characters, 16 equally frequent, none next to its neighbour, no triple repeated.
    key = "0246813579bdface" + "05af27c9e38d146b" + "0369cf258be147ad" + "0741eb852fc963da"
    assert secret_key_bits(key) == 4 * 64


# An assignment of a quoted value to a name that says "secret" (Python, JSON, YAML, shell),
# or, outside Python, an unquoted value given to a *SECRET* variable (shell, Makefile, .env).
_QUOTED = re.compile(r"""(?i)\b\w*secret\w*\b["']?\s*[:=]\s*[rbuf]{0,2}(["'])([^"'\n]*)\1""")
_UNQUOTED = re.compile(r"""(?i)\b\w*secret\w*\b\s*[:=]\s*([^\s"'$`;(){}<>|,]+)""")


def committed_secret_values() -> dict[str, list[str]]:
    """Every value the repository's tracked files assign to a secret, with where."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, list[str]] = {}
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if not path.is_file() or path.suffix in {".mo", ".png", ".pdf", ".woff2", ".ico"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        values = [match.group(2) for match in _QUOTED.finditer(text)]
        if path.suffix != ".py":
            values += [match.group(1) for match in _UNQUOTED.finditer(text)]
        for value in values:
            found.setdefault(value, []).append(name)
    return found


def test_every_secret_committed_to_the_repository_is_refused_in_production() -> None:
    """A key written into any tracked file (code, tests, bench, scripts, docs, CI) is public:
    production must refuse it. A new one fails here until it is weak or listed in
    ``surveyapp.config.KNOWN_SECRET_KEYS``."""
    found = committed_secret_values()
    assert DEFAULT_SECRET_KEY in found  # the search sees the assignments it must see
    from tests.conftest import TEST_SECRET

    assert TEST_SECRET in found
    accepted = {value: where for value, where in found.items() if not secret_key_weakness(value)}
    assert accepted == {}
