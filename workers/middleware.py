"""A database session per message, opened before the actor runs and closed after it.

A worker process's engine does not pre-ping its pooled connections: the ping is a round trip per
message, as much as the query most classify_lead messages need. A connection that died while idle
fails the message's first statement instead; SQLAlchemy recognises the disconnect and invalidates the
pool (every connection older than the error is replaced on checkout), and the actor's retry, or the
sweep, runs the job again on a fresh connection. Nothing is lost: the job stays open in the database.
The embedded queue (`crm run`) shares the web's engine, which keeps its pre-ping.
"""

from __future__ import annotations

import threading
from typing import Any

from dramatiq import Middleware
from sqlalchemy.orm import Session

from crm import runtime

_local = threading.local()


class DatabaseSession(Middleware):
    """`pre_ping=False` (a real broker's worker processes, see workers/broker.py): the process's engine,
    created after the worker boots, does not pre-ping its pooled connections."""

    def __init__(self, pre_ping: bool = True) -> None:
        self.pre_ping = pre_ping

    def after_process_boot(self, broker: Any) -> None:
        if not self.pre_ping:
            runtime.configure_engine(pool_pre_ping=False)

    def before_process_message(self, broker: Any, message: Any) -> None:
        _local.session = runtime.database().session()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        self._close()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._close()

    @staticmethod
    def _close() -> None:
        session: Session | None = getattr(_local, "session", None)
        if session is not None:
            session.close()
            _local.session = None


def current_session() -> Session:
    """The session of the message being processed."""
    session: Session | None = getattr(_local, "session", None)
    if session is None:
        raise RuntimeError("no message is being processed on this thread")
    return session
