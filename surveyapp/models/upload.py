"""Files uploaded by an administrator and kept between their preview and their import."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Base
from ._common import one_of
from .account import User

PENDING_UPLOAD_KEPT_FOR = timedelta(days=1)
"""How long an uploaded file waits for its import after the preview (then it is refused, and
the nightly purge deletes it)."""


class UploadKind(StrEnum):
    """What an uploaded file is meant to be imported as."""

    AREAS = "areas"
    MARGINS = "margins"
    INTERVIEWS = "interviews"
    """A fieldwork agency's interviews (the mapping in ``options``)."""


class PendingUpload(Base):
    """An uploaded import file awaiting the administrator's decision after its preview.

    The import re-reads and re-validates ``content`` (never a file sent again), so what
    is stored is what was previewed; ``options`` holds the form's other choices (the
    margins' label, note and demonstration flag). Rows are deleted once imported, and
    those older than a day whenever a new file is uploaded.
    """

    __tablename__ = "pending_upload"
    __table_args__ = (one_of("kind", tuple(UploadKind), "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    uploaded_by: Mapped[User] = relationship()
