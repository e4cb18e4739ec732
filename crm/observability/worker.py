"""Loaded by `crm worker` in each Dramatiq worker process (as an extra module after workers.actors).

Puts the process's logs in the configured format and tags every line logged while a message is
processed with the message id, the actor and the lead id (ids only, never the message's content).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq import Middleware

from crm import runtime
from crm.observability import logs

log = logging.getLogger("crm.worker")

# Keyword arguments that are ids and may be logged; anything else a message carries is not.
ID_ARGUMENTS = ("lead_id", "enrolment_id", "step_id", "job_id")


class LogContext(Middleware):
    # Per worker thread (one message at a time each); kept out of message.options, which the
    # Retries middleware serialises when it sends the message again.
    _local = threading.local()

    def before_process_message(self, broker: Any, message: Any) -> None:
        ids = {key: message.kwargs.get(key) for key in ID_ARGUMENTS}
        self._local.token = logs.bind(message_id=message.message_id, actor=message.actor_name, **ids)
        self._local.started = time.perf_counter()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        started = getattr(self._local, "started", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        outcome = "ok" if exception is None else type(exception).__name__
        log.info("message processed", extra={"outcome": outcome, "duration_ms": duration_ms,
                                             "retries": message.options.get("retries", 0)})
        self._unbind()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._unbind()

    def _unbind(self) -> None:
        token = getattr(self._local, "token", None)
        self._local.token = None
        self._local.started = None
        if token is not None:
            logs.unbind(token)


def install(broker: dramatiq.Broker) -> None:
    logs.configure(runtime.settings().log_format)
    if not any(isinstance(middleware, LogContext) for middleware in broker.middleware):
        broker.add_middleware(LogContext())


install(dramatiq.get_broker())
