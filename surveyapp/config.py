"""Settings read from the environment (``SURVEYAPP_*``).

Every variable is documented in the README. In production the app refuses to
start without an explicit database URL, a random secret key (no key committed to this
repository, no guessable one: :func:`secret_key_weakness`), the survey team's contact
address (citizens' questions about their data go there) and rate-limit counters shared by
every worker (Redis), unless told that it runs as a single process.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
KNOWN_SECRET_KEYS = frozenset(
    {
        DEFAULT_SECRET_KEY,
        # tests/conftest.py (TEST_SECRET): the test suite's key.
        "test-secret-key-that-is-long-enough-0123456789",
        # bench/_common.py's key before the benchmarks drew a random one per run.
        "bench-secret-key-not-for-production-0123456789abcdef",
    }
)
"""Every secret key ever committed to this repository: public, so production refuses them.
``tests/test_config.py`` searches the tracked files for key assignments and fails on any
value production would accept, so that a newly committed key has to be added here."""
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 128
RATELIMIT_STORAGE_SCHEMES = ("memory://", "redis://", "rediss://")
DEMO_CONTACT_EMAIL = "survey@example.kz"
"""The contact shown to citizens outside production: a reserved example domain, so that a
demo can never send anyone's questions to a real mailbox. Production must set its own."""
ENVIRONMENTS = ("development", "production", "test")


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a startable app."""


# --- Retention settings (issue #17: the nightly purge job, surveyapp/jobs/tasks.py) -------
# Kept apart from the other settings: read by load_retention(), carried by
# AppSettings.retention and mapped onto Flask's configuration by its as_flask_config().


@dataclass(frozen=True)
class RetentionSettings:
    """How long the nightly purge keeps what it may delete; 0 days = kept for ever."""

    token_days: int = 90
    """Days a revoked API token is kept after its revocation (it then authenticates nobody;
    its audit entries keep its name and prefix)."""
    audit_days: int = 730
    """Days audit entries are kept (0: for ever)."""

    def as_flask_config(self) -> dict[str, Any]:
        return {
            "TOKEN_RETENTION_DAYS": self.token_days,
            "AUDIT_RETENTION_DAYS": self.audit_days,
        }


def load_retention(env_vars: Mapping[str, str]) -> RetentionSettings:
    """The retention settings from ``SURVEYAPP_TOKEN_RETENTION_DAYS`` (default 90) and
    ``SURVEYAPP_AUDIT_RETENTION_DAYS`` (default 730); 0 keeps for ever."""
    return RetentionSettings(
        token_days=_integer(env_vars, "SURVEYAPP_TOKEN_RETENTION_DAYS", 90, minimum=0),
        audit_days=_integer(env_vars, "SURVEYAPP_AUDIT_RETENTION_DAYS", 730, minimum=0),
    )


# --- end of the retention settings --------------------------------------------------------


@dataclass(frozen=True)
class AppSettings:
    """The application's settings, resolved from the environment (the pipeline's are
    :class:`surveyapp.pipeline.Settings`)."""

    env: str
    database_url: str
    secret_key: str
    instance_path: Path
    log_level: str
    ratelimit_storage_url: str
    session_cookie_secure: bool
    ratelimit_enabled: bool = True
    submit_rate_limit: str = "30 per hour;200 per day"
    ratelimit_key_days: int = 1
    survey_form_max_age: int = 6 * 3600
    trusted_proxies: int = 0
    recompute_minutes: int = 15
    rolling_window_days: int = 90
    nightly_at: str = "02:30"
    public_base_url: str = ""
    contact_email: str = DEMO_CONTACT_EMAIL
    contact_phone: str = ""
    retention_years: int = 5
    single_process: bool = False
    # Database timeouts (seconds; see db.engine_options and the README).
    db_connect_timeout: int = 3
    db_statement_timeout: int = 10
    db_pool_timeout: int = 5
    db_network_timeout: int = 30
    retry_after: int = 60
    citizen_cache_seconds: int = 5
    retention: RetentionSettings = RetentionSettings()

    def as_flask_config(self) -> dict[str, Any]:
        """Map the settings onto Flask's configuration keys."""
        return {
            "SURVEYAPP_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": self.log_level,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_url,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            # While the shared storage (Redis) cannot be reached, each process counts on its
            # own, so limits keep holding per worker and no request fails for it; Flask-Limiter
            # tries the storage again with a growing interval and logs the change. A frozen
            # Redis holds a request at most this long per call.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_STORAGE_OPTIONS": (
                {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
                if self.ratelimit_storage_url.startswith(("redis://", "rediss://"))
                else {}
            ),
            "SUBMIT_RATE_LIMIT": self.submit_rate_limit,
            "RATELIMIT_KEY_DAYS": self.ratelimit_key_days,
            "SURVEY_FORM_MAX_AGE": self.survey_form_max_age,
            # How long a worker may serve a survey page's wave and area from its cache
            # (surveyapp.citizen.places); 0: no cache.
            "CITIZEN_CACHE_SECONDS": self.citizen_cache_seconds,
            "WTF_CSRF_TIME_LIMIT": self.survey_form_max_age,
            # Every message a user sees is ours (messages.py, translated in our catalogs);
            # WTForms' own catalog would only be loaded and parsed on every request.
            "WTF_I18N_ENABLED": False,
            # Sign-in throttling: per client (HMAC of the address), and per account tried from
            # that client (never per account alone: guesses from elsewhere would lock the
            # account's owner out).
            "LOGIN_RATE_LIMIT": "10 per minute;100 per day",
            "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
            # The JSON API, per token.
            "API_RATE_LIMIT": "120 per minute;5000 per hour",
            "TRUSTED_PROXIES": self.trusted_proxies,
            "RECOMPUTE_MINUTES": self.recompute_minutes,
            # Microdata exports of more rows than this are built in a background thread (the
            # page shows their progress); their files are kept this many hours for the account
            # that asked, in the instance folder (exports/), then removed.
            "EXPORT_BACKGROUND_ROWS": 5_000,
            "EXPORT_KEEP_HOURS": 24,
            "ROLLING_WINDOW_DAYS": self.rolling_window_days,
            "NIGHTLY_AT": self.nightly_at,
            # The site's public address (https://host[/prefix]) printed on QR posters; empty:
            # the address a request came in by (the CLI then needs --base-url).
            "PUBLIC_BASE_URL": self.public_base_url,
            # The survey team's contact, on the privacy notice and in every citizen page's footer.
            "CONTACT_EMAIL": self.contact_email,
            "CONTACT_PHONE": self.contact_phone,
            # Years individual answers are kept after their wave ends (stated on the privacy
            # notice; deleting them then is the operator's task: nothing deletes them by itself).
            "RETENTION_YEARS": self.retention_years,
            # The database: seconds to connect, for one statement of a web request (0: no
            # limit; jobs, the CLI and migrations have none), to wait for a pooled connection,
            # before a connection whose server stopped answering is given up; and the
            # Retry-After of the 503 answered while the database is unavailable.
            "DB_CONNECT_TIMEOUT": self.db_connect_timeout,
            "DB_STATEMENT_TIMEOUT": self.db_statement_timeout,
            "DB_POOL_TIMEOUT": self.db_pool_timeout,
            "DB_NETWORK_TIMEOUT": self.db_network_timeout,
            "RETRY_AFTER": self.retry_after,
            **self.retention.as_flask_config(),
            "MAX_CONTENT_LENGTH": 64 * 1024,
            # Static URLs carry a content hash (?v=...), so browsers may keep them a year.
            "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
            "COMPRESS_ALGORITHM": ["br", "gzip"],
            "COMPRESS_MIN_SIZE": 500,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "BABEL_DEFAULT_LOCALE": "kk",
            "TESTING": self.env == "test",
        }


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(
    environ: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> AppSettings:
    """Read settings from ``environ`` (default: ``os.environ``).

    Raises :class:`ConfigError` with a message naming the variables to set when
    production is asked for without a database URL, with a weak or published key, without
    a contact address, or with per-process rate-limit counters (``memory://``) without
    ``SURVEYAPP_SINGLE_PROCESS``; and, in any environment, for a rate-limit storage other
    than ``memory://``, ``redis://`` or ``rediss://``.
    """
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("SURVEYAPP_ENV", "development").strip().lower() or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"SURVEYAPP_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}.")
    if instance_path is None:
        instance_path = Path(env_vars.get("SURVEYAPP_INSTANCE_PATH", "instance")).resolve()
    database_url = env_vars.get("SURVEYAPP_DATABASE_URL", "").strip()
    secret_key = env_vars.get("SURVEYAPP_SECRET_KEY", "").strip()
    contact_email = _email(env_vars, "SURVEYAPP_CONTACT_EMAIL")
    ratelimit_storage_url = _ratelimit_storage(env_vars, "SURVEYAPP_RATELIMIT_STORAGE_URL")
    ratelimit_enabled = _flag(env_vars.get("SURVEYAPP_RATELIMIT_ENABLED"), default=True)
    single_process = _flag(env_vars.get("SURVEYAPP_SINGLE_PROCESS"), default=False)

    if env == "production":
        problems = []
        if not database_url:
            problems.append(
                "set SURVEYAPP_DATABASE_URL to the production database, e.g. "
                "postgresql+psycopg://user@host/dbname"
            )
        weakness = secret_key_weakness(secret_key)
        if weakness:
            problems.append(
                f"set SURVEYAPP_SECRET_KEY to a new random value ({weakness}), e.g. "
                "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if (
            ratelimit_enabled
            and ratelimit_storage_url.startswith("memory://")
            and not single_process
        ):
            problems.append(
                "set SURVEYAPP_RATELIMIT_STORAGE_URL to a Redis shared by every worker, e.g. "
                "redis://127.0.0.1:6379/0 (memory:// counts per process, so n workers let n "
                "times every limit through), or SURVEYAPP_SINGLE_PROCESS=1 if the app "
                "really runs as one process"
            )
        if not contact_email:
            problems.append(
                "set SURVEYAPP_CONTACT_EMAIL to the survey team's address for citizens' "
                "questions (shown on the privacy notice and in every page's footer)"
            )
        if problems:
            raise ConfigError(
                "Refusing to start with SURVEYAPP_ENV=production: " + "; ".join(problems) + "."
            )

    if not database_url:
        database_url = f"sqlite:///{instance_path / 'surveyapp.sqlite3'}"
    return AppSettings(
        env=env,
        database_url=database_url,
        secret_key=secret_key or DEFAULT_SECRET_KEY,
        instance_path=instance_path,
        log_level=env_vars.get("SURVEYAPP_LOG_LEVEL", "INFO").upper(),
        ratelimit_storage_url=ratelimit_storage_url,
        session_cookie_secure=_flag(
            env_vars.get("SURVEYAPP_SESSION_COOKIE_SECURE"), default=env == "production"
        ),
        ratelimit_enabled=ratelimit_enabled,
        submit_rate_limit=env_vars.get("SURVEYAPP_SUBMIT_RATE_LIMIT", "30 per hour;200 per day"),
        ratelimit_key_days=_integer(env_vars, "SURVEYAPP_RATELIMIT_KEY_DAYS", 1, minimum=1),
        survey_form_max_age=_integer(
            env_vars, "SURVEYAPP_SURVEY_FORM_MAX_AGE", 6 * 3600, minimum=60
        ),
        trusted_proxies=_integer(env_vars, "SURVEYAPP_TRUSTED_PROXIES", 0, minimum=0),
        citizen_cache_seconds=_integer(env_vars, "SURVEYAPP_CITIZEN_CACHE_SECONDS", 5, minimum=0),
        recompute_minutes=_integer(env_vars, "SURVEYAPP_RECOMPUTE_MINUTES", 15, minimum=1),
        rolling_window_days=_integer(env_vars, "SURVEYAPP_ROLLING_WINDOW_DAYS", 90, minimum=1),
        nightly_at=_clock(env_vars, "SURVEYAPP_NIGHTLY_AT", "02:30"),
        public_base_url=_base_url(env_vars, "SURVEYAPP_PUBLIC_BASE_URL"),
        contact_email=contact_email or DEMO_CONTACT_EMAIL,
        contact_phone=_phone(env_vars, "SURVEYAPP_CONTACT_PHONE"),
        retention_years=_integer(env_vars, "SURVEYAPP_RETENTION_YEARS", 5, minimum=1),
        single_process=single_process,
        db_connect_timeout=_integer(env_vars, "SURVEYAPP_DB_CONNECT_TIMEOUT", 3, minimum=1),
        db_statement_timeout=_integer(env_vars, "SURVEYAPP_DB_STATEMENT_TIMEOUT", 10, minimum=0),
        db_pool_timeout=_integer(env_vars, "SURVEYAPP_DB_POOL_TIMEOUT", 5, minimum=1),
        db_network_timeout=_integer(env_vars, "SURVEYAPP_DB_NETWORK_TIMEOUT", 30, minimum=5),
        retry_after=_integer(env_vars, "SURVEYAPP_RETRY_AFTER", 60, minimum=1),
        retention=load_retention(env_vars),
    )


