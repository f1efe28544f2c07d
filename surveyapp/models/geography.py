"""The police geography: country → region → department → district → precinct."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Float,
    ForeignKey,
    Integer,
    Select,
    String,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..categories import AREA_KINDS, PLACE_KINDS
from ..collation import search_key
from ..db import Base
from ._common import Trilingual, one_of

PATH_SEPARATOR = "/"
REGION_DEPTH = 1
"""The depth of the first-level areas (oblasts and cities of republican significance)."""


def _in_subtree(area: Area, root: Area) -> bool:
    return area.path == root.path or area.path.startswith(root.path + PATH_SEPARATOR)


def _in_subtree_sql(cls: type[Area], root: Area) -> ColumnElement[bool]:
    # An indexed prefix match, escaped: a "%" or "_" in a code matches only itself.
    return or_(
        cls.path == root.path, cls.path.startswith(root.path + PATH_SEPARATOR, autoescape=True)
    )


class Area(Trilingual, Base):
    """A node of the police geography tree.

    ``path`` is the materialised path of codes from the root (``KZ/KZ-71/...``)
    so that a unit head's subtree is one indexed prefix query. Every question about the
    tree (the path of a new area, an area's ancestors and region, whether one area lies in
    another's subtree) is answered here, from the path.

    ``urban_share`` is an auxiliary variable of the small-area model, known from outside
    the survey (the census): the share (0–1) of the area's adults living in a city; NULL
    when unknown.
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
        CheckConstraint(
            "urban_share IS NULL OR (urban_share >= 0 AND urban_share <= 1)",
            name="urban_share_range",
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
    urban_share: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.code")
    places: Mapped[list[AreaPlace]] = relationship(
        back_populates="area",
        order_by="(AreaPlace.kind, AreaPlace.position)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @staticmethod
    def path_below(parent: Area | None, code: str) -> str:
        """The path of a new area ``code`` under ``parent`` (a root's path is its code)."""
        return f"{parent.path}{PATH_SEPARATOR}{code}" if parent is not None else code

    @staticmethod
    def codes_on_path(path: str) -> list[str]:
        """The area codes on ``path``, from the root down to the area itself."""
        return path.split(PATH_SEPARATOR)

    @staticmethod
    def region_code_on_path(path: str) -> str | None:
        """The code of the first-level area on ``path`` (itself at that level); None for the
        root."""
        codes = Area.codes_on_path(path)
        return codes[REGION_DEPTH] if len(codes) > REGION_DEPTH else None

    @property
    def lineage_codes(self) -> list[str]:
        """The codes of the area's ancestors, root first, and of the area itself."""
        return self.codes_on_path(self.path)

    @property
    def root_code(self) -> str:
        """The code of the tree's root (the country)."""
        return self.lineage_codes[0]

    @property
    def region_code(self) -> str | None:
        """The code of the first-level area the area lies in (itself, for one); None for
        the root."""
        return self.region_code_on_path(self.path)

    in_subtree_of = hybrid_method(_in_subtree, _in_subtree_sql)
    """Whether the area is ``root`` or lies below it: ``area.in_subtree_of(root)`` in Python,
    ``Area.in_subtree_of(root)`` in a query."""

    @classmethod
    def subtree_ids(cls, root: Area) -> Select[int]:
        """The ids of ``root`` and every area below it (for ``column.in_(...)``)."""
        return select(cls.id).where(cls.in_subtree_of(root))

    def ancestors(self, session: Session, *, include_self: bool = False) -> list[Area]:
        """The area's ancestors, root first (and the area itself last with ``include_self``);
        one query, by the path."""
        codes = self.lineage_codes
        paths = [
            PATH_SEPARATOR.join(codes[: length + 1])
            for length in range(len(codes) if include_self else len(codes) - 1)
        ]
        if not paths:
            return []
        return list(session.scalars(select(Area).where(Area.path.in_(paths)).order_by(Area.depth)))

    def active_precincts(self, session: Session) -> list[Area]:
        """The active precincts right below the area (a district's precincts), by code."""
        return list(
            session.scalars(
                select(Area)
                .where(Area.parent_id == self.id, Area.kind == "precinct", Area.is_active.is_(True))
                .order_by(Area.code)
            )
        )

    def name(self, locale: str) -> str:
        """The area's name in ``locale``."""
        return self.text_in("name", locale)

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.kind}>"


class AreaPlace(Trilingual, Base):
    """A locality (village, town, micro-district) or a street a precinct serves, so that a
    citizen can find their precinct by where they live. From the unit tree file; not an
    input of any statistic.

    ``search_key`` is the three names folded by :func:`surveyapp.collation.search_key`
    (case, ё, Kazakh letters and accents ignored), joined by `` | ``: a folded query matches
    a name when it occurs in the key, never across two names (the folded query has no
    ``|``).
    """

    __tablename__ = "area_place"
    __table_args__ = (
        one_of("kind", PLACE_KINDS, "kind"),
        CheckConstraint(
            "length(name_kk) > 0 AND length(name_ru) > 0 AND length(name_en) > 0",
            name="names_present",
        ),
        CheckConstraint("position >= 0", name="position_nonnegative"),
        UniqueConstraint("area_id", "kind", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    """The place's rank in its precinct's list of its kind, as the file lists them."""
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(700))

    area: Mapped[Area] = relationship(back_populates="places")

    @classmethod
    def named(cls, kind: str, position: int, names: dict[str, str]) -> AreaPlace:
        """A place of ``kind`` with ``names`` (kk, ru, en) and its search key."""
        return cls(
            kind=kind,
            position=position,
            name_kk=names["kk"],
            name_ru=names["ru"],
            name_en=names["en"],
            search_key=places_search_key(names),
        )

    def name(self, locale: str) -> str:
        """The place's name in ``locale``."""
        return self.text_in("name", locale)

    def __repr__(self) -> str:
        return f"<AreaPlace {self.kind} {self.name_en}>"


SEARCH_KEY_SEPARATOR = " | "


def places_search_key(names: dict[str, str]) -> str:
    """The search key of a place named ``names`` (kk, ru, en)."""
    return SEARCH_KEY_SEPARATOR.join(search_key(names[locale]) for locale in ("kk", "ru", "en"))
