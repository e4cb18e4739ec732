"""Sign in, sign out, and the signed-in user's own account (password, interface language)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from crm.extensions import limiter
from crm.http import client_ip, db_session
from crm.i18n import LANGUAGES
from crm.web.common import LoginUser, language, me, setup_blueprint
from crm.workspace import WorkspaceError, accounts

bp = Blueprint("auth", __name__)
setup_blueprint(bp)

LOGIN_LIMIT_PER_IP = "20/minute;100/hour"
LOGIN_LIMIT_PER_EMAIL = "5/minute;30/hour"


def _email_key() -> str:
    # Slows down guessing one account's password from many addresses.
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:320]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("queue.index")


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same SVG icon (else a 404 per page)."""
    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_IP, methods=["POST"], key_func=client_ip)
@limiter.limit(LOGIN_LIMIT_PER_EMAIL, methods=["POST"], key_func=_email_key)
def login() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("web/login.html", next=request.args.get("next", ""), email="")
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    db = db_session()
    user = accounts.authenticate(db, email, password) if email and password else None
    if user is None:
        db.rollback()
        # One message for unknown email, wrong password and deactivated account: no enumeration.
        return render_template("web/login.html", next=request.form.get("next", ""), email=email,
                               error=True), 401
    db.commit()
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in (no fixation)
    if lang:
        session["lang"] = lang
    login_user(LoginUser(user))
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response | tuple[str, int]:
    user = me()
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = db_session()
        action = request.form.get("action")
        try:
            if action == "password":
                new = request.form.get("new_password") or ""
                if new != (request.form.get("confirm_password") or ""):
                    raise WorkspaceError("The two new passwords differ.", field="confirm_password")
                accounts.change_password(user, request.form.get("current_password") or "", new)
                flash("Your password was changed.")
            elif action == "language":
                chosen = request.form.get("ui_language")
                if chosen in LANGUAGES:
                    user.ui_language = chosen
                    session["lang"] = chosen
                flash("Saved.")
            db.commit()
            return redirect(url_for("auth.account"))
        except WorkspaceError as exc:
            db.rollback()
            errors[exc.field] = exc.message
            return render_template("web/account.html", errors=errors, current=language()), 422
    return render_template("web/account.html", errors=errors, current=language())
