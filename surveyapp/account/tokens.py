"""One's own API tokens: the list, a new token (shown once) and revocation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import messages as M
from ..domain.access import require_roles
from ..extensions import db
from ..forms.tokens import TokenForm
from ..models import User
from ..models.account import STAFF_ROLES
from ..services.tokens import TokenProblem, create_token, revoke_token, token_of, tokens_of
from . import bp


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/<lang>/account/tokens", methods=["GET", "POST"])
@require_roles(*STAFF_ROLES)
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
@require_roles(*STAFF_ROLES)
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
