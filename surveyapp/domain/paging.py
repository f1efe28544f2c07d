"""Page numbers of the lists shown a page at a time (comments, the audit log, job runs).

A page number is written in ASCII digits, from 1 to :data:`PAGE_MAX`: anything else (a sign,
an exponent, a superscript or Arabic-Indic digit, a number of twenty digits) is no page, and
the page says so (404) instead of guessing. A number past the last page is the caller's
choice: the administration's lists show their last page (a moderated comment may have emptied
the page one was on), the dashboard's list answers 404.
"""

from __future__ import annotations

PAGE_MAX = 1_000_000
"""The largest page number read: far more pages than any list has, and small enough that
``(page - 1) * per_page`` is an OFFSET every database takes."""


def parse_page(text: str | None) -> int | None:
    """The page number ``text`` gives: 1 when absent or empty; None when it is not one."""
    if text is None or text == "":
        return 1
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(PAGE_MAX)):
        return None
    page = int(text)
    return page if 1 <= page <= PAGE_MAX else None


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill, ``per_page`` a page (at least one, if empty)."""
    return max(1, -(-total // per_page))
