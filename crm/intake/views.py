"""POST /api/leads (the webhook) and the public /apply form."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from crm.countries import all_country_options as _country_options
from crm.countries import fold
from crm.db import utcnow
from crm.extensions import limiter
from crm.http import database, json_error, wants_html
from crm.i18n import translate, translator
from crm.intake.idna_messages import translated_characters, translated_idna_error
from crm.intake.parsing import BodyError, media_type, parse_json, parse_multipart, parse_urlencoded
from crm.intake.provinces import PROVINCES, province_name
from crm.intake.schema import MESSAGE_TEMPLATES
from crm.intake.security import (
    SignatureError,
    check_form_token,
    form_token_language,
    issue_form_token,
    verify_signature,
)
from crm.intake.service import IntakeError, IntakeRequest, IntakeResult, receive_inquiry
from crm.models import Inquiry, Lead
from crm.observability.web import note_intake
from crm.sequences.consent import consent_state

bp = Blueprint("intake", __name__)

JSON_TYPES = {"application/json"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
KEPT_HEADERS = ("User-Agent", "Origin", "Referer", "Content-Type", "Accept-Language", "X-Forwarded-For")
INTEGRITY_RETRIES = 4


FORM_EXPIRED = ("This page was open for more than 4 hours, so for your security it could not be sent. "
                "Your answers are below: please check them and send the form again.")
FORM_UNVERIFIED = ("For your security, this form could not be verified, so it was not sent. "
                   "Your answers are below: please check them and send the form again.")
# To a sender that is not a browser (a script replaying a form, a form builder copying our page).
TOKEN_EXPIRED = "The form token has expired (a form is valid for 4 hours); reload the form and send it again."
TOKEN_INVALID = "The form token is not valid; reload the form and send it again."


def _rate_limit() -> str:
    return str(current_app.config["CRM_RATE_LIMIT"])


def _rate_limit_off() -> bool:
    return _rate_limit().strip().lower() == "off"


def _origin_allowed(origin: str | None) -> bool:
    """The Origin is one of the listed websites. Our own pages prove themselves with the form token
    instead: an Origin equal to the request's own Host proves nothing, since the client sends both."""
    # Scheme and host are case-insensitive, as flask-cors compares them for the preflight.
    listed = {allowed.lower() for allowed in current_app.config["CRM_ALLOWED_ORIGINS"]}
    return bool(origin) and origin.lower() in listed


# A compressed body is refused rather than read as garbage; any other Content-Encoding value (some
# clients send "UTF-8" there by mistake) is ignored, as it always was.
_COMPRESSED = re.compile(r"\b(?:x-)?(?:gzip|deflate|br|compress|zstd)\b", re.IGNORECASE)


def _read_fields(kind: str, body: bytes) -> dict[str, Any]:
    if kind in JSON_TYPES:
        return parse_json(body, request.content_type)
    if kind == "multipart/form-data":
        return parse_multipart(body, request.content_type)
    return parse_urlencoded(body, request.content_type)


def _check_sender(body: bytes, form_token: dict[str, str] | None) -> dict[str, list[str]] | None:
    """Field-level errors when the sender is not allowed to post, else None (`form_token`: the valid
    token of our own /apply page the post carries, if any)."""
    secret = current_app.config["CRM_WEBHOOK_SECRET"]
    origin = request.headers.get("Origin")
    signature = request.headers.get("X-CRM-Signature")
    if secret and (signature or not (form_token or _origin_allowed(origin))):
        try:
            verify_signature(secret, signature, body)
        except SignatureError as exc:
            return {"X-CRM-Signature": [str(exc)]}
        return None
    allowed = current_app.config["CRM_ALLOWED_ORIGINS"]
    if origin and allowed and not _origin_allowed(origin) and not signature and not form_token:
        return {"Origin": ["This website is not allowed to post leads (see CRM_ALLOWED_ORIGINS)."]}
    return None


def _form_token(fields: dict[str, Any]) -> dict[str, str] | None:
    return check_form_token(current_app.config["SECRET_KEY"], fields.get("form_token"))


