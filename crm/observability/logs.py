"""Structured logging: JSON lines in production (CRM_LOG_FORMAT=json), readable text otherwise.

Every line carries the ids of what it is about (request id, lead id, message id) and never the
personal data of a lead: log ids, not names, addresses, phone numbers or messages. Two nets catch
what a careless call could leak: exception messages from the database driver, SMTP and validation
libraries (which echo the values they were given) are withheld, and anything shaped like an email
address is masked.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

# Ids bound to the current request, message or task; copied onto every record logged meanwhile.
_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("crm_log_context", default={})  # noqa: B039

CONTEXT_FIELDS = ("request_id", "lead_id", "message_id", "actor")
EMAIL_PATTERN = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[A-Za-z]{2,}")
# Libraries whose exception messages repeat the values they were handed (SQL parameters and
# constraint details, SMTP recipients, pydantic inputs, email addresses).
WITHHELD_MODULE_PREFIXES = ("sqlalchemy", "psycopg", "sqlite3", "smtplib", "pydantic", "email_validator",
                            "aiosmtplib")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id() -> str:
    return secrets.token_hex(8)


def accept_request_id(value: str | None) -> str:
    """The caller's X-Request-ID when it is a plain token (so a proxy's id follows the request), else a new one."""
    if value and REQUEST_ID_PATTERN.match(value):
        return value
    return new_request_id()


def bind(**ids: str | int | None) -> contextvars.Token[dict[str, str]]:
    """Add ids to the current context; pass the token to `unbind` to restore the previous context."""
    merged = dict(_context.get())
    merged.update({key: str(value) for key, value in ids.items() if value is not None})
    return _context.set(merged)


def unbind(token: contextvars.Token[dict[str, str]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**ids: str | int | None) -> Iterator[None]:
    token = bind(**ids)
    try:
        yield
    finally:
        unbind(token)


def current_ids() -> dict[str, str]:
    return dict(_context.get())


def mask_emails(text: str) -> str:
    # Every match contains "@": a line without one (most of them) needs no regular expression.
    return EMAIL_PATTERN.sub("<email>", text) if "@" in text else text


def _withheld(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(WITHHELD_MODULE_PREFIXES)


def _safe_message(exc: BaseException) -> str:
    if _withheld(exc):
        statement = getattr(exc, "statement", None)
        detail = f" [SQL: {statement}]" if isinstance(statement, str) else ""
        return f"(message withheld: it may contain personal data){detail}"
    return mask_emails(str(exc))


def format_exception_safely(exc: BaseException) -> str:
    """A traceback like Python's, with the messages of value-echoing exceptions withheld."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    blocks = []
    for item in reversed(chain):
        name = f"{type(item).__module__}.{type(item).__qualname__}".removeprefix("builtins.")
        frames = "".join(traceback.format_tb(item.__traceback__))
        blocks.append(f"Traceback (most recent call last):\n{frames}{name}: {_safe_message(item)}")
    return "\n\nThe above exception led to:\n\n".join(blocks)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (for both formatters)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class SafeTextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key))
        record.ids = f" [{ids}]" if ids else ""
        return mask_emails(super().format(record))

    def formatException(self, ei: Any) -> str:
        return format_exception_safely(ei[1]) if ei and ei[1] is not None else ""


class SafeJsonFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z")
        self._time_cache: tuple[int, str | None, str] | None = None

    def formatException(self, ei: Any) -> str:
        return format_exception_safely(ei[1]) if ei and ei[1] is not None else ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # The format has whole seconds: the text is the same for every record of the same second.
        second = int(record.created)
        cached = self._time_cache
        if cached is not None and cached[0] == second and cached[1] == datefmt:
            return cached[2]
        text = super().formatTime(record, datefmt)
        self._time_cache = (second, datefmt, text)
        return text

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            log_data.update(_access_fields(record.args))
            log_data["message"] = "request"

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: mask_emails(value) if isinstance(value, str) else value for key, value in log_data.items()}


def _access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """Gunicorn's access-log atoms, reduced to what operations need: no client address, no query string."""
    fields = {"method": atoms.get("m"), "path": atoms.get("U"), "status": atoms.get("s"),
              "bytes": atoms.get("B"), "duration_ms": round(float(atoms.get("L") or 0) * 1000, 1)}
    request_id = atoms.get("{x-request-id}o")
    if request_id and request_id != "-":
        fields["request_id"] = request_id
    return fields


def make_formatter(log_format: str) -> logging.Formatter:
    return SafeJsonFormatter() if log_format == "json" else SafeTextFormatter()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner or Dramatiq may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def configure(log_format: str, level: int | str = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send the root logger's records to `stream` (stderr by default) in the chosen format.

    Replaces any handler set up earlier (Dramatiq's basicConfig, a previous call), so it can run
    again in each process.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        # Exactly StreamHandler: basicConfig's and gunicorn's; subclasses (pytest's capture) stay.
        if getattr(handler, "crm_handler", False) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    handler: logging.StreamHandler[IO[str]] = logging.StreamHandler(stream) if stream else _StderrHandler()
    handler.crm_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # pika logs every channel and connection step at INFO: noise, not operations.
    logging.getLogger("pika").setLevel(logging.WARNING)


def gunicorn_logconfig(log_format: str) -> dict[str, Any]:
    """A logging.config dict for gunicorn's own loggers (access and error), same format as the app."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"crm": {"()": SafeJsonFormatter if log_format == "json" else SafeTextFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "crm", "filters": ["context"],
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }
