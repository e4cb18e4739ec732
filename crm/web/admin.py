"""Admin tools: team accounts (create, coverage, deactivate, reactivate) and their API tokens."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from crm.http import db_session
from crm.i18n import translator
from crm.models import ApiToken, Role, User
from crm.web.common import STREAMS, admin_required, language, me, setup_blueprint
from crm.workspace import WorkspaceError, accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")
setup_blueprint(bp)


@bp.before_request
@login_required
@admin_required
def _admins_only() -> None:
    return None


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").replace(";", ",").split(",") if part.strip()]


@bp.get("/users")
def users() -> str:
    db = db_session()
    rows = list(db.scalars(select(User).order_by(User.active.desc(), User.email)))
    tokens = {uid: n for uid, n in db.execute(
        select(ApiToken.user_id, ApiToken.id).where(ApiToken.revoked_at.is_(None)))}
    return render_template("web/admin_users.html", users=rows, tokens=tokens, roles=[r.value for r in Role],
                           all_streams=STREAMS, errors={}, new_token=None)


@bp.post("/users")
def create_user() -> Response | tuple[str, int]:
    db = db_session()
    form = request.form
    try:
        accounts.create_user(db, form.get("email") or "", form.get("role") or "", form.get("password") or "",
                             name=form.get("name") or "", languages=form.getlist("languages"),
                             streams=form.getlist("streams"))
        db.commit()
    except WorkspaceError as exc:
        db.rollback()
        rows = list(db.scalars(select(User).order_by(User.active.desc(), User.email)))
        return render_template("web/admin_users.html", users=rows, tokens={}, roles=[r.value for r in Role],
                               all_streams=STREAMS, errors={exc.field: exc.message}, new_token=None,
                               typed=request.form), 422
    flash(translator(language())("User created."))
    return redirect(url_for("admin.users"))


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/coverage")
def coverage(user_id: int) -> Response:
    try:
        accounts.update_coverage(_user(user_id), request.form.getlist("languages"), request.form.getlist("streams"))
    except WorkspaceError as exc:
        db_session().rollback()
        flash(translator(language())(exc.message), "error")
        return redirect(url_for("admin.users"))
    db_session().commit()
    flash(translator(language())("Saved."))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response:
    user = _user(user_id)
    if user.id == me().id:
        flash(translator(language())("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.users"))
    released = accounts.deactivate_user(db_session(), user, by_user_id=me().id)
    db_session().commit()
    flash(translator(language())("Deactivated; {count} open leads returned to the unassigned pool.", count=released))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response:
    accounts.reactivate_user(_user(user_id))
    db_session().commit()
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/tokens")
def create_token(user_id: int) -> str | Response:
    db = db_session()
    user = _user(user_id)
    try:
        token = accounts.create_token(db, user, request.form.get("name") or "web")
    except WorkspaceError as exc:
        db.rollback()
        flash(translator(language())(exc.message), "error")
        return redirect(url_for("admin.users"))
    db.commit()
    rows = list(db.scalars(select(User).order_by(User.active.desc(), User.email)))
    return render_template("web/admin_users.html", users=rows, tokens={}, roles=[r.value for r in Role],
                           all_streams=STREAMS, errors={}, new_token=(user.email, token))
