"""The administration: its guard, the home page, staff accounts and their API tokens, and the
moderation of citizens' comments. Every admin route is for admins only: the signed-out are
sent to sign in, every other role gets 404 (as if nothing were here)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_login import current_user

from .. import messages as M
from ..domain.access import guard_blueprint
from ..extensions import db
from ..forms.tokens import TokenForm
from ..i18n import current_locale, pull_url_locale
from ..inputs import requested_page
from ..models import Comment, User
from ..models.account import ADMIN_ROLES
from ..services.accounts import AccountProblem, create_user
from ..services.tokens import TokenProblem, create_token, revoke_token, token_of, tokens_of
from .forms import (
    REASON_MAX,
    STATE_NAMES,
    AuditFilterForm,
    BulkModerationForm,
    CommentFilterForm,
    NewUserForm,
    UserForm,
    action_label,
    role_label,
)
from .services import (
    AuditFilters,
    CommentFilters,
    ModerationProblem,
    all_users,
    area_by_code,
    area_tree,
    audit_actions,
    audit_actors,
    audit_page,
    clean_reason,
    comment_page,
    counts,
    day_bounds,
    detail_items,
    marked_body,
    moderate_many,
    programme_counts,
    recent_audit_events,
    reset_password,
    scope_choices,
    set_active,
    update_user,
)

bp = Blueprint("admin", __name__, template_folder="templates")
bp.url_value_preprocessor(pull_url_locale)
guard_blueprint(bp, *ADMIN_ROLES)


@bp.context_processor
def _names() -> dict[str, object]:
    return {
        "role_label": role_label,
        "state_names": STATE_NAMES,
        "action_label": action_label,
        "marked_body": marked_body,
        "detail_items": detail_items,
    }


def _actor() -> User:
    return current_user._get_current_object()


def _account(user_id: int) -> User:
    """The account ``user_id`` (the ``id`` converter has bounded it); 404 if there is none."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, M.USER_NOT_FOUND)
    return user


@bp.get("/<lang>/admin/")
def home(lang: str) -> ResponseReturnValue:
    """The parts of the programme in the order of the work, with what needs attention."""
    active_users, pending_comments = counts()
    return render_template(
        "admin/home.html",
        active_users=active_users,
        pending_comments=pending_comments,
        recent_events=recent_audit_events(),
        programme=programme_counts(),
    )


# Staff accounts: the list, creation, changes, (de)activation and password resets.


def _password_page(user: User, password: str, created: bool) -> ResponseReturnValue:
    """The generated password, shown this once and never cached."""
    page = render_template("admin/password.html", user=user, password=password, created=created)
    return page, 200, {"Cache-Control": "no-store"}


def _edit_page(user: User, form: UserForm, error: str | None = None) -> ResponseReturnValue:
    form.offer_areas(scope_choices(user.scope_area), current_locale())
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
                scope_missing=M.SCOPE_REQUIRED_PICK,
            )
        except AccountProblem as problem:
            form[problem.field].errors = [problem.message]
        else:
            db.session.commit()
            return _password_page(user, password, created=True)
    status = 422 if request.method == "POST" else 200
    form.offer_areas(scope_choices(), current_locale())
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
                scope_missing=M.SCOPE_REQUIRED_PICK,
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


# API tokens of any account: the list, a new token for it (shown once), revocation.


@bp.route("/<lang>/admin/users/<id:user_id>/tokens", methods=["GET", "POST"])
def user_tokens(lang: str, user_id: int) -> ResponseReturnValue:
    """An account's API tokens, and a form to create one for it (shown once)."""
    user = _account(user_id)
    form = TokenForm()
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = create_token(user, form.name.data or "", actor=_actor())
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
    if revoke_token(token, actor=_actor()):
        db.session.commit()
        flash("token_revoked")
    return redirect(url_for("admin.user_tokens", lang=lang, user_id=user.id), code=303)


# Moderation of citizens' comments (already scrubbed of personal data when stored).


def _page_number() -> int:
    """The page asked for (a page past the last one shows the last one)."""
    return requested_page()


