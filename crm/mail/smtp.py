"""SMTP and SMTPS with STARTTLS or implicit TLS, authentication, and one reused connection per thread.

The exchange is split at the point of no return: envelope (MAIL, RCPT), the DATA command, and once
the server said 354 the caller's `handover` callback (it journals "about to send", see journal.py),
then the message bytes.

Failures are sorted by whether the server can have taken the message:
- before the message data is handed over (connect, EHLO, TLS, AUTH, MAIL, RCPT, the DATA command):
  4xx, timeouts and refused connections are temporary, 5xx permanent; nothing was accepted;
- after the data was sent, a reply of 250 means accepted, 4xx/5xx mean refused, and a broken
  connection means "unknown": UncertainDeliveryError, never retried (at-most-once).
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from crm.mail.errors import PermanentMailError, TemporaryMailError, UncertainDeliveryError
from crm.mail.message import MailMessage


@dataclass(frozen=True)
class SMTPConfig:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: str = "auto"  # auto: when the server offers it; require; off
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    verify: bool = True
    local_hostname: str | None = None


class SMTPTransport:
    def __init__(self, config: SMTPConfig) -> None:
        self.config = config
        self._local = threading.local()
        self._all: list[smtplib.SMTP] = []
        self._all_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SMTPTransport:
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        implicit = parts.scheme.lower() == "smtps"
        starttls = query.get("starttls", "auto").lower()
        if starttls not in ("auto", "require", "off"):
            raise ValueError("starttls must be auto, require or off")
        return cls(SMTPConfig(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=float(query.get("timeout", "30")),
            verify=query.get("verify", "on").lower() not in ("off", "0", "false", "no"),
            local_hostname=query.get("helo"),
        ))

    # -- connections --------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            conn: smtplib.SMTP
            if c.implicit_tls:
                conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls_context(),
                                        local_hostname=c.local_hostname)
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout, local_hostname=c.local_hostname)
            conn.ehlo()
            if not c.implicit_tls and c.starttls != "off":
                if conn.has_extn("starttls"):
                    conn.starttls(context=self._tls_context())
                    conn.ehlo()
                elif c.starttls == "require":
                    conn.close()
                    raise PermanentMailError("the SMTP server does not offer STARTTLS", recipient=False)
            if c.username:
                conn.login(c.username, c.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentMailError(f"SMTP authentication failed ({exc.smtp_code})", exc.smtp_code,
                                     recipient=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"SMTP server refused the session: {exc.smtp_code}",
                           recipient=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Refused, unreachable, timed out, TLS failure, dropped: nothing was sent.
            raise TemporaryMailError(f"cannot reach the SMTP server: {type(exc).__name__}: {exc}") from exc
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _connection(self, fresh: bool = False) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is not None and fresh:
            self._drop(conn)
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _drop(self, conn: smtplib.SMTP) -> None:
        try:
            conn.close()
        finally:
            self._local.conn = None
            with self._all_lock:
                if conn in self._all:
                    self._all.remove(conn)

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
        self._local = threading.local()

    # -- sending ------------------------------------------------------------------------------

    def send(self, message: MailMessage, handover: Callable[[], None] | None = None) -> None:
        """MAIL FROM, RCPT TO and the DATA command, then `handover()` (the caller records the point of
        no return; it may raise to back out: the connection is closed, nothing is delivered), then the
        message bytes and the server's reply."""
        sender, recipients, data = message.sender, message.recipients, message.data
        if not recipients:
            raise PermanentMailError("the message has no recipient", recipient=False)
        conn = self._connection()
        try:
            self._envelope(conn, sender, recipients)
        except smtplib.SMTPServerDisconnected:
            # The reused connection went stale (server idle timeout): nothing was sent on it yet,
            # so open a new one and start over once.
            conn = self._connection(fresh=True)
            self._envelope_or_raise(conn, sender, recipients)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(conn)
            raise TemporaryMailError(f"SMTP error before the message was sent: {type(exc).__name__}") from exc
        self._data(conn, _dot_stuffed(data), handover)

    def _envelope_or_raise(self, conn: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
        try:
            self._envelope(conn, sender, recipients)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(conn)
            raise TemporaryMailError(f"SMTP error before the message was sent: {type(exc).__name__}") from exc

    def _envelope(self, conn: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
        # smtplib's mail() and rcpt() minus quoteaddr() for a plain address (see _quoted)
        conn.putcmd("mail", f"FROM:{_quoted(sender)}")
        code, reply = conn.getreply()
        if code != 250:
            self._reset(conn)
            raise _by_code(code, f"sender refused: {code} {_text(reply)}", recipient=False)
        for recipient in recipients:
            conn.putcmd("rcpt", f"TO:{_quoted(recipient)}")
            code, reply = conn.getreply()
            if code not in (250, 251):
                self._reset(conn)
                raise _by_code(code, f"recipient refused: {code} {_text(reply)}", recipient=True)

    def _data(self, conn: smtplib.SMTP, payload: bytes, handover: Callable[[], None] | None) -> None:
        """smtplib's data() in two halves, so that the hand-over is journaled after the server said 354
        and right before the bytes go: the window in which a crash leaves the outcome unknown is the
        transfer of the data and the server's reply, nothing more."""
        try:
            conn.putcmd("data")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(conn)  # the DATA command got no answer: no message data was sent
            raise TemporaryMailError(f"SMTP error before the message was sent: {type(exc).__name__}") from exc
        if code != 354:
            self._reset(conn)  # the DATA command itself was refused: no message data was sent
            raise _by_code(code, f"DATA refused: {code} {_text(reply)}", recipient=True)
        if handover is not None:
            try:
                handover()
            except BaseException:
                # Mid-DATA, only closing the connection abandons the message: a server delivers
                # nothing without the final "<CRLF>.<CRLF>".
                self._drop(conn)
                raise
        try:
            conn.send(payload)
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(conn)
            raise UncertainDeliveryError(
                f"connection lost after the message data was sent ({type(exc).__name__}); "
                "the server may have accepted it") from exc
        if code != 250:
            self._reset(conn)
            raise _by_code(code, f"message refused: {code} {_text(reply)}", recipient=True)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(conn)


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _quoted(address: str) -> str:
    """What smtplib.quoteaddr() makes of an address. It parses every address with email.utils.parseaddr
    (a tenth of the sending CPU); a plain addr-spec, what every lead's address is, comes out as <address>."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload as smtplib's data() builds it: leading dots doubled, ending in <CRLF>.<CRLF>."""
    # Most messages have no line starting with a dot: two substring searches instead of a regex pass.
    stuffed = _LEADING_DOT.sub(b"..", data) if data.startswith(b".") or b"\n." in data else data
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _by_code(code: int, message: str, recipient: bool) -> TemporaryMailError | PermanentMailError:
    if 500 <= code < 600:
        return PermanentMailError(message, code, recipient=recipient)
    return TemporaryMailError(message, code)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return text.replace("\r", " ").replace("\n", " ")[:300]


__all__ = ["SMTPConfig", "SMTPTransport"]
