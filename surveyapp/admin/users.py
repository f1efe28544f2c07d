"""Staff accounts: the list, creation, changes, (de)activation and password resets."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import messages as M
from ..extensions import db
from ..models import User
from ..services.accounts import AccountProblem, create_user
from . import bp
from .forms import NewUserForm, UserForm
from .services import all_users, reset_password, set_active, update_user


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, M.USER_NOT_FOUND)
    return user


def _password_page(user: User, password: str, created: bool) -> ResponseReturnValue:
    """The generated password, shown this once and never cached."""
    page = render_template("admin/password.html", user=user, password=password, created=created)
    return page, 200, {"Cache-Control": "no-store"}


def _edit_page(user: User, form: UserForm, error: str | None = None) -> ResponseReturnValue:
    status = 422 if error or form.errors else 200
    return render_template("admin/user_edit.html", user=user, form=form, error=error), status


@bp.get("/<lang>/admin/users/")
def users(lang: str) -> ResponseReturnValue:
    """Every account, active or deactivated."""
    return render_template("admin/users.html", users=all_users())


@bp.route("/<lang>/admin/users/new", methods=["GET", "POST"])
def new_user(lang: str) -> ResponseReturnValue:
    """Create an account; its generated password is shown once."""
    form = NewUserForm()
    if request.method == "GET":
        form.locale.data = lang
    elif form.validate_on_submit():
        try:
            user, password = create_user(
                form.username.data or "",
                form.role.data or "",
                form.scope.data,
                form.locale.data or "",
                actor_user=_actor(),
            )
        except AccountProblem as problem:
            form[problem.field].errors = [problem.message]
        else:
            db.session.commit()
            return _password_page(user, password, created=True)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/<lang>/admin/users/<id:user_id>", methods=["GET", "POST"])
def edit_user(lang: str, user_id: int) -> ResponseReturnValue:
    """Change an account's role, scope and language."""
    user = _account(user_id)
    form = UserForm()
    if request.method == "GET":
        form.role.data = user.role
        form.scope.data = user.scope_area.code if user.scope_area is not None else ""
        form.locale.data = user.locale
    elif form.validate_on_submit():
        try:
            update_user(
                user,
                role=form.role.data or "",
                scope_code=form.scope.data,
                locale=form.locale.data or "",
                actor=_actor(),
            )
        except AccountProblem as problem:
            form[problem.field].errors = [problem.message]
            return _edit_page(user, form)
        db.session.commit()
        flash("saved")
        return redirect(url_for("admin.edit_user", lang=lang, user_id=user.id), code=303)
    return _edit_page(user, form)


def _set_active(lang: str, user_id: int, active: bool) -> ResponseReturnValue:
    user = _account(user_id)
    try:
        changed = set_active(user, active, actor=_actor())
    except AccountProblem as problem:
        form = UserForm(formdata=None, role=user.role, locale=user.locale)
        form.scope.data = user.scope_area.code if user.scope_area is not None else ""
        return _edit_page(user, form, error=problem.message)
    db.session.commit()
    if changed:
        flash("reactivated" if active else "deactivated")
    return redirect(url_for("admin.edit_user", lang=lang, user_id=user.id), code=303)


@bp.post("/<lang>/admin/users/<id:user_id>/deactivate")
def deactivate_user(lang: str, user_id: int) -> ResponseReturnValue:
    """Deactivate an account: it can no longer sign in, and its sessions end."""
    return _set_active(lang, user_id, active=False)


@bp.post("/<lang>/admin/users/<id:user_id>/reactivate")
def reactivate_user(lang: str, user_id: int) -> ResponseReturnValue:
    """Let a deactivated account sign in again."""
    return _set_active(lang, user_id, active=True)


@bp.post("/<lang>/admin/users/<id:user_id>/password")
def reset_user_password(lang: str, user_id: int) -> ResponseReturnValue:
    """Give an account a new generated password, shown once."""
    user = _account(user_id)
    password = reset_password(user, actor=_actor())
    db.session.commit()
    return _password_page(user, password, created=False)
