"""Liveness and readiness probes.

/healthz answers while the process can serve at all (restart it when this fails); /readyz answers
200 only when the database, and the broker when one is configured, answer too (send it no traffic
while this fails).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crm.http import database

bp = Blueprint("health", __name__)

BROKER_TIMEOUT_SECONDS = 2.0


@bp.get("/healthz")
def healthz() -> object:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> object:
    checks: dict[str, str] = {"database": _check_database()}
    broker_url: str = current_app.extensions["crm.settings"].broker_url
    if broker_url:
        checks["broker"] = check_broker(broker_url)
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


def _check_database() -> str:
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def check_broker(url: str, timeout: float = BROKER_TIMEOUT_SECONDS) -> str:
    """'ok' when the broker at `url` completes a protocol exchange within `timeout`, else why not."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _check_redis(url, timeout)
    if url.startswith(("amqp://", "amqps://")):
        return _check_amqp(url, timeout)
    return "unavailable (unsupported URL scheme)"


def _check_redis(url: str, timeout: float) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"unavailable ({type(exc).__name__})"
    finally:
        client.close()
    return "ok"


def _check_amqp(url: str, timeout: float) -> str:
    import pika
    import pika.exceptions

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    parameters.connection_attempts = 1
    parameters.stack_timeout = timeout
    try:
        connection = pika.BlockingConnection(parameters)
    except (pika.exceptions.AMQPError, OSError) as exc:
        return f"unavailable ({type(exc).__name__})"
    connection.close()
    return "ok"
