"""The dependency audit's decisions (scripts/audit_dependencies.py): a service that does not
answer is said loudly and does not fail CI; a vulnerability, or a package the answering
service could not audit, does. pip-audit itself is replaced by recorded reports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_script() -> ModuleType:
    path = ROOT / "scripts" / "audit_dependencies.py"
    spec = importlib.util.spec_from_file_location("audit_dependencies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_dependencies"] = module
    spec.loader.exec_module(module)
    return module


script = load_script()
Outcome = script.Outcome

PROBE_SKIPPED = {
    "dependencies": [
        {
            "name": "requests",
            "skip_reason": "Dependency not found on PyPI and could not be audited: "
            "requests (2.19.0)",
        }
    ],
    "fixes": [],
}
PROBE_FOUND = {
    "dependencies": [
        {
            "name": "requests",
            "version": "2.19.0",
            "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"]}],
        }
    ],
    "fixes": [],
}
CLEAN = {
    "dependencies": [
        {"name": "flask", "version": "3.1.2", "vulns": []},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
    ],
    "fixes": [],
}
VULNERABLE = {
    "dependencies": [
        {"name": "flask", "version": "3.1.2", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.4",
            "vulns": [{"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"]}],
        },
    ],
    "fixes": [],
}
INCOMPLETE = {
    "dependencies": [
        {"name": "flask", "version": "3.1.2", "vulns": []},
        {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI"},
    ],
    "fixes": [],
}
UNREACHABLE = Outcome(1, None, "requests.exceptions.ConnectionError: api.osv.dev")


class FakeRunner:
    """pip-audit as recorded: the probe's outcome per service, then the lock's."""

    def __init__(self, probes: dict[str, Any], lock: Any = None) -> None:
        self.probes = probes
        self.lock = lock
        self.calls: list[tuple[str, str, bool]] = []

    def __call__(self, requirements: Path, service: str, strict: bool) -> Any:
        self.calls.append((requirements.name, service, strict))
        if requirements.name == "probe.txt":
            assert requirements.read_text() == "requests==2.19.0\n"
            return self.probes[service]
        return self.lock


def _audit(runner: FakeRunner, **options: Any) -> tuple[int, list[str]]:
    said: list[str] = []
    status = script.audit(Path("requirements.lock"), runner=runner, say=said.append, **options)
    return status, said


def test_the_probe_judges_a_service_by_a_known_vulnerability() -> None:
    assert script.probe_problem(Outcome(1, PROBE_FOUND, ""), "pypi") is None
    assert "Dependency not found on PyPI" in script.probe_problem(
        Outcome(0, PROBE_SKIPPED, ""), "pypi"
    )
    assert "no vulnerability for requests 2.19.0" in script.probe_problem(
        Outcome(0, {"dependencies": [{"name": "requests", "vulns": []}]}, ""), "pypi"
    )
    assert "could not query osv: requests.exceptions.ConnectionError" in script.probe_problem(
        UNREACHABLE, "osv"
    )


def test_no_service_answering_is_said_loudly_and_does_not_fail() -> None:
    runner = FakeRunner({"pypi": Outcome(0, PROBE_SKIPPED, ""), "osv": UNREACHABLE})
    status, said = _audit(runner)
    assert status == 0
    line = next(line for line in said if "NOT RUN" in line)
    assert line.startswith("dependency audit NOT RUN: no vulnerability service answered (pypi: ")
    assert "osv" in line
    assert said[0] == said[-1] == script.BANNER
    assert [call[0] for call in runner.calls] == ["probe.txt", "probe.txt"]  # lock not audited
    assert _audit(runner, require_service=True)[0] == 2


@pytest.mark.parametrize(
    ("lock", "status", "first"),
    [
        (Outcome(0, CLEAN, ""), 0, "dependency audit passed: 2 packages"),
        (Outcome(1, VULNERABLE, ""), 1, "dependency audit FAILED: 1 known vulnerabilities"),
        (Outcome(1, INCOMPLETE, ""), 1, "dependency audit FAILED: not every package"),
        (Outcome(1, None, "boom"), 1, "dependency audit FAILED: not every package"),
    ],
)
def test_with_a_service_the_lock_is_audited_strictly(lock: Any, status: int, first: str) -> None:
    runner = FakeRunner(
        {"pypi": Outcome(0, PROBE_SKIPPED, ""), "osv": Outcome(1, PROBE_FOUND, "")}, lock
    )
    got, said = _audit(runner)
    assert got == status
    assert said[0].startswith(first)
    assert runner.calls[-1] == ("requirements.lock", "osv", True)
    if lock.report is VULNERABLE:
        assert said[1] == "  jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (fixed in 3.1.5)"
    if lock.report is INCOMPLETE:
        assert said[1] == "  private-pkg: Dependency not found on PyPI"


def test_the_first_service_that_answers_is_used() -> None:
    runner = FakeRunner({"pypi": Outcome(1, PROBE_FOUND, "")}, Outcome(0, CLEAN, ""))
    status, said = _audit(runner)
    assert status == 0 and said == [
        "dependency audit passed: 2 packages, no known vulnerabilities (pypi)"
    ]
    assert [call[1] for call in runner.calls] == ["pypi", "pypi"]