# With a trailing slash too, as many form builders and HTTP clients write a collection's address: a
# redirect would cost a browser's form its body on some clients and a CORS preflight its answer.
@bp.post("/api/leads/")
@bp.post("/api/leads")
@limiter.limit(_rate_limit, exempt_when=_rate_limit_off, per_method=True)
def create_lead() -> Response:
    kind = media_type(request.content_type)
    if kind not in JSON_TYPES | FORM_TYPES:
        return json_error(415, {"Content-Type": [
            "Send application/json or application/x-www-form-urlencoded (or multipart/form-data)."]})
    if _COMPRESSED.search(request.content_encoding or ""):
        return json_error(415, {"Content-Encoding": ["Send the body uncompressed (no Content-Encoding)."]})
    body = request.get_data(cache=True)
    if len(body) > current_app.config["CRM_MAX_BODY_BYTES"]:
        raise RequestEntityTooLarge()  # a chunked body (no Content-Length) over the limit
    try:
        fields = _read_fields(kind, body)
    except BodyError as exc:
        return json_error(exc.status, {exc.field: [exc.message]})

    token = _form_token(fields)
    # The language of the /apply page we served, from its token even when it has expired: its signature
    # still proves which page (and so which consent wording) it was. A browser gets that page back.
    page_language = None
    if kind in FORM_TYPES:  # the signature is checked once: a valid token already names its page
        page_language = token.get("lang") if token else form_token_language(
            current_app.config["SECRET_KEY"], fields.get("form_token"))
    apply_page = page_language if wants_html() else None
    sender_errors = _check_sender(body, token)
    if sender_errors is not None:
        status = 401 if "X-CRM-Signature" in sender_errors else 403
        # A sender that signs is a server: it gets the signature's error. Without a signature, a refused
        # post is one whose form token is expired, bad or missing (a valid one lets the post through).
        if not request.headers.get("X-CRM-Signature"):
            if kind in FORM_TYPES and wants_html():  # a person at a browser: the form again, answers kept
                notice = FORM_EXPIRED if page_language else FORM_UNVERIFIED
                return _render_form(page_language or _posted_page_language(fields), fields,
                                    {"form": [notice]}, status=status)
            if "form_token" in fields:  # it meant to post as our page: its token is what failed
                genuine = form_token_language(current_app.config["SECRET_KEY"], fields.get("form_token"))
                sender_errors = {"form_token": [TOKEN_EXPIRED if genuine else TOKEN_INVALID]}
        return json_error(status, sender_errors)

    # A blank header is no key: form builders send one when the variable mapped to it is empty.
    idempotency_key = request.headers.get("Idempotency-Key", "").strip() or None
    if idempotency_key is not None and (len(idempotency_key) > 255 or not idempotency_key.isprintable()):
        return json_error(422, {"Idempotency-Key": ["Must be at most 255 printable characters."]})
    page = token or ({"lang": page_language} if page_language else {})
    intake = IntakeRequest(
        body=body,
        content_type=request.content_type if (request.content_type or "").isprintable() else kind,
        fields=fields,
        headers={name: request.headers[name][:500] for name in KEPT_HEADERS if name in request.headers},
        remote_addr=request.remote_addr,
        idempotency_key=idempotency_key,
        form_language=_form_language(page),
        consent_wording=consent_wording(page["lang"]) if page.get("lang") in ("en", "fr") else None,
    )
    try:
        result = _store(intake)
    except IntakeError as exc:
        if apply_page:
            return _render_form(apply_page, fields, exc.errors, status=exc.status)
        return json_error(exc.status, exc.errors)

    if result.created and result.jobs:
        current_app.extensions["crm.dispatcher"].dispatch(result.jobs)
    if kind in FORM_TYPES and wants_html():  # a browser's form post; a JSON sender gets JSON whatever it accepts
        # The thank-you page promises the automatic answer email only when it will come.
        reply = "email" if _answer_will_be_emailed(result) else None
        return redirect(url_for("intake.thanks", lang=result.language, reply=reply),  # type: ignore[return-value]
                        code=303)
    note_intake(result.lead_id, result.inquiry_id)
    response = jsonify(result.as_json())
    response.status_code = 201 if result.created else 200
    return response


RATE_LIMITED_MINUTE = ("This form was sent too many times from your connection in a short time, so it was not sent. "
                       "Your answers are below: please wait a minute, then send the form again.")
