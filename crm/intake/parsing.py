"""Read a request body into fields: JSON objects and URL-encoded or multipart forms."""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from crm.intake.schema import BOOLEAN_FIELDS, LIST_FIELDS

MAX_FIELDS = 200
MAX_DEPTH = 20


class BodyError(ValueError):
    """The body cannot be read: `status` is 400 (malformed) or 415 (unsupported type); `field` is what
    the error is reported under (the body, or the Content-Type header whose charset it names)."""

    def __init__(self, status: int, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _charset(content_type: str | None) -> str | None:
    """The charset a Content-Type names, or None."""
    charset = parse_options_header(content_type)[1].get("charset", "").strip() if content_type else ""
    return charset or None


def parse_json(body: bytes, content_type: str | None = None) -> dict[str, Any]:
    """A JSON object in UTF-8, the only encoding JSON has (RFC 8259).

    A charset parameter has no effect on JSON: a body that is valid UTF-8 is read whatever charset its
    Content-Type names (senders that mislabel a UTF-8 body keep working). One that is not, under another
    charset's name (latin-1, UTF-16), is a 415 naming the header: the sender's encoding is the mistake.
    """
    charset = _charset(content_type)
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        try:
            body.decode("utf-8-sig")
            readable = b"\x00" not in body  # UTF-16 and UTF-32 put NUL bytes beside ASCII letters
        except UnicodeDecodeError:
            readable = False
        if not readable:
            raise BodyError(415, f"JSON must be sent in UTF-8 (RFC 8259), not {charset[:40]!r}: encode the body "
                                 "in UTF-8 and send Content-Type: application/json; charset=utf-8.",
                            field="Content-Type")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BodyError(400, "The body is not valid UTF-8.") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_object_without_repeats)
    except _RepeatedName as exc:
        raise BodyError(400, f"The JSON object has the field {exc.name} more than once: send each field "
                             "once.") from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(400, "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise BodyError(400, "The body must be a JSON object.")
    if _depth(data) > MAX_DEPTH:
        raise BodyError(400, f"The JSON is nested more than {MAX_DEPTH} levels deep.")
    return data


class _RepeatedName(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = json.dumps(name if len(name) <= 60 else name[:60] + "…", ensure_ascii=False)


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refused when it repeats a name: Python would keep the last value silently,
    and a website that sends two emails has a bug that would file the inquiry under one of them."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _RepeatedName(name)
            seen.add(name)
    return data


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


_ASCII_PROBE = "first_name=A%20b+c&x=\\u0041~&host=a.xn--nxa.b"


def _reads_ascii_as_ascii(charset: str) -> bool:
    """A URL-encoded body is ASCII, its percent-escapes in the charset: only a charset that reads and
    writes ASCII as itself can carry one (not UTF-16, EBCDIC, UTF-7, or Python's escape codecs)."""
    try:
        return (_ASCII_PROBE.encode("ascii").decode(charset) == _ASCII_PROBE
                and _ASCII_PROBE.encode(charset) == _ASCII_PROBE.encode("ascii"))
    except (LookupError, UnicodeError):  # not a charset Python knows, or not a text encoding ("hex")
        return False


def parse_urlencoded(body: bytes, content_type: str | None = None) -> dict[str, Any]:
    """A URL-encoded form in UTF-8, or in the charset its Content-Type names (`; charset=...`).

    Bytes that are not valid in that charset are a 400, never guessed at: a browser on a page in
    another encoding sends its bytes without naming it, and a guess would store a mangled name.
    """
    charset = parse_options_header(content_type)[1].get("charset", "utf-8") if content_type else "utf-8"
    if not _reads_ascii_as_ascii(charset):
        raise BodyError(415, f"Unknown charset {charset[:40]!r}: send UTF-8.", field="Content-Type")
    try:
        # UTF-8, not ASCII: senders such as `curl -d 'first_name=Zoë'` put the bytes in unescaped, and
        # they are as valid as their percent-encoded form.
        # A byte order mark before the first field (some senders write one) is not part of its name.
        text = body.decode("utf-8-sig" if codecs.lookup(charset).name == "utf-8" else charset)
        pairs = parse_qsl(text, keep_blank_values=True, encoding=charset,
                          errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeError as exc:
        raise BodyError(400, f"The form data is not valid {charset.upper()[:40]} "
                             "(on the website's form, add accept-charset=\"UTF-8\").") from exc
    except ValueError as exc:
        raise BodyError(400, "The form has too many fields.") from exc
    _refuse_json_sent_as_form(text)
    return group_form_fields(pairs)


def _refuse_json_sent_as_form(text: str) -> None:
    """A JSON object under the form's content type (`curl -d '{...}'` without a Content-Type, jQuery's
    default one) would read as one field named after the whole body, and be answered "first_name:
    required": name the real mistake instead, as for JSON under another charset's name."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return
    try:
        is_object = isinstance(json.loads(stripped), dict)
    except (ValueError, RecursionError):
        return
    if is_object:
        raise BodyError(415, "The body is JSON: send it with Content-Type: application/json.", field="Content-Type")


def parse_multipart(body: bytes, content_type: str | None) -> dict[str, Any]:
    """A multipart/form-data body read as strictly as a URL-encoded one.

    Werkzeug's request.form replaces bytes that are not UTF-8 with U+FFFD (a name stored as "Zo\ufffd"
    and emailed so) and reads a body without its boundary or its closing delimiter as an empty form (a
    misleading "first_name is required"); both are malformed bodies, so 400. File parts are ignored.
    """
    _, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    if not boundary or not boundary.isascii():
        raise BodyError(400, "The multipart body has no boundary in its Content-Type.")
    decoder = MultipartDecoder(boundary.encode("ascii"), max_parts=MAX_FIELDS)
    try:
        decoder.receive_data(body)
        decoder.receive_data(None)
        pairs: list[tuple[str, str]] = []
        name: str | None = None
        chunks: list[bytes] = []
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):  # all data was given: a body without its closing delimiter
                raise ValueError("no closing boundary")
            if isinstance(event, Epilogue):
                break
            if isinstance(event, Field):
                name, chunks = event.name, []
            elif isinstance(event, File):
                name = None
            elif isinstance(event, Data) and name is not None:
                chunks.append(event.data)
                if not event.more_data:
                    pairs.append((name, b"".join(chunks).decode("utf-8")))
                    name = None
    except UnicodeDecodeError as exc:
        raise BodyError(400, "The form data is not valid UTF-8.") from exc
    except RequestEntityTooLarge as exc:
        raise BodyError(400, "The form has too many fields.") from exc
    except ValueError as exc:
        raise BodyError(400, "The multipart body is malformed.") from exc
    return group_form_fields(pairs)


# "citizenships[]" / "citizenships[0]": how PHP, WordPress form plugins and jQuery's $.param name a list.
_LIST_KEY = re.compile(r"^(?P<name>[a-z_]+)\[\d{0,3}\]$")


def group_form_fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Repeated keys become lists for list fields; for other fields the last value wins."""
    fields: dict[str, Any] = {}
    for key, value in pairs:
        bracketed = _LIST_KEY.match(key)
        if bracketed and bracketed["name"] in LIST_FIELDS:
            key = bracketed["name"]
        if key in LIST_FIELDS:
            fields.setdefault(key, []).append(value)
        elif key in BOOLEAN_FIELDS and key in fields and value.strip().lower() in {
                "", "0", "false", "off", "no", "non", "faux"}:
            # A checkbox paired with a hidden "false" input: the checked box wins.
            continue
        else:
            fields[key] = value
    return fields


_UNSAFE = re.compile(r"[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """A copy that every database can store as JSON: no NUL, no lone surrogates, no NaN.

    Only used for the parsed copy; the raw body is kept byte for byte.
    """
    if isinstance(value, str):
        return _UNSAFE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
