"""A database session per message, opened before the actor runs and closed after it."""

from __future__ import annotations

import threading
from typing import Any

from dramatiq import Middleware
from sqlalchemy.orm import Session

from crm import runtime

_local = threading.local()


class DatabaseSession(Middleware):
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
