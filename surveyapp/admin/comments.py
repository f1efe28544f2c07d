"""Moderation of citizens' comments (already scrubbed of personal data when stored)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from .. import messages as M
from ..categories import MODERATION_STATES
from ..extensions import db
from ..models import Area, Comment
from . import bp
from .forms import CommentFilterForm
from .services import MODERATION_ACTIONS, comment_page, moderate


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.get("/<lang>/admin/comments/")
def comments(lang: str) -> ResponseReturnValue:
    """Comments in one moderation state, optionally of one area and below, newest first."""
    form = CommentFilterForm(request.args)
    area = None
    if form.validate() and form.area.data:
        area = db.session.scalar(select(Area).where(Area.code == form.area.data))
        if area is None:
            form.area.errors = [M.AREA_NOT_FOUND % {"code": form.area.data}]
    if form.errors:
        return render_template("admin/comments.html", form=form, listing=None), 422
    listing = comment_page(form.state.data or "pending", area, _page_number())
    return render_template("admin/comments.html", form=form, listing=listing, area=area)


@bp.post("/<lang>/admin/comments/<id:comment_id>")
def moderate_comment(lang: str, comment_id: int) -> ResponseReturnValue:
    """Approve or hide a comment, then go back to the list with the same filters."""
    action = request.form.get("action", "")
    if action not in MODERATION_ACTIONS:
        abort(400, M.MODERATION_ACTION_UNKNOWN)
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404, M.COMMENT_NOT_FOUND)
    moderate(comment, action, actor=current_user._get_current_object())
    db.session.commit()
    flash(MODERATION_ACTIONS[action][0])
    state = request.args.get("state")
    page = _page_number()
    return redirect(
        url_for(
            "admin.comments",
            lang=lang,
            state=state if state in MODERATION_STATES else None,
            area=request.args.get("area") or None,
            page=page if page > 1 else None,
        ),
        code=303,
    )
