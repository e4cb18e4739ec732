"""A message ready for a transport: the envelope and the RFC 5322 bytes.

`compose` writes multipart/alternative messages (text + HTML, UTF-8, quoted-printable) directly as
bytes. The standard library's EmailMessage takes several milliseconds per message (a new header class
per header, re-folding on output), which would cap sending far below what an SMTP server takes; the
pieces here still come from the standard library (formataddr, binascii's C base64 and quoted-printable
encoders), and tests parse every message back with the email package.

Header injection: a header value containing CR, LF or NUL is refused (ValueError). Callers clean
lead-supplied text first (crm.sequences.rendering.header_safe), so this is the second line of defence.
"""

from __future__ import annotations

import binascii
import contextlib
import secrets
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.charset import BASE64, Charset
from email.message import EmailMessage
from email.utils import formataddr

MAX_LINE = 998  # RFC 5322 hard limit on a line, CRLF excluded
# Encoded words in base64 ("B"): the standard library's default for UTF-8 picks the shorter of Q and B
# for every header, and measuring Q costs a Python loop over every byte of every line it tries.
_UTF8_B = Charset("utf-8")
_UTF8_B.header_encoding = BASE64
_FORBIDDEN = ("\r", "\n", "\x00")
_LOOKS_ENCODED = "=?"  # how an RFC 2047 encoded word starts
# Headers whose values come from address(), already encoded there.
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})


@dataclass
class MailMessage:
    sender: str  # envelope sender (MAIL FROM)
    recipients: list[str]  # envelope recipients (RCPT TO)
    data: bytes  # the message, CRLF line endings
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)  # as given, before encoding (for the timeline/preview)

    def parsed(self) -> EmailMessage:
        """The message parsed back by the email package (tests, console output)."""
        parsed: EmailMessage = message_from_bytes(self.data, policy=policy.default)  # type: ignore[assignment]
        return parsed


def address(display_name: str, addr_spec: str) -> str:
    """A From/To/Reply-To value; the display name becomes an encoded word when it is not ASCII."""
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("an email address needs a local part and a domain")
    if any(ch in addr_spec for ch in ' <>,;"\\') or any(ch in display_name + addr_spec for ch in _FORBIDDEN):
        raise ValueError("invalid characters in an email address")  # CR, LF and NUL included
    if _LOOKS_ENCODED in display_name:
        # A name typed as "=?utf-8?b?...?=" would be decoded by the reader's mail client into text the lead
        # never typed (control characters included): encode it, so that it reads as typed.
        return f"{_UTF8_B.header_encode(display_name)} <{addr_spec}>"
    return formataddr((display_name, addr_spec), charset=_UTF8_B)


def encoded_words(value: str, first_line: int = 0) -> str:
    """`value` as RFC 2047 base64 encoded words ("=?utf-8?b?...?="), never splitting a character, one
    per line folded with CRLF and a space so that no line passes 76 characters; `first_line` is how
    many characters ("Subject: ") precede the first word. email.header.Header does the same with a
    Python loop per byte, and folds with a bare LF that some servers refuse in the message data."""
    data = value.encode("utf-8")
    words: list[str] = []
    start, room = 0, max(6, (76 - first_line - 12) // 4 * 3)  # 12: "=?utf-8?b?" and "?="
    while start < len(data):
        end = min(len(data), start + room)
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the character goes on
            end -= 1
        words.append(f"=?utf-8?b?{binascii.b2a_base64(data[start:end], newline=False).decode('ascii')}?=")
        start, room = end, (76 - 1 - 12) // 4 * 3
    return "\r\n ".join(words)


def _header(name: str, value: str) -> bytes:
    if any(ch in name + value for ch in _FORBIDDEN):
        raise ValueError(f"header {name} contains a line break or NUL")
    if not value.isascii() or (_LOOKS_ENCODED in value and name.lower() not in _ADDRESS_HEADERS):  # see address()
        return f"{name}: {encoded_words(value, len(name) + 2)}\r\n".encode("ascii")
    line = f"{name}: {value}"
    if len(line) > MAX_LINE:
        raise ValueError(f"header {name} is longer than {MAX_LINE} characters")
    return line.encode("ascii") + b"\r\n"


def _qp(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    if b"\r" in encoded:  # CRLF input comes out as CRLF: normalise to LF first
        encoded = encoded.replace(b"\r\n", b"\n")
    return encoded.replace(b"\n", b"\r\n")


def compose(headers: list[tuple[str, str]], text: str, html: str, boundary: str | None = None) -> bytes:
    """The bytes of a multipart/alternative message with the given top-level headers."""
    boundary = boundary or f"=_{secrets.token_hex(16)}"  # "=_" never occurs in quoted-printable output
    parts = [b"".join(_header(name, value) for name, value in headers),
             b"MIME-Version: 1.0\r\n",
             f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode()]
    for subtype, body in (("plain", text), ("html", html)):
        parts.append(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode())
        parts.append(_qp(body))
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def readable(headers: dict[str, str]) -> dict[str, str]:
    """Header values with our encoded words decoded, for people (preview, timeline): only the address
    headers, so text that merely looks like an encoded word in a subject is shown as typed."""
    from email.errors import HeaderParseError
    from email.header import decode_header, make_header

    shown = {}
    for name, value in headers.items():
        # Not ours to decode (an unknown charset, a broken word): shown as stored.
        with contextlib.suppress(LookupError, UnicodeError, HeaderParseError):
            if name.lower() in _ADDRESS_HEADERS:
                value = str(make_header(decode_header(value)))
        shown[name] = value
    return shown
