"""Changes to accounts and comments made by an administrator; each is audited.

Services flush, the route commits. Problems raise
:class:`~surveyapp.services.accounts.AccountProblem` before anything is changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Generic, TypeVar

from markupsafe import Markup, escape
from sqlalchemy import func, select, union
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from .. import messages as M
from ..categories import LOCALES
from ..clock import utcnow
from ..domain.paging import page_count
from ..extensions import db
from ..models import Area, AuditEvent, Comment, Instrument, MarginSet, User, Wave
from ..models.account import ADMIN_ROLES, STAFF_ROLES
from ..privacy import normalise_text, placeholder_spans, scrub
from ..services.accounts import AccountProblem, new_password, scope_area
from ..services.audit import record

COMMENTS_PER_PAGE = 50
AUDIT_PER_PAGE = 50
MAX_BULK = 500
T = TypeVar("T")
"""The most comments one bulk moderation may change."""
# action posted by a moderator: (the comment's new state, the audited action)
MODERATION_ACTIONS = {
    "approve": ("approved", "comment.approved"),
    "hide": ("hidden", "comment.hidden"),
}


def all_users() -> list[User]:
    """Every account, active or not, by username, with its scope area loaded."""
    query = select(User).options(selectinload(User.scope_area)).order_by(User.username)
    return list(db.session.scalars(query))


def area_by_code(code: str) -> Area | None:
    """The area ``code`` (active or not), or None (also for what cannot be a code)."""
    if not code or len(code) > 32 or "\x00" in code:
        return None
    return db.session.scalar(select(Area).where(Area.code == code))


def area_tree(*, active_only: bool) -> list[Area]:
    """Every area (or every active one), in tree order: each area followed by those below it,
    siblings by code."""
    query = select(Area)
    if active_only:
        query = query.where(Area.is_active)
    return sorted(db.session.scalars(query), key=lambda area: area.lineage_codes)


def scope_choices(current: Area | None = None) -> list[Area]:
    """The areas a unit head's scope may be chosen from: the active tree, and the account's
    current area even if it has been retired since (so that it can be kept)."""
    areas = area_tree(active_only=True)
    if current is not None and not current.is_active:
        areas = sorted([*areas, current], key=lambda area: area.lineage_codes)
    return areas


def counts() -> tuple[int, int]:
    """How many accounts are active and how many comments await moderation."""
    users = db.session.scalar(select(func.count()).select_from(User).where(User.is_active))
    pending = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.moderation == "pending")
    )
    return users or 0, pending or 0


@dataclass(frozen=True)
class ProgrammeCounts:
    """What the administration's home page says of each part of the programme."""

    draft_questionnaires: int
    waves_taking_responses: int
    margin_versions: int


def programme_counts(now: datetime | None = None) -> ProgrammeCounts:
    """Drafts waiting to be published, waves taking responses now, stored margin versions."""
    drafts = select(func.count()).select_from(Instrument).where(Instrument.is_draft)
    waves = select(func.count()).select_from(Wave).where(Wave.accepts_responses(now or utcnow()))
    margins = select(func.count()).select_from(MarginSet)
    return ProgrammeCounts(
        draft_questionnaires=db.session.scalar(drafts) or 0,
        waves_taking_responses=db.session.scalar(waves) or 0,
        margin_versions=db.session.scalar(margins) or 0,
    )


def recent_audit_events(now: datetime | None = None) -> int:
    """How many events the audit log received in the 24 hours before ``now``."""
    since = (now or utcnow()) - timedelta(hours=24)
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.occurred_at >= since)
    return db.session.scalar(query) or 0


