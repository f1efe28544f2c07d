"""API tokens of any account: the list, a new token for it (shown once), revocation.
Admins only (the blueprint's guard)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import messages as M
from ..extensions import db
from ..forms.tokens import TokenForm
from ..models import User
from ..services.tokens import MAX_ID, TokenProblem, create_token, revoke_token, token_of, tokens_of
from . import bp


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        abort(404, M.USER_NOT_FOUND)
    return user


@bp.route("/<lang>/admin/users/<id:user_id>/tokens", methods=["GET", "POST"])
def user_tokens(lang: str, user_id: int) -> ResponseReturnValue:
    """An account's API tokens, and a form to create one for it (shown once)."""
    user = _account(user_id)
    form = TokenForm()
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = create_token(
                user, form.name.data or "", actor=current_user._get_current_object()
            )
        except TokenProblem as problem:
            form.name.errors = [problem.message]
            status = 422
        else:
            db.session.commit()
            page = render_template(
                "admin/user_tokens_created.html", user=user, token=token, secret=secret
            )
            return page, 200, {"Cache-Control": "no-store"}
    elif request.method == "POST":
        status = 422
    page = render_template("admin/user_tokens.html", user=user, tokens=tokens_of(user), form=form)
    return page, status


@bp.post("/<lang>/admin/users/<id:user_id>/tokens/<id:token_id>/revoke")
def revoke_user_token(lang: str, user_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke a token of the account."""
    user = _account(user_id)
    token = token_of(user, token_id)
    if token is None:
        abort(404, M.TOKEN_NOT_FOUND)
    if revoke_token(token, actor=current_user._get_current_object()):
        db.session.commit()
        flash("token_revoked")
    return redirect(url_for("admin.user_tokens", lang=lang, user_id=user.id), code=303)
