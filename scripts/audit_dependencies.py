"""The dependency audit (``make audit``, run by CI): pip-audit over requirements.lock.

pip-audit looks every pinned version up in a vulnerability service (PyPI's JSON API by
default, or OSV). A service that cannot be reached makes pip-audit report every package as
"not found", which reads like a clean audit; so the service is probed first, with a version
known to be vulnerable (:data:`PROBE`):

- no service answers: a loud ``dependency audit NOT RUN: <reason>`` and exit status 0 (or
  2 with ``--require-service``), so that CI on a machine without the network still runs
  and its log says plainly that the audit did not happen;
- a service answers: the lock is audited with ``--strict``; any known vulnerability, or
  any package the service could not audit, fails (exit status 1).

Usage: ``python scripts/audit_dependencies.py [requirements.lock] [--require-service]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBE = ("requests", "2.19.0")
"""A release with a published vulnerability (CVE-2018-18074, PYSEC-2018-28): a service that
reports nothing for it is not answering."""
SERVICES = ("pypi", "osv")
"""pip-audit's vulnerability services, tried in this order."""
TIMEOUT_SECONDS = 15
"""pip-audit's network timeout per request."""
BANNER = "!" * 78


@dataclass(frozen=True)
class Outcome:
    """What one pip-audit run said: its exit status, its JSON report (None when it printed
    none) and the last line of its error output."""

    status: int
    report: dict[str, Any] | None
    error: str


Runner = Callable[[Path, str, bool], Outcome]


def run_pip_audit(requirements: Path, service: str, strict: bool) -> Outcome:
    """pip-audit over ``requirements`` (pinned, hashed) against ``service``."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        "--disable-pip",
        "--no-deps",
        "--vulnerability-service",
        service,
        "--timeout",
        str(TIMEOUT_SECONDS),
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    if strict:
        command.append("--strict")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(124, None, "pip-audit did not finish within 30 minutes")
    report: dict[str, Any] | None
    try:
        parsed = json.loads(done.stdout) if done.stdout.strip() else None
        report = parsed if isinstance(parsed, dict) else None
    except ValueError:
        report = None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line] or lines
    return Outcome(done.returncode, report, errors[-1].strip() if errors else "")


def probe_problem(outcome: Outcome, service: str) -> str | None:
    """Why ``service`` cannot be used, judged from pip-audit's run on :data:`PROBE`; None
    when it reported the probe's known vulnerability (the service answers)."""
    name, version = PROBE
    if outcome.report is None:
        detail = outcome.error or f"exit status {outcome.status}, no report"
        return f"pip-audit could not query {service}: {detail}"
    for dependency in outcome.report.get("dependencies", []):
        if str(dependency.get("name", "")).lower() != name:
            continue
        if dependency.get("vulns"):
            return None
        if dependency.get("skip_reason"):
            return f"{service}: {dependency['skip_reason']}"
    return f"{service} reported no vulnerability for {name} {version}, which has known ones"


def findings(report: dict[str, Any]) -> list[str]:
    """One line per known vulnerability in ``report``: package, version, id, fixed in."""
    lines = []
    for dependency in report.get("dependencies", []):
        for vuln in dependency.get("vulns", []) or []:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            lines.append(
                f"{dependency.get('name')} {dependency.get('version')}: {vuln.get('id')} "
                f"(fixed in {fixed})"
            )
    return lines


def not_audited(report: dict[str, Any]) -> list[str]:
    """The packages of ``report`` the service could not audit, with its reason."""
    return [
        f"{dependency.get('name')}: {dependency['skip_reason']}"
        for dependency in report.get("dependencies", [])
        if dependency.get("skip_reason")
    ]


def audit(
    requirements: Path,
    *,
    require_service: bool = False,
    runner: Runner = run_pip_audit,
    say: Callable[[str], None] = print,
) -> int:
    """Probe the services, audit ``requirements`` with the first that answers, and say what
    happened; the exit status (0 clean or not run, 1 vulnerable or incomplete, 2 not run
    while ``require_service``)."""
    problems = []
    chosen = None
    with tempfile.TemporaryDirectory() as directory:
        probe = Path(directory) / "probe.txt"
        probe.write_text("{}=={}\n".format(*PROBE), encoding="utf-8")
        for service in SERVICES:
            problem = probe_problem(runner(probe, service, False), service)
            if problem is None:
                chosen = service
                break
            problems.append(problem)
    if chosen is None:
        say(BANNER)
        say(f"dependency audit NOT RUN: no vulnerability service answered ({'; '.join(problems)})")
        say(BANNER)
        return 2 if require_service else 0
    outcome = runner(requirements, chosen, True)
    report = outcome.report or {}
    found = findings(report)
    missing = not_audited(report)
    checked = len(report.get("dependencies", []))
    if found:
        say(f"dependency audit FAILED: {len(found)} known vulnerabilities ({chosen}):")
        for line in found:
            say(f"  {line}")
        return 1
    if missing or outcome.status != 0 or outcome.report is None:
        say(f"dependency audit FAILED: not every package could be audited ({chosen}):")
        for line in missing or [outcome.error or f"pip-audit exit status {outcome.status}"]:
            say(f"  {line}")
        return 1
    say(f"dependency audit passed: {checked} packages, no known vulnerabilities ({chosen})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", nargs="?", default=str(ROOT / "requirements.lock"))
    parser.add_argument(
        "--require-service",
        action="store_true",
        help="exit with status 2 when no vulnerability service answers (default: 0)",
    )
    arguments = parser.parse_args(argv)
    return audit(Path(arguments.requirements), require_service=arguments.require_service)


if __name__ == "__main__":
    sys.exit(main())