def update_user(
    user: User,
    *,
    role: str,
    scope_code: str | None,
    locale: str,
    actor: User,
    scope_missing: object = M.SCOPE_REQUIRED,
) -> None:
    """Give ``user`` a role, a scope and an interface language.

    Audits ``user.role_changed`` (from and to role and scope code) when the role
    or the scope changes, and ends the account's sessions then (what it may reach has
    changed: it signs in again); audits ``user.locale_changed`` when the language does.
    Nobody can take away their own administrator role.
    """
    scope_code = scope_code or None
    if role not in STAFF_ROLES:
        raise AccountProblem("role", str(M.CHOICE_INVALID))
    if user.id == actor.id and user.is_admin and role not in ADMIN_ROLES:
        raise AccountProblem("role", str(M.CANNOT_DROP_OWN_ADMIN))
    current = user.scope_area
    if current is not None and scope_code == current.code:
        area: Area | None = current  # kept as it is, even if the area has been retired since
    else:
        area = scope_area(role, scope_code, scope_missing)
    if locale not in LOCALES:
        raise AccountProblem("locale", str(M.CHOICE_INVALID))
    before = {"role": user.role, "scope": current.code if current is not None else None}
    after = {"role": role, "scope": area.code if area is not None else None}
    if before != after:
        user.role = role
        user.scope_area = area
        user.end_sessions()
        record("user.role_changed", target=user, user=actor, details={"from": before, "to": after})
    if locale != user.locale:
        record(
            "user.locale_changed",
            target=user,
            user=actor,
            details={"from": user.locale, "to": locale},
        )
        user.locale = locale
    db.session.flush()


def set_active(user: User, active: bool, *, actor: User) -> bool:
    """Deactivate or reactivate ``user``; True when that changed something.

    Audits ``user.deactivated`` or ``user.reactivated``. Nobody can deactivate
    their own account. A deactivated account can neither sign in nor keep a session, and
    its sessions stay ended when it is reactivated.
    """
    if not active and user.id == actor.id:
        raise AccountProblem("active", str(M.CANNOT_DEACTIVATE_SELF))
    if user.is_active == active:
        return False
    user.is_active = active
    user.end_sessions()
    record("user.reactivated" if active else "user.deactivated", target=user, user=actor)
    db.session.flush()
    return True


def reset_password(user: User, *, actor: User) -> str:
    """Give ``user`` a generated password and return it (shown once); audits it and ends
    the account's sessions."""
    password = new_password()
    user.password_hash = generate_password_hash(password)
    user.end_sessions()
    record("user.password_reset", target=user, user=actor)
    db.session.flush()
    return password


def day_bounds(
    first: date | None, last: date | None, zone: tzinfo | None
) -> tuple[datetime | None, datetime | None]:
    """The instants (UTC) at which day ``first`` starts and day ``last`` ends in ``zone``
    (UTC without one): a filter keeps ``start <= t < end``."""

    def start_of(day: date) -> datetime:
        naive = datetime.combine(day, time.min)
        localize = getattr(zone, "localize", None)  # a pytz zone
        moment = localize(naive) if localize else naive.replace(tzinfo=zone or UTC)
        return moment.astimezone(UTC)

    return (
        start_of(first) if first is not None else None,
        start_of(last + timedelta(days=1)) if last is not None else None,
    )


@dataclass
class CommentFilters:
    """Which comments to list: a state, and optionally an area (and the areas below it), a
    language, a time span ``[since, until)`` and words the text contains."""

    state: str = "pending"
    area: Area | None = None
    locale: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


@dataclass
class Page(Generic[T]):
    """One page of rows, and where it lies among all pages."""

    rows: list[T]
    total: int
    page: int
    pages: int


CommentPage = Page[tuple[Comment, Area]]


def _page_of(query: Any, page: int, per_page: int) -> tuple[int, int, int]:
    """The total count of ``query``, the page asked for (within the pages) and the pages."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = page_count(total, per_page)
    return total, min(max(1, page), pages), pages


def _between(query: Any, column: Any, since: datetime | None, until: datetime | None) -> Any:
    """``query`` kept to the rows whose ``column`` is from ``since`` (included) to ``until``
    (excluded), either bound optional."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def comment_page(filters: CommentFilters, page: int) -> CommentPage:
    """The comments ``filters`` keep, newest first, ``page`` (of COMMENTS_PER_PAGE)."""
    query = select(Comment, Area).join(Area, Comment.area_id == Area.id)
    query = query.where(Comment.moderation == filters.state)
    if filters.area is not None:
        query = query.where(Area.in_subtree_of(filters.area))
    if filters.locale:
        query = query.where(Comment.locale == filters.locale)
    query = _between(query, Comment.created_at, filters.since, filters.until)
    if filters.text:
        query = query.where(Comment.body.icontains(filters.text, autoescape=True))
    total, page, pages = _page_of(query, page, COMMENTS_PER_PAGE)
    rows = db.session.execute(
        query.order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(COMMENTS_PER_PAGE)
        .offset((page - 1) * COMMENTS_PER_PAGE)
    )
    return CommentPage(rows=[(row[0], row[1]) for row in rows], total=total, page=page, pages=pages)


