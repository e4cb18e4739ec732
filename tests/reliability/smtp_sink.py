"""An SMTP server for the reliability tests (aiosmtpd in a thread) that records every message.

It can also misbehave on purpose: be down (stopped, port closed), answer 4xx to everything, or
answer 5xx for chosen recipients.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: list[str]
    message_id: str
    subject: str
    headers: dict[str, str] = field(default_factory=dict)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.sink.temporary_failure:
            with self.sink.lock:
                self.sink.temporary_answers += 1
            return "451 4.3.0 Try again later (test sink)"
        if address.lower() in self.sink.rejected:
            with self.sink.lock:
                self.sink.permanent_refusals[address.lower()] += 1
            return "550 5.1.1 No such mailbox (test sink)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.temporary_failure:
            return "451 4.3.0 Try again later (test sink)"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        received = Received(
            recipients=[address.lower() for address in envelope.rcpt_tos],
            message_id=str(message.get("Message-ID", "")),
            subject=str(message.get("Subject", "")),
            headers={name: str(value) for name, value in message.items() if name.lower().startswith("x-")},
        )
        with self.sink.lock:
            self.sink.messages.append(received)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.temporary_failure = False
        self.rejected: set[str] = set()
        self.temporary_answers = 0  # 4xx answers given (RCPT), to know a 4xx phase was really hit
        self.permanent_refusals: Counter[str] = Counter()  # 5xx answers per address
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Close the port: senders get connection refused until `start` again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(address for message in self.messages for address in message.recipients)

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(message.message_id for message in self.messages)

    def total(self) -> int:
        with self.lock:
            return len(self.messages)
