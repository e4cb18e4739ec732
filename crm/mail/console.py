"""console: print each message to standard output (development and demos)."""

from __future__ import annotations

import sys
import threading
from email import policy
from email.message import EmailMessage
from typing import TextIO

_lock = threading.Lock()


class ConsoleTransport:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        text = message.as_string(policy=policy.SMTP.clone(linesep="\n"))
        out = self.stream or sys.stdout
        with _lock:  # worker threads print whole messages, not interleaved lines
            out.write(f"{'-' * 30} message {'-' * 30}\n{text}\n")
            out.flush()

    def close(self) -> None:
        return None