def marked_body(body: str) -> Markup:
    """The comment's text, escaped, with each note left by the scrubber (in any language)
    wrapped in ``<mark>``: what was removed automatically stands out to the moderator."""
    parts: list[str] = []
    position = 0
    for start, end in placeholder_spans(body):
        parts.append(escape(body[position:start]))
        parts.append(Markup("<mark>%s</mark>") % body[start:end])
        position = end
    parts.append(escape(body[position:]))
    return Markup("").join(parts)


def clean_reason(reason: str | None, locale: str) -> str | None:
    """A moderator's reason, cleaned and scrubbed of personal data (notes in ``locale``);
    None when empty."""
    text = scrub(normalise_text(reason or ""), locale=locale).text
    return text or None


def moderate(comment: Comment, action: str, *, actor: User, reason: str | None = None) -> None:
    """Approve or hide ``comment`` (``action`` is a key of :data:`MODERATION_ACTIONS`), with
    an optional ``reason`` (already scrubbed). Audits ``comment.approved`` or
    ``comment.hidden`` with the state it had and the reason."""
    state, audited = MODERATION_ACTIONS[action]
    previous = comment.moderation
    comment.moderation = state
    comment.moderated_at = utcnow()
    comment.moderated_by_id = actor.id
    comment.moderation_reason = reason
    details: dict[str, Any] = {"from": previous}
    if reason:
        details["reason"] = reason
    record(audited, target=comment, user=actor, details=details)
    db.session.flush()


class ModerationProblem(ValueError):
    """Why a bulk moderation cannot be done: a translated message; nothing was changed."""


def moderate_many(
    ids: Sequence[int], action: str, *, actor: User, reason: str | None = None
) -> int:
    """Approve or hide every comment of ``ids`` (each audited on its own, as by
    :func:`moderate`); return how many. Raises :class:`ModerationProblem` before anything
    is changed when there is none, too many, or one that does not exist."""
    if not ids:
        raise ModerationProblem(str(M.COMMENTS_NONE_TICKED))
    if len(ids) > MAX_BULK:
        raise ModerationProblem(M.COMMENTS_TOO_MANY % {"max": MAX_BULK})
    found = list(
        db.session.scalars(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id))
    )
    if len(found) != len(set(ids)):
        raise ModerationProblem(str(M.COMMENTS_GONE))
    for comment in found:
        moderate(comment, action, actor=actor, reason=reason)
    return len(found)


# The audit log, read by the administrators.


def audit_actors() -> list[str]:
    """Who can be chosen in the audit log: every account's username and every actor the
    log names (``cli``, ``scheduler``, ...), sorted."""
    names = union(select(User.username), select(AuditEvent.actor).distinct())
    return sorted(set(db.session.scalars(select(names.subquery().c[0]))))


def audit_actions() -> list[str]:
    """The actions present in the audit log, sorted."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by("action")))


@dataclass
class AuditFilters:
    """Which audit events to list: by an actor, an action (or every action starting with
    ``prefix.``), within ``[since, until)``."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


AuditPage = Page[AuditEvent]


def audit_page(filters: AuditFilters, page: int) -> AuditPage:
    """The events ``filters`` keep, newest first, ``page`` (of AUDIT_PER_PAGE)."""
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.action and filters.action.endswith("."):
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        query = query.where(AuditEvent.action == filters.action)
    query = _between(query, AuditEvent.occurred_at, filters.since, filters.until)
    total, page, pages = _page_of(query, page, AUDIT_PER_PAGE)
    rows = db.session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PER_PAGE)
        .offset((page - 1) * AUDIT_PER_PAGE)
    )
    return AuditPage(rows=list(rows), total=total, page=page, pages=pages)


def detail_items(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An event's details as (key, value) text, nested values as compact JSON."""
    items = []
    for key, value in sorted((details or {}).items()):
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
        else:
            text = "—" if value is None else str(value)
        items.append((str(key), text))
    return items
