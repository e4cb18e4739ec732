"""The web side of observability: request ids, the intake log line, logging set-up for the app."""

from __future__ import annotations

import contextlib
import logging
import time

from flask import Flask, Response, g, request

from crm.config import Settings
from crm.observability import logs

log = logging.getLogger("crm.requests")

INTAKE_ENDPOINT = "intake.create_lead"
INTAKE_LOG_KEY = "intake_log_ids"


def init_app(app: Flask, settings: Settings) -> None:
    """Configure logging in the chosen format and give every request an id (X-Request-ID)."""
    logs.configure(settings.log_format)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)


def _start_request() -> None:
    g.request_id = logs.accept_request_id(request.headers.get("X-Request-ID"))
    g.request_started = time.perf_counter()
    g.log_token = logs.bind(request_id=g.request_id)


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    intake = g.pop(INTAKE_LOG_KEY, None)
    if intake is not None and request.endpoint == INTAKE_ENDPOINT and response.status_code in (200, 201):
        # Ids only: the lead's own details never reach the log.
        log.info("lead received", extra={
            "lead_id": intake["lead_id"], "inquiry_id": intake["inquiry_id"],
            "new_inquiry": response.status_code == 201,
            "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
        })
    return response


def note_intake(lead_id: str, inquiry_id: str) -> None:
    """Called by the intake view for a JSON answer: the ids for the "lead received" line (no need
    to parse the response body again)."""
    setattr(g, INTAKE_LOG_KEY, {"lead_id": lead_id, "inquiry_id": inquiry_id})


def _end_request(_exc: BaseException | None = None) -> None:
    token = g.pop("log_token", None)
    if token is not None:
        # ValueError: the token belongs to another context (a test client reusing a thread).
        with contextlib.suppress(ValueError):
            logs.unbind(token)