def _comment_filters(form: CommentFilterForm) -> CommentFilters | None:
    """The filters the (query-string) form gives, or None when one is bad (its error set)."""
    form.offer_areas(area_tree(active_only=False), current_locale())
    area = None
    if form.validate() and form.area.data:
        area = area_by_code(form.area.data)
        if area is None:
            form.area.errors = [M.AREA_NOT_FOUND % {"code": form.area.data}]
    if form.errors:
        return None
    since, until = day_bounds(form.date_from.data, form.date_to.data, get_timezone())
    return CommentFilters(
        state=form.state.data or "pending",
        area=area,
        locale=form.language.data or None,
        since=since,
        until=until,
        text=form.q.data or None,
    )


def _comments_page(
    filters_form: CommentFilterForm,
    bulk: BulkModerationForm,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The moderation page: the filters, then the comments they keep with the bulk form."""
    filters = _comment_filters(filters_form)
    if filters is None:
        status = 422
    listing = comment_page(filters, _page_number()) if filters is not None else None
    ticked = set(bulk.comment.data or []) if status != 200 else set()
    args = filters_form.query_args() if filters is not None else {}
    page = render_template(
        "admin/comments.html",
        form=filters_form,
        bulk=bulk,
        listing=listing,
        area=filters.area if filters is not None else None,
        args=args,
        ticked=ticked,
        error=error,
        reason_max=REASON_MAX,
    )
    return page, status


@bp.get("/<lang>/admin/comments/")
def comments(lang: str) -> ResponseReturnValue:
    """Comments in one moderation state, filtered by area (and the areas below it), language,
    date and words, newest first; each can be ticked to be approved or hidden in bulk."""
    return _comments_page(CommentFilterForm(request.args), BulkModerationForm(formdata=None))


def _moderate(lang: str, only: int | None = None) -> ResponseReturnValue:
    """Approve or hide the ticked comments (or comment ``only``) in one transaction, then
    go back to the list with the same filters; a bad request changes nothing (422)."""
    filters_form = CommentFilterForm(request.args)
    bulk = BulkModerationForm()
    if only is not None:
        bulk.comment.data = [only]
    error = None
    if bulk.validate_on_submit():
        ids = [only] if only is not None else bulk.chosen()
        action = bulk.action.data or ""
        try:
            done = moderate_many(
                ids, action, actor=_actor(), reason=clean_reason(bulk.reason.data, lang)
            )
        except ModerationProblem as problem:
            error = str(problem)
        else:
            db.session.commit()
            flash(str(done), "comments_approved" if action == "approve" else "comments_hidden")
            args: dict[str, Any] = {}
            if filters_form.validate():
                args.update(filters_form.query_args())
            page = _page_number()
            if page > 1:
                args["page"] = page
            return redirect(url_for("admin.comments", lang=lang, **args), code=303)
    return _comments_page(filters_form, bulk, error=error, status=422)


@bp.post("/<lang>/admin/comments/moderate")
def moderate_comments(lang: str) -> ResponseReturnValue:
    """Approve or hide every ticked comment (or every comment on the page), with a reason:
    required to hide, optional to approve."""
    return _moderate(lang)


@bp.post("/<lang>/admin/comments/<id:comment_id>")
def moderate_comment(lang: str, comment_id: int) -> ResponseReturnValue:
    """Approve or hide one comment (with a reason, required to hide), as the bulk form does."""
    if request.form.get("action", "") not in ("approve", "hide"):
        abort(400, M.MODERATION_ACTION_UNKNOWN)
    if db.session.get(Comment, comment_id) is None:
        abort(404, M.COMMENT_NOT_FOUND)
    return _moderate(lang, only=comment_id)


# The audit log: who did what, when; read-only.


@bp.get("/<lang>/admin/audit/")
def audit_log(lang: str) -> ResponseReturnValue:
    """The audit log, newest first, filtered by who, what and when."""
    form = AuditFilterForm(request.args)
    form.offer(audit_actors(), audit_actions())
    zone = get_timezone()
    if not form.validate():
        return render_template("admin/audit.html", form=form, listing=None, zone=zone), 422
    since, until = day_bounds(form.date_from.data, form.date_to.data, zone)
    filters = AuditFilters(
        actor=form.who.data or None, action=form.what.data or None, since=since, until=until
    )
    listing = audit_page(filters, _page_number())
    return render_template(
        "admin/audit.html", form=form, listing=listing, zone=zone, args=form.query_args()
    )
