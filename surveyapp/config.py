"""Settings read from the environment (``SURVEYAPP_*``).

Every variable is documented in the README. In production the app refuses to
start without an explicit database URL, a real secret key and the survey team's
contact address (citizens' questions about their data go there).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
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
            "SUBMIT_RATE_LIMIT": self.submit_rate_limit,
            "RATELIMIT_KEY_DAYS": self.ratelimit_key_days,
            "SURVEY_FORM_MAX_AGE": self.survey_form_max_age,
            "WTF_CSRF_TIME_LIMIT": self.survey_form_max_age,
            # Every message a user sees is ours (messages.py, translated in our catalogs);
            # WTForms' own catalog would only be loaded and parsed on every request.
            "WTF_I18N_ENABLED": False,
            # Sign-in throttling: per client (HMAC of the address) and per account tried.
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
    production is asked for without a database URL or with the default key.
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

    if env == "production":
        problems = []
        if not database_url:
            problems.append(
                "set SURVEYAPP_DATABASE_URL to the production database, e.g. "
                "postgresql+psycopg://user@host/dbname"
            )
        if not secret_key or secret_key == DEFAULT_SECRET_KEY or len(secret_key) < 32:
            problems.append(
                "set SURVEYAPP_SECRET_KEY to a random value of at least 32 characters, e.g. "
                "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
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
        ratelimit_storage_url=env_vars.get("SURVEYAPP_RATELIMIT_STORAGE_URL", "memory://"),
        session_cookie_secure=_flag(
            env_vars.get("SURVEYAPP_SESSION_COOKIE_SECURE"), default=env == "production"
        ),
        ratelimit_enabled=_flag(env_vars.get("SURVEYAPP_RATELIMIT_ENABLED"), default=True),
        submit_rate_limit=env_vars.get("SURVEYAPP_SUBMIT_RATE_LIMIT", "30 per hour;200 per day"),
        ratelimit_key_days=_integer(env_vars, "SURVEYAPP_RATELIMIT_KEY_DAYS", 1, minimum=1),
        survey_form_max_age=_integer(
            env_vars, "SURVEYAPP_SURVEY_FORM_MAX_AGE", 6 * 3600, minimum=60
        ),
        trusted_proxies=_integer(env_vars, "SURVEYAPP_TRUSTED_PROXIES", 0, minimum=0),
        recompute_minutes=_integer(env_vars, "SURVEYAPP_RECOMPUTE_MINUTES", 15, minimum=1),
        rolling_window_days=_integer(env_vars, "SURVEYAPP_ROLLING_WINDOW_DAYS", 90, minimum=1),
        nightly_at=_clock(env_vars, "SURVEYAPP_NIGHTLY_AT", "02:30"),
        public_base_url=_base_url(env_vars, "SURVEYAPP_PUBLIC_BASE_URL"),
        contact_email=contact_email or DEMO_CONTACT_EMAIL,
        contact_phone=_phone(env_vars, "SURVEYAPP_CONTACT_PHONE"),
        retention_years=_integer(env_vars, "SURVEYAPP_RETENTION_YEARS", 5, minimum=1),
        retention=load_retention(env_vars),
    )


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
