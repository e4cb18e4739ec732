"""Web endpoints of the email feature: unsubscribe (link page, confirm, RFC 8058 one-click) and
inbound email events (POST /api/leads/<id>/events). Thin: the rules are in crm.sequences."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.db import utcnow
from crm.http import client_ip, database, json_error
from crm.i18n import LANGUAGES, translator
from crm.intake.security import SignatureError, verify_signature
from crm.models import ApiToken, Lead, User
from crm.sequences.events import EventError, handle_event
from crm.sequences.rendering import de
from crm.sequences.unsubscribe import expired_token_lead, read_token, unsubscribe

bp = Blueprint("email", __name__)
RETRIES = 3


def _mask(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _page(state: str, lang: str | None, email: str = "", status: int = 200) -> Response:
    """The unsubscribe page in the lead's language; in English and French when the language is unknown (a
    link that is not ours names no lead)."""
    settings = current_app.extensions["crm.settings"]
    languages = [lang] if lang in LANGUAGES else list(LANGUAGES)
    html = render_template("email/pages/unsubscribe.html", state=state, lang=languages[0],
                           t=translator(languages[0]), sections=[(code, translator(code)) for code in languages],
                           business_name=settings.business_name, masked_email=_mask(email),
                           # French "de" before the name, elided before a vowel: "d'Érable Immigration"
                           of_business_name=de(settings.business_name))
    return Response(html, status=status, mimetype="text/html")


def _unusable(token: str, one_click: bool) -> Response:
    """A link that cannot unsubscribe: one we signed more than a year ago says it expired, in its lead's
    language (410); any other is not valid (404), in the language the URL asks for, else English and French."""
    lead_id = expired_token_lead(current_app.config["SECRET_KEY"], token)
    lang: str | None = None
    if lead_id is not None:
        with database().session() as session:
            lead = session.get(Lead, lead_id)
            lang = lead.preferred_language if lead is not None else None
    if lang is not None:
        return json_error(410, {"token": ["Expired link."]}) if one_click else _page("expired", lang, status=410)
    if one_click:
        return json_error(404, {"token": ["Invalid link."]})
    return _page("invalid", request.args.get("lang"), status=404)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> Response:
    """The link in every email: a confirmation page (mail scanners follow GET links, so GET changes nothing)."""
    lead_id = read_token(current_app.config["SECRET_KEY"], token)
    if lead_id is None:
        return _unusable(token, one_click=False)
    db = database()
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            return _page("invalid", request.args.get("lang"), status=404)
        # An erased lead gets nothing more (erasure suppressed the address) and has no address to show.
        if lead.anonymised_at is not None:
            return _page("done", lead.preferred_language)
        state = "done" if lead.unsubscribed_at else "confirm"
        return _page(state, lead.preferred_language, lead.email)


@bp.post("/unsubscribe/<token>")
def unsubscribe_post(token: str) -> Response:
    """The confirm button, and the RFC 8058 one-click POST that mail providers send."""
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    lead_id = read_token(current_app.config["SECRET_KEY"], token)
    if lead_id is None:
        return _unusable(token, one_click)
    source = "one-click" if one_click else "unsubscribe-link"
    lang, email = "en", ""
    for attempt in range(RETRIES):
        try:
            with database().transaction() as session:
                lead = session.get(Lead, lead_id)
                if lead is None:
                    return _page("invalid", None, status=404)
                # After an erasure nothing is recorded again about the person (not even the IP of the click).
                if lead.anonymised_at is None:
                    unsubscribe(session, lead, source, utcnow(), client_ip())
                lang, email = lead.preferred_language, lead.email
            break
        except IntegrityError:
            # Two unsubscribes at once: the other one's suppression row won; the next try sees it.
            if attempt == RETRIES - 1:
                raise
    if one_click:
        return Response("Unsubscribed\n", status=200, mimetype="text/plain")
    return _page("done", lang, email)


def _caller(session: Any, body: bytes) -> str | None:
    """Who is posting: "signature" (the mail provider's webhook), "admin" or "consultant" (an API
    token of an active user), or None."""
    secret = current_app.config.get("CRM_WEBHOOK_SECRET")
    signature = request.headers.get("X-CRM-Signature")
    if secret and signature:
        try:
            verify_signature(secret, signature, body)
            return "signature"
        except SignatureError:
            return None
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and len(auth) < 300:
        digest = hashlib.sha256(auth[7:].strip().encode()).hexdigest()
        user = session.scalars(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), User.active.is_(True))).first()
        if user is not None:
            return "admin" if user.is_admin else "consultant"
    return None


# A bounce or complaint suppresses the address for good: only the mail provider or an admin may report one.
SUPPRESSING_EVENTS = frozenset({"bounce", "complaint"})


@bp.post("/api/leads/<lead_id>/events")
def lead_event(lead_id: str) -> Response:
    """Inbound email events (reply, bounce, complaint) from a mail provider's webhook or a mail-parsing script.

    Authenticated with X-CRM-Signature (CRM_WEBHOOK_SECRET) or a bearer API token.
    """
    body = request.get_data(cache=True)
    payload = request.get_json(silent=True)
    for attempt in range(RETRIES):
        try:
            with database().transaction() as session:
                caller = _caller(session, body)
                if caller is None:
                    return json_error(401, {"authorization": [
                        "Sign the body (X-CRM-Signature) or send Authorization: Bearer <API token>."]})
                if not isinstance(payload, dict):
                    return json_error(400, {"body": ["Send a JSON object."]})
                if payload.get("type") in SUPPRESSING_EVENTS and caller == "consultant":
                    return json_error(403, {"type": ["Only the mail provider's signed webhook or an admin "
                                                     "may report bounces and complaints."]})
                result = handle_event(session, lead_id, payload, utcnow(), client_ip())
            return jsonify(result.as_json())
        except EventError as exc:
            return json_error(exc.status, exc.errors)
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")
