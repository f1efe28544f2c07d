"""Who may open what: the one guard of every signed-in page.

The roles and what each may reach are named once, next to :class:`~surveyapp.models.User`
(``Role``, ``STAFF_ROLES``, ``ADMIN_ROLES``...); which areas an account sees is
:meth:`User.can_see <surveyapp.models.User.can_see>`. The guard here applies them to a
request: the signed-out are sent to sign in, a signed-in account whose role is not
allowed gets 404, as if nothing were there. The API authenticates by token
(``api.auth``) and asks the same user methods.

A page the guard lets through is a staff page: the base template then shows the staff menu
(``templates/staff/nav.html``), with the research area and API tokens for the accounts that
may use them (``User.may_read_microdata``, ``User.may_use_api``). Public pages never do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, abort, g, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..extensions import login_manager
from ..models import User
from ..models.account import RESEARCH_HOME_ROLES, Role

_P = ParamSpec("_P")
_R = TypeVar("_R")


def refusal(roles: frozenset[Role]) -> ResponseReturnValue | None:
    """The answer to a request that ``roles`` may not make (None when they may): a redirect
    to sign in for the signed-out, 404 (raised) for a signed-in account of another role."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if not current_user.has_role(roles):
        abort(404)
    g.staff_page = True  # a signed-in page: the base template shows the staff menu
    return None


def require_roles(*roles: Role) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a view so that only a signed-in account with one of ``roles`` runs it."""
    allowed = frozenset(roles)

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(view)
        def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            answer = refusal(allowed)
            if answer is not None:
                return answer  # type: ignore[return-value]
            return view(*args, **kwargs)

        return guarded

    return decorate


def guard_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Every view of ``blueprint`` as under :func:`require_roles` (checked before the view,
    and before any ``before_request`` hook registered later)."""
    allowed = frozenset(roles)

    @blueprint.before_request
    def _require_roles() -> ResponseReturnValue | None:
        return refusal(allowed)


def allow_uploads(blueprint: Blueprint, limits: Mapping[str, int], *roles: Role) -> None:
    """Let the endpoints of ``blueprint`` named in ``limits`` read a request body up to their
    own limit (bytes) when an account of ``roles`` sends it: the app's limit is for forms.

    It is raised in a URL value preprocessor, which runs before every ``before_request``
    hook, because the CSRF check reads the body before the view (and before the guard): a
    file larger than a form would otherwise be refused (413) before its view could say how
    large a file may be. Anybody else keeps the form's limit."""
    allowed = frozenset(roles)

    @blueprint.url_value_preprocessor
    def _raise_upload_limit(endpoint: str | None, _values: object) -> None:
        limit = limits.get(endpoint or "")
        user = current_user._get_current_object()
        if limit is not None and isinstance(user, User) and user.has_role(allowed):
            request.max_content_length = limit


def landing_endpoint(user: User) -> str:
    """Where an account lands when it signs in: researchers in the research area, the
    others on the dashboard."""
    return "research.home" if user.has_role(RESEARCH_HOME_ROLES) else "dashboard.home"


def home_area_code(user: User, country_code: str) -> str:
    """Where a user's dashboard opens: their scope, or the country."""
    return user.scope_area.code if user.scope_area is not None else country_code
