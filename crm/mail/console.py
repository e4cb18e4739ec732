"""console: print each message to standard output (development and demos)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from crm.mail.message import MailMessage

_lock = threading.Lock()


class ConsoleTransport:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: MailMessage, handover: Callable[[], None] | None = None) -> None:
        if handover is not None:
            handover()
        text = message.data.decode("ascii", "replace").replace("\r\n", "\n")
        out = self.stream or sys.stdout
        with _lock:  # worker threads print whole messages, not interleaved lines
            out.write(f"{'-' * 30} message {'-' * 30}\n{text}\n")
            out.flush()

    def close(self) -> None:
        return None
