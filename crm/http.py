"""Request-scoped helpers for the web layer: the database session, client address, JSON errors."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request
from sqlalchemy.orm import Session

from crm.db import Database


def database() -> Database:
    db: Database = current_app.extensions["crm.db"]
    return db


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = database().session()
    session: Session = g.db_session
    return session


def close_db_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def json_error(status: int, errors: dict[str, list[str]], **extra: Any) -> Response:
    response = jsonify({"errors": errors, **extra})
    response.status_code = status
    return response


def wants_html() -> bool:
    accept = request.headers.get("Accept", "").lower()
    if "text" not in accept and "html" not in accept and "*" not in accept:
        # Nothing in the header can match text/html (the common API case, answered without parsing it).
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes[
        "application/json"]


def client_ip() -> str:
    return request.remote_addr or "unknown"
