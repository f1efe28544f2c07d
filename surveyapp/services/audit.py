"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEvent, User


def record(
    action: str,
    *,
    target: Any = None,
    details: dict[str, Any] | None = None,
    user: User | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Add an audit event (flushed with the unit of work, committed by the caller).

    ``actor`` defaults to the user's name, or ``cli`` outside a request.
    """
    event = AuditEvent(
        action=action,
        user_id=user.id if user else None,
        actor=actor or (user.username if user else "cli"),
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(getattr(target, "id", "")) if target is not None else None,
        details=details or {},
    )
    db.session.add(event)
    return event