def secret_key_weakness(key: str) -> str:
    """Why production refuses ``key`` (empty when it does not).

    Refused: a key shorter than :data:`MIN_SECRET_KEY_LENGTH` characters, a key committed to
    this repository (:data:`KNOWN_SECRET_KEYS`) and a key whose estimated entropy
    (:func:`secret_key_bits`) is below :data:`MIN_SECRET_KEY_BITS` bits.
    """
    if not key:
        return "it is not set"
    if key in KNOWN_SECRET_KEYS:
        return "this key is published in the source code"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"at least {MIN_SECRET_KEY_LENGTH} characters"
    if secret_key_bits(key) < MIN_SECRET_KEY_BITS:
        return f"the key is too predictable: less than {MIN_SECRET_KEY_BITS} bits of entropy"
    return ""


def secret_key_bits(key: str) -> float:
    """A conservative estimate of the entropy of ``key`` in bits.

    Each character is worth the key's Shannon entropy per character (from the frequencies
    of its characters: log2 of 16 for evenly used hexadecimal digits, 0 for a single
    repeated one), except a character that repeats the one before it or follows it in the
    alphabet (``aa``, ``ab``, ``ba``, ``89``), and one that ends three characters seen
    together earlier in the key (a repeated part such as ``abcabc`` counts once): those
    count nothing. Keys from ``secrets.token_hex(32)`` or ``secrets.token_urlsafe(32)``
    come out near 200 bits.
    """
    if not key:
        return 0.0
    size = len(key)
    frequencies = [key.count(character) / size for character in set(key)]
    per_character = -sum(p * math.log2(p) for p in frequencies)
    seen: set[str] = set()
    counted = 0
    for index, character in enumerate(key):
        triple = key[index - 2 : index + 1] if index >= 2 else ""
        repeated = triple in seen
        if triple:
            seen.add(triple)
        if index and abs(ord(character) - ord(key[index - 1])) <= 1:
            continue
        if not repeated:
            counted += 1
    return counted * per_character


