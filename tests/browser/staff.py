"""Staff pages in a browser: a watch on console errors and Content-Security-Policy violations,
and one check of a page (status, language, axe, no sideways scrolling, nothing in the console).

The pages are opened with the real Content-Security-Policy (no ``bypass_csp``): axe-core is
evaluated through the DevTools protocol, which the policy does not block, so any violation
reported is the page's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .test_survey_a11y_browser import blocking_violations

# How Chromium logs a document or resource answered with an error status.
FAILED_TO_LOAD = "Failed to load resource: the server responded with a status of"
# Installed before any page script: every ``securitypolicyviolation`` goes to Python.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""


@dataclass
class Watch:
    """Console errors, uncaught exceptions and CSP violations of one page (of its own context).

    Chromium also logs a refused resource or inline code as a console error ("Refused to
    ..."/"... violates the following Content Security Policy directive ...").
    """

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    other: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        context = self.page.context
        context.expose_binding(
            "reportCspViolation", lambda _source, text: self.other.append(f"CSP violation: {text}")
        )
        context.add_init_script(CSP_LISTENER)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.other.append(f"uncaught error: {error}"))

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append((message.text, (message.location or {}).get("url", "")))

    def take(self, expected_status: int = 200) -> list[str]:
        """What was reported since the last call; with an ``expected_status`` other than 200,
        Chromium's own "Failed to load resource" line about the current document is no problem."""
        document = self.page.url.split("#")[0]
        expected = f"{FAILED_TO_LOAD} {expected_status} "
        found = [
            f"console error: {text}" + (f" ({url})" if url else "")
            for text, url in self.console
            if not (expected_status != 200 and url == document and text.startswith(expected))
        ]
        found += self.other
        self.console, self.other = [], []
        return found


def check_current(page: Any, watch: Watch, where: str, lang: str, status: int = 200) -> list[str]:
    """Problems of the page on show: wrong language, axe's serious and critical violations,
    sideways scrolling, console errors and CSP violations; one line each, ``where`` first."""
    problems: list[str] = []
    html_lang = page.evaluate("document.documentElement.lang")
    if html_lang != lang:
        problems.append(f"{where}: html[lang] is {html_lang!r}, not {lang!r}")
    problems += blocking_violations(page, where)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        problems.append(f"{where}: scrolls sideways ({width[0]} px wide in {width[1]} px)")
    page.wait_for_timeout(50)  # let a late console message or CSP report arrive
    problems += [f"{where}: {problem}" for problem in watch.take(status)]
    return problems


def visit(page: Any, watch: Watch, url: str, where: str, lang: str, status: int = 200) -> list[str]:
    """Open ``url`` and :func:`check_current` it; a status other than ``status`` is a problem."""
    response = page.goto(url)
    problems = []
    got = None if response is None else response.status
    if got != status:
        problems.append(f"{where}: {url} answered {got}, not {status}")
    return problems + check_current(page, watch, where, lang, status)
