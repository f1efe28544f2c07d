"""Who may see which area: the one place where the scope of an account is enforced."""

from __future__ import annotations

from ..models import Area, User


def can_see(user: User, area: Area) -> bool:
    """Admins and researchers see every area; a unit head their area and what lies below it."""
    if user.role in ("admin", "researcher"):
        return True
    scope = user.scope_area
    if scope is None:
        return False
    return area.path == scope.path or area.path.startswith(scope.path + "/")


def home_area_code(user: User, country_code: str) -> str:
    """Where a user's dashboard opens: their scope, or the country."""
    return user.scope_area.code if user.scope_area is not None else country_code
