"""Column helpers shared by the model modules."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, CheckConstraint, Integer

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def one_of(
    column: str, values: Iterable[str], name: str, nullable: bool = False
) -> CheckConstraint:
    """A CHECK constraint restricting ``column`` to an enumeration."""
    quoted = ", ".join(f"'{value}'" for value in values)
    condition = f"{column} IN ({quoted})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=name)


class Trilingual:
    """Mixin: pick the ``<prefix>_<locale>`` column for a locale, Kazakh by default."""

    def text_in(self, prefix: str, locale: str) -> str:
        """The ``prefix`` text in ``locale`` (kk, ru or en), falling back to Kazakh."""
        value = getattr(self, f"{prefix}_{locale}", None)
        return str(value if value else getattr(self, f"{prefix}_kk"))
