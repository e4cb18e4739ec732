"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crm.http import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> object:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> object:
    checks: dict[str, str] = {}
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"unavailable ({type(exc).__name__})"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503
