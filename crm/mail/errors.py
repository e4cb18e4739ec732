"""What can go wrong when handing a message over, sorted by what the caller must do about it."""

from __future__ import annotations


class MailError(Exception):
    """Base class: the message was not (known to be) accepted."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryMailError(MailError):
    """Not accepted, and worth trying again later: 4xx replies, timeouts, connection refused.

    Raised only when the server certainly did not take the message, so a retry cannot duplicate it.
    """


class PermanentMailError(MailError):
    """Refused for good (5xx). `recipient` is True when the address itself was refused (a bounce),
    False when the refusal concerns our side (sender address, message size, policy)."""

    def __init__(self, message: str, code: int | None = None, recipient: bool = True) -> None:
        super().__init__(message, code)
        self.recipient = recipient


class UncertainDeliveryError(MailError):
    """The connection broke after the message data was handed over: the server may have accepted
    it. Never retried (at-most-once); the delivery is flagged for a person to check."""