RATE_LIMITED_MINUTES = ("This form was sent too many times from your connection in a short time, so it was not "
                        "sent. Your answers are below: please wait {minutes} minutes, then send the form again.")


def rate_limited_form() -> Response | None:
    """The /apply form again, answers kept, for a person whose browser posted it over the rate limit;
    None for any other sender, which gets the JSON 429 (Retry-After is added to either by the limiter)."""
    kind = media_type(request.content_type)
    if request.endpoint != f"{bp.name}.{create_lead.__name__}" or kind not in FORM_TYPES or not wants_html():
        return None
    try:
        fields = _read_fields(kind, request.get_data(cache=True))
    except (BodyError, RequestEntityTooLarge):
        fields = {}  # the answers cannot be shown again, the message still can
    language = (form_token_language(current_app.config["SECRET_KEY"], fields.get("form_token"))
                or _posted_page_language(fields))
    breached = limiter.current_limit
    seconds = int(breached.reset_at - time.time()) if breached is not None else 60
    notice = (translate(RATE_LIMITED_MINUTE, language) if seconds <= 60
              else translate(RATE_LIMITED_MINUTES, language, minutes=-(-seconds // 60)))
    return _render_form(language, fields, {"form": [notice]}, status=429)


@bp.record
def _unlimited_when_off(state: BlueprintSetupState) -> None:
    """An app created with CRM_RATE_LIMIT=off serves the view without Flask-Limiter's wrapper.

    The wrapper's per-request bookkeeping costs about as much as an INSERT even when the limit is
    exempted; with the limit on, the decorated view is served as before.
    """
    if str(state.app.config.get("CRM_RATE_LIMIT", "")).strip().lower() == "off":
        endpoint = f"{bp.name}.{create_lead.__name__}"
        if state.app.view_functions.get(endpoint) is create_lead:
            state.app.view_functions[endpoint] = create_lead.__wrapped__  # type: ignore[attr-defined]


def _language_of_tag(tag: str | None) -> str | None:
    """'fr', 'fr-CA', 'FR_ca' -> 'fr'; None for a tag in neither English nor French."""
    language = (tag or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return language if language in ("en", "fr") else None


def _form_language(token: dict[str, str]) -> str | None:
    return _language_of_tag(token.get("lang") or request.args.get("lang"))


def _answer_will_be_emailed(result: IntakeResult) -> bool:
    """Whether the automatic answer email follows this inquiry: only a new person's first one does (a
    known lead's inquiry goes to its consultant, its sequence is not run again), and only when nothing
    blocks email to the address (a bounce or complaint on record), by the rule the sequences apply."""
    if result.created and not result.new_lead:
        return False
    with database().session() as session:
        if not result.created and not _first_genuine_inquiry(session, result):
            return False
        lead = session.get(Lead, result.lead_id)
        return lead is not None and consent_state(session, lead).refusal(marketing=False, at=utcnow()) is None


def _first_genuine_inquiry(session: Session, result: IntakeResult) -> bool:
    """A replay (the Send button clicked twice, the form sent again from the back button) answers as
    the request it repeats did: it was a new person's first inquiry when it is the lead's first, not spam."""
    first = session.execute(select(Inquiry.id, Inquiry.is_spam).where(Inquiry.lead_id == result.lead_id)
                            .order_by(Inquiry.received_at, Inquiry.id).limit(1)).first()
    return first is not None and first.id == result.inquiry_id and not first.is_spam


def _store(intake: IntakeRequest) -> IntakeResult:
    """Run the intake transaction; a unique-constraint race means a concurrent twin won: run again."""
    # Validation, hashing and a new person's rows outside the transaction: it holds SQLite's write lock.
    now, db = utcnow(), database()
    intake.prepare_writes(now, db.engine.dialect)
    for attempt in range(INTEGRITY_RETRIES):
        try:
            with db.transaction() as session:
                return receive_inquiry(session, intake, now)
        except IntegrityError:
            if attempt == INTEGRITY_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _posted_page_language(fields: dict[str, Any]) -> str:
    """The language to show a posted form again in when its token cannot name its page: the address's
    ?lang=, the language the form posted (our /apply page posts its own), else the browser's."""
    posted = fields.get("preferred_language")
    return (_language_of_tag(request.args.get("lang"))
            or _language_of_tag(posted if isinstance(posted, str) else None) or _page_language())


def _page_language() -> str:
    language = _language_of_tag(request.args.get("lang"))
    if language:
        return language
    best = request.accept_languages.best_match(["en", "fr"])
    return best or "en"


CONSENT_WORDING = ("Yes, {business} may send me emails about Canadian work permit programs, news and services. "
                   "I can unsubscribe at any time.")


def consent_wording(language: str) -> str:
    """The express-consent wording shown next to the /apply checkbox, as stored with the consent."""
    return translate(CONSENT_WORDING, language, business=current_app.config["CRM_BUSINESS_NAME"])


def _render_form(language: str, values: dict[str, Any], errors: dict[str, list[str]],
                 status: int = 200) -> Response:
    errors = {name: [_translated_error(message, language) for message in messages]
              for name, messages in errors.items()}
    html = render_template(
        "apply/form.html", lang=language, t=translator(language), values=values, errors=errors,
        consent_wording=consent_wording(language),
        form_token=issue_form_token(current_app.config["SECRET_KEY"], language),
    )
    return Response(html, status=status)


_LIST_ITEM = re.compile(r"Item (\d+): (.*)", re.DOTALL)
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")  # "{name}" once re.escape has escaped it


def _template_pattern(template: str) -> re.Pattern[str]:
    """The messages a template makes: its numbers as digits, a list of choices as any text."""
    return re.compile(_PLACEHOLDER.sub(lambda m: rf"(?P<{m[1]}>{'.+' if m[1] == 'expected' else r'-?[0-9.]+'})",
                                       re.escape(template)))


# email-validator's messages that carry a number (crm.intake.normalise.normalise_email), one template per
# grammatical number: the French catalogue translates each.
_EMAIL_TEMPLATES = tuple(
    f"{head} ({{diff}} {noun} too many)."
    for head in ("The email address is too long before the @-sign", "The email address is too long after the @-sign",
                 "The email address is too long",
                 "After the @-sign, periods cannot be separated by so many characters")
    for noun in ("character", "characters")
)
_TEMPLATE_PATTERNS = [(template, _template_pattern(template))
                      for template in (*MESSAGE_TEMPLATES.values(), *_EMAIL_TEMPLATES)]


def _translated_error(message: str, language: str) -> str:
    """A field error from the intake (always English: the API's) in the form's language.

    "Item 2: ..." keeps its number, and a message ending in a detail it quotes ("...before the @-sign:
    SPACE.") is matched by its text up to the colon. A message the catalogue lacks stays in English.
    """
    if language == "en":
        return message
    item = _LIST_ITEM.fullmatch(message)
    prefix = ""
    if item is not None:
        prefix, message = translate("Item {number}: ", language, number=item[1]), item[2]
    idna = translated_idna_error(message, language)
    if idna is not None:
        return prefix + idna
    translated = translate(message, language)
    for template, pattern in _TEMPLATE_PATTERNS:
        filled = pattern.fullmatch(message)
        if filled is not None:
            translated = translate(template, language, **filled.groupdict())
    if translated == message and ": " in message:
        head, detail = message.split(": ", 1)
        translated_head = translate(head + ":", language)
        if translated_head != head + ":":
            translated = f"{translated_head} {translated_characters(detail, language)}"
    return prefix + translated


@bp.get("/apply")
def apply_form() -> Response:
    return _render_form(_page_language(), {}, {})


@bp.get("/apply/thanks")
def thanks() -> str:
    language = _page_language()
    return render_template("apply/thanks.html", lang=language, t=translator(language),
                           answer_emailed=request.args.get("reply") == "email")


@bp.app_context_processor
def _form_helpers() -> dict[str, Any]:
    return {"country_options": country_options, "province_options": province_options}


def country_options(language: str) -> list[tuple[str, str]]:
    return _country_options(language)


def province_options(language: str) -> list[tuple[str, str]]:
    return [(code, province_name(code, language)) for code in sorted(PROVINCES, key=lambda c: fold(
        province_name(c, language)))]
