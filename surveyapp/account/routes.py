"""Sign in, sign out, the account page, the password change and one's own API tokens."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from .. import messages as M
from ..domain.access import landing_endpoint, require_roles
from ..extensions import db, limiter
from ..forms.tokens import TokenForm
from ..i18n import pull_url_locale
from ..models import User
from ..models.account import API_ROLES, STAFF_ROLES
from ..ratelimit import client_key
from ..services.tokens import TokenProblem, create_token, revoke_token, token_of, tokens_of
from .forms import LoginForm, PasswordForm
from .services import authenticate, change_password

bp = Blueprint("account", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)


def _account_key() -> str:
    """Rate-limit key of the account being tried *from this client*: a hash of the name with
    the client's key (:func:`~surveyapp.ratelimit.client_key`, an HMAC of the address), so
    the limiter sees neither. Wrong passwords sent from elsewhere therefore never lock the
    account's owner out; each other address is held by its own limits."""
    name = (request.form.get("username") or "").strip().lower()
    return "account:" + hashlib.sha256(f"{client_key()}:{name}".encode()).hexdigest()[:32]


def login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def account_limit() -> str:
    return str(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def safe_next(target: str | None, lang: str, user: User | None = None) -> str:
    """``target`` if it is a path on this site (no open redirect), else where ``user`` lands
    (:func:`~surveyapp.domain.access.landing_endpoint`; the dashboard without one)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for(landing_endpoint(user) if user is not None else "dashboard.home", lang=lang)


@bp.route("/<lang>/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(account_limit, key_func=_account_key, methods=["POST"])
def login(lang: str) -> ResponseReturnValue:
    """The staff sign-in page."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(safe_next(form.next.data, lang, user), code=303)
        db.session.commit()  # the failed attempt stays in the audit log
        error = M.LOGIN_FAILED
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("account/login.html", form=form, error=error), status


@bp.post("/<lang>/logout")
@require_roles(*STAFF_ROLES)
def logout(lang: str) -> ResponseReturnValue:
    """Sign out (a POST with the CSRF token, so that no link can sign anybody out): every
    session of the account ends, not only this one (a copied cookie opens nothing)."""
    from ..services.audit import record

    user: User = current_user._get_current_object()
    user.end_sessions()
    record("logout", target=user, user=user)
    db.session.commit()
    logout_user()
    return redirect(url_for("account.login", lang=lang), code=303)


@bp.get("/<lang>/account/")
@require_roles(*STAFF_ROLES)
def home(lang: str) -> ResponseReturnValue:
    """Who is signed in, with which role and scope."""
    return render_template("account/home.html", user=current_user)


@bp.route("/<lang>/account/password", methods=["GET", "POST"])
@require_roles(*STAFF_ROLES)
def password(lang: str) -> ResponseReturnValue:
    """Change one's own password."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        if change_password(user, form.current.data or "", form.new.data or ""):
            db.session.commit()
            login_user(user)  # this session goes on under the new version; the others end
            return render_template("account/home.html", user=user, changed=True)
        db.session.commit()
        form.current.errors = [M.PASSWORD_WRONG]
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("account/password.html", form=form), status


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/<lang>/account/tokens", methods=["GET", "POST"])
@require_roles(*API_ROLES)
def tokens(lang: str) -> ResponseReturnValue:
    """The account's API tokens, and a form to create one (its secret is shown once)."""
    user = _me()
    form = TokenForm()
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = create_token(user, form.name.data or "", actor=user)
        except TokenProblem as problem:
            form.name.errors = [problem.message]
            status = 422
        else:
            db.session.commit()
            page = render_template("account/tokens_created.html", token=token, secret=secret)
            return page, 200, {"Cache-Control": "no-store"}
    elif request.method == "POST":
        status = 422
    return render_template("account/tokens.html", tokens=tokens_of(user), form=form), status


@bp.post("/<lang>/account/tokens/<id:token_id>/revoke")
@require_roles(*API_ROLES)
def revoke(lang: str, token_id: int) -> ResponseReturnValue:
    """Revoke one of the account's tokens (somebody else's is a 404)."""
    user = _me()
    token = token_of(user, token_id)
    if token is None:
        abort(404, M.TOKEN_NOT_FOUND)
    if revoke_token(token, actor=user):
        db.session.commit()
        flash("token_revoked")
    return redirect(url_for("account.tokens", lang=lang), code=303)
