"""IMP Lead CRM: the Flask application factory (wiring only: config, extensions, blueprints)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_cors import CORS
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from crm import runtime
from crm.config import PROJECT_ROOT, Settings
from crm.db import Database
from crm.extensions import csrf, limiter
from crm.http import close_db_session, json_error, wants_html
from crm.jobs import Dispatcher
from crm.observability.web import init_app as init_observability

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, *, database: Database | None = None,
               dispatcher: Dispatcher | None = None) -> Flask:
    settings = settings or runtime.settings()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )
    app.config.update(settings.as_flask_config())
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # One byte over the limit: a streamed (chunked) body is cut off at MAX_CONTENT_LENGTH without an
        # error, so the intake reads one byte more than it accepts to tell "at the limit" from "over it".
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES + 1,
        CRM_MAX_BODY_BYTES=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=not settings.is_development,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        RATELIMIT_ENABLED=settings.rate_limit.strip().lower() != "off",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies, x_host=settings.trusted_proxies)

    app.extensions["crm.settings"] = settings
    app.extensions["crm.db"] = database or runtime.database()
    app.extensions["crm.dispatcher"] = dispatcher or _broker_dispatcher()
    app.teardown_appcontext(close_db_session)
    init_observability(app, settings)

    limiter.init_app(app)
    csrf.init_app(app)
    if settings.allowed_origins:
        # Only the intake endpoint is open to other websites' pages, and only from listed origins.
        CORS(app, resources={CORS_PATH.pattern: {"origins": settings.allowed_origins, "methods": ["POST"],
                                                 "allow_headers": ["Content-Type", "Idempotency-Key"],
                                                 "max_age": 600, "always_send": False}})
        app.after_request(_vary_on_origin)

    from crm import api_docs, health
    from crm.intake import views as intake_views

    app.register_blueprint(health.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(intake_views.bp)
    csrf.exempt(intake_views.bp)
    _register_optional_blueprints(app)

    _register_error_handlers(app)
    app.after_request(_security_headers)
    return app


# The path open to other websites' pages (flask-cors matches it against the request path).
CORS_PATH = re.compile(r"^/api/leads/?$")


def _vary_on_origin(response: Response) -> Response:
    """Vary: Origin on every response of the CORS path, with or without CORS headers: its
    Access-Control-Allow-Origin echoes the request's Origin (or is absent for an unlisted or missing
    one), so a shared cache must not serve one origin's answer to another. flask-cors adds it only
    when several origins are listed, and only to responses that carry CORS headers."""
    if CORS_PATH.match(request.path):
        response.vary.add("Origin")
    return response


def _broker_dispatcher() -> Dispatcher:
    from workers.dispatch import broker_dispatcher

    return broker_dispatcher()


def _register_optional_blueprints(app: Flask) -> None:
    """Blueprints of the consultant workspace and email features, registered by their packages."""
    from crm import blueprints

    for blueprint, csrf_exempt in blueprints.all_blueprints():
        app.register_blueprint(blueprint)
        if csrf_exempt:
            csrf.exempt(blueprint)


def _is_api_request() -> bool:
    return request.path.startswith("/api/") or not wants_html()


def _register_error_handlers(app: Flask) -> None:
    from crm.intake.views import rate_limited_form

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status == 413:
            errors = {"body": [f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB."]}
        elif status == 429:
            errors = {"rate_limit": [f"Too many requests ({exc.description}). Try again later."]}
        else:
            errors = {"request": [exc.description or exc.name]}
        # A person whose browser posted the /apply form over the limit gets that form again, in its language.
        page = rate_limited_form() if status == 429 else None
        if page is not None:
            response = page
        elif _is_api_request():
            response = json_error(status, errors)
        else:
            response = Response(render_template("error.html", status=status, title=exc.name,
                                                message=exc.description), status=status)
        # Headers the status needs (Allow for 405, Retry-After for 429) come from werkzeug's own response.
        for name in ("Allow", "Retry-After"):
            value = exc.get_response().headers.get(name)
            if value:
                response.headers[name] = value
        return response

    @app.errorhandler(DataError)
    def unstorable_value(exc: Exception) -> Any:
        # The database refused a value the client sent (a NUL character in PostgreSQL text, an
        # out-of-range number): a client mistake, not an outage.
        log.info("database refused a client value: %s", type(exc).__name__)
        return json_error(400, {"request": ["The request contains a value that cannot be stored "
                                            "(for example a NUL character)."]})

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: Exception) -> Any:
        log.error("database error: %s", type(exc).__name__)
        response = json_error(503, {"service": ["The database is unavailable; nothing was stored. "
                                                "Please try again shortly."]})
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api_request():
            return json_error(500, {"server": ["An unexpected error occurred; it has been logged."]})
        return Response(render_template("error.html", status=500, title="Server error",
                                        message="An unexpected error occurred; it has been logged."),
                        status=500)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["crm.settings"]
    return settings


__all__ = ["create_app", "jsonify", "settings_of"]
