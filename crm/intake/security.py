"""Who may post an inquiry: HMAC-signed server-to-server requests and signed form tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SIGNATURE_TOLERANCE_SECONDS = 300
FORM_TOKEN_MAX_AGE_SECONDS = 4 * 3600


_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """The X-CRM-Signature header is missing, malformed, wrong or too old."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value a sender puts in X-CRM-Signature (used by tests, benchmarks and docs)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_signature(secret: str, header: str | None, body: bytes, now: float | None = None) -> None:
    if not header:
        raise SignatureError("The X-CRM-Signature header is missing.")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key.strip(), []).append(value.strip())
    stamp = parts.get("t", [""])[0]
    candidates = parts.get("v1", [])
    # `t` is signed as the text sent ("<t>." + body, as the contract says), in ASCII digits only: read as
    # a number first, "t=0<ts>" (or "+<ts>", "<ts>_0") passed with a signature made over "<ts>". A header
    # without a v1 value (only a scheme we do not know) is malformed, not a signature that does not match.
    if not _UNIX_SECONDS.fullmatch(stamp) or not candidates:
        raise SignatureError("The signature header must look like t=<unix seconds>,v1=<hex>.")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("The signature is older than 5 minutes (or its clock is wrong).")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    # Several v1 values are allowed so that a sender can sign with the old and new secret at once.
    if not any(hmac.compare_digest(expected.encode(), c.strip().lower().encode("ascii", "replace"))
               for c in candidates):
        raise SignatureError("The signature does not match the body.")


def _form_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="crm.apply-form")


def issue_form_token(secret_key: str, language: str) -> str:
    """A token embedded in our own /apply page: proves the post came from a page we served."""
    return _form_serializer(secret_key).dumps({"lang": language})


def check_form_token(secret_key: str, token: str | None) -> dict[str, str] | None:
    """The token's contents when it is valid and recent, else None."""
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = _form_serializer(secret_key).loads(token, max_age=FORM_TOKEN_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) else None


def form_token_language(secret_key: str, token: str | None) -> str | None:
    """The language of an /apply page we served, from its token even when the token has expired
    (the signature is checked, the age is not): to show that page again rather than an error."""
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    valid, data = _form_serializer(secret_key).loads_unsafe(token)
    language = data.get("lang") if valid and isinstance(data, dict) else None
    return language if language in ("en", "fr") else None
