"""The police geography: country → region → department → district → precinct."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..categories import AREA_KINDS
from ..db import Base
from ._common import Trilingual, one_of


class Area(Trilingual, Base):
    """A node of the police geography tree.

    ``path`` is the materialised path of codes from the root (``KZ/KZ-71/...``)
    so that a unit head's subtree is one indexed prefix query.
    """

    __tablename__ = "area"
    __table_args__ = (
        one_of("kind", AREA_KINDS, "kind"),
        CheckConstraint("(kind = 'country') = (parent_id IS NULL)", name="root_is_country"),
        CheckConstraint("depth >= 0", name="depth_nonnegative"),
        CheckConstraint(
            "length(name_kk) > 0 AND length(name_ru) > 0 AND length(name_en) > 0",
            name="names_present",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("area.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(400), unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.code")

    def name(self, locale: str) -> str:
        """The area's name in ``locale``."""
        return self.text_in("name", locale)

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.kind}>"
