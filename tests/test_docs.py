"""docs/security.md and docs/operations.md match the code: the settings, roles, security
headers, audited actions, scheduled jobs and make targets they name exist, and what the code
has is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

from surveyapp.admin.forms import AUDIT_ACTION_NAMES
from surveyapp.jobs.scheduler import JOBS
from surveyapp.models.account import STAFF_ROLES
from surveyapp.security import (
    CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    STRICT_TRANSPORT_SECURITY,
)

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECURITY = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
VARIABLE = re.compile(r"\bSURVEYAPP_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
QUOTED_VARIABLE = re.compile(r"[\"'](SURVEYAPP_[A-Z][A-Z0-9_]*[A-Z0-9])[\"']")


def _source(*folders: str) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
    )


def variables_read_by_the_app() -> set[str]:
    """Every ``SURVEYAPP_*`` name the package reads (as a string literal)."""
    return set(QUOTED_VARIABLE.findall(_source("surveyapp")))


def test_every_setting_the_app_reads_is_documented() -> None:
    documented = set(VARIABLE.findall(README)) | set(VARIABLE.findall(OPERATIONS))
    missing = sorted(variables_read_by_the_app() - documented)
    assert not missing, f"document these in README.md or docs/operations.md: {missing}"


def test_every_setting_the_documents_name_exists() -> None:
    known = (
        variables_read_by_the_app()
        | set(QUOTED_VARIABLE.findall(_source("tests", "scripts", "bench")))
        | set(VARIABLE.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    )
    unknown = set()
    for text in (README, SECURITY, OPERATIONS):
        unknown |= set(VARIABLE.findall(text)) - known
    assert not unknown, f"named in the documents but read nowhere: {sorted(unknown)}"


def test_no_sentence_waits_for_verification() -> None:
    """Sentences written ahead of the code carried a ``<!-- verify:… -->`` marker until they
    were checked against it; none may stay."""
    for name, text in (
        ("README.md", README),
        ("security.md", SECURITY),
        ("operations.md", OPERATIONS),
    ):
        assert "<!-- verify:" not in text, name


def test_the_retention_settings_are_in_the_readme() -> None:
    for name in ("SURVEYAPP_TOKEN_RETENTION_DAYS", "SURVEYAPP_AUDIT_RETENTION_DAYS"):
        assert re.search(rf"^\| `{name}` \|", README, re.MULTILINE), name


def test_every_role_is_described() -> None:
    for role in STAFF_ROLES:
        assert f"| `{role.value}` |" in SECURITY, role


def test_every_security_header_is_described() -> None:
    for name in (*SECURITY_HEADERS, "Strict-Transport-Security"):
        assert f"`{name}`" in SECURITY, name
    assert f"`{CONTENT_SECURITY_POLICY}`" in SECURITY
    assert STRICT_TRANSPORT_SECURITY in SECURITY
    for name, value in SECURITY_HEADERS.items():
        assert value in SECURITY, (name, value)


def test_every_audited_action_is_listed() -> None:
    recorded = set(re.findall(r"record\(\s*\"([a-z_]+\.?[a-z_.]*)\"", _source("surveyapp")))
    for action in sorted(set(AUDIT_ACTION_NAMES) | recorded):
        assert f"`{action}`" in SECURITY, action


def test_every_scheduled_job_is_described() -> None:
    for name in JOBS:
        assert f"`{name}`" in OPERATIONS or f"`{name}`" in README, name


def test_the_make_targets_named_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))
    for text in (README, SECURITY, OPERATIONS):
        for target in re.findall(r"`make ([a-z][a-z0-9-]*)", text):
            assert target in targets, target
    assert {"audit", "restore-drill"} <= targets


def test_the_documents_are_linked_and_have_their_sections() -> None:
    assert "(docs/security.md)" in README and "(docs/operations.md)" in README
    for heading in (
        "## Roles and reach",
        "## Personal data",
        "## Sessions",
        "## CSRF",
        "## Content-Security-Policy and other headers",
        "## Secrets",
        "## Rate limits",
        "## Audit",
        "## Dependency audit",
        "## Findings of the outside review (#17) and their fixes",
        "## Comment scrubbing",
    ):
        assert f"\n{heading}\n" in SECURITY, heading
    for heading in (
        "## gunicorn",
        "## nginx in front",
        "## Redis for the rate limits",
        "## The scheduler: exactly one process",
        "## Upgrading: migrations first",
        "## Backups and the restore drill",
        "## Logs",
        "## Health endpoints",
        "## Capacity",
        "## Several app hosts, and beyond",
    ):
        assert f"\n{heading}\n" in OPERATIONS, heading


def test_the_scripts_the_documents_name_exist() -> None:
    for text in (SECURITY, OPERATIONS):
        for script in re.findall(r"scripts/[a-z_]+\.py", text):
            assert (ROOT / script).is_file(), script
