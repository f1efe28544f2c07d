"""Settings from the environment; production refuses unsafe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveyapp import create_app
from surveyapp.config import DEFAULT_SECRET_KEY, DEMO_CONTACT_EMAIL, ConfigError, load_settings

GOOD_KEY = "k" * 40


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
            "SURVEYAPP_CONTACT_EMAIL": "opros@mvd.example.kz",
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