def _ratelimit_storage(env_vars: Mapping[str, str], name: str) -> str:
    raw = env_vars.get(name, "").strip() or "memory://"
    if not raw.startswith(RATELIMIT_STORAGE_SCHEMES):
        raise ConfigError(
            f"{name} must start with one of {', '.join(RATELIMIT_STORAGE_SCHEMES)}, "
            "e.g. redis://127.0.0.1:6379/0."
        )
    return raw


def _email(env_vars: Mapping[str, str], name: str) -> str:
    raw = env_vars.get(name, "").strip()
    if raw and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]{2,}", raw):
        raise ConfigError(f"{name}={raw!r} is not an e-mail address, e.g. survey@example.kz.")
    return raw


def _phone(env_vars: Mapping[str, str], name: str) -> str:
    raw = " ".join(env_vars.get(name, "").split())
    if raw and not re.fullmatch(r"\+?[\d() -]{5,30}", raw):
        raise ConfigError(f"{name}={raw!r} is not a phone number, e.g. +7 7172 00 00 00.")
    return raw


def _base_url(env_vars: Mapping[str, str], name: str) -> str:
    raw = env_vars.get(name, "").strip().rstrip("/")
    if raw and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", raw):
        raise ConfigError(
            f"{name}={raw!r} is not the site's address, e.g. https://survey.example.kz."
        )
    return raw


def _clock(env_vars: Mapping[str, str], name: str, default: str) -> str:
    raw = env_vars.get(name, "").strip() or default
    hour, _, minute = raw.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ConfigError(f"{name}={raw!r} is not a time of day such as 02:30 (UTC).")
    return f"{int(hour):02d}:{int(minute):02d}"


def _integer(env_vars: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env_vars.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}.")
    return value
