"""What a lead got and will get: sent steps from the stored Delivery, the rest rendered now."""

from __future__ import annotations

from datetime import datetime

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.config import Settings
from crm.db import utcnow
from crm.mail.message import readable
from crm.models import Delivery, Lead, ScheduledStep
from crm.sequences.content import Sender, build_context, current_classification
from crm.sequences.definitions import get_sequence
from crm.sequences.enrolment import latest_enrolment
from crm.sequences.rendering import RenderedEmail, build_message, render
from crm.sequences.unsubscribe import unsubscribe_url


def preview(session: Session, lead: Lead, step_index: int | None = None, settings: Settings | None = None,
            now: datetime | None = None) -> list[RenderedEmail]:
    """Every step of the lead's latest enrolment (or one step), in order."""
    if settings is None:
        from crm import runtime

        settings = runtime.settings()
    now = now or utcnow()
    enrolment = latest_enrolment(session, lead.id)
    if enrolment is None:
        return []
    sequence = get_sequence(enrolment.sequence)
    steps = list(session.scalars(
        select(ScheduledStep).where(ScheduledStep.enrolment_id == enrolment.id).order_by(ScheduledStep.step_index)
    ))
    deliveries = {d.content_key: d for d in session.scalars(select(Delivery).where(Delivery.lead_id == lead.id))}
    classification = current_classification(session, lead.id)
    unsub = unsubscribe_url(settings.base_url, settings.secret_key, lead.id)
    found: list[RenderedEmail] = []
    for step in steps:
        if step_index is not None and step.step_index != step_index:
            continue
        delivery = deliveries.get(step.content_key)
        if delivery is not None and delivery.status != "deferred":
            found.append(RenderedEmail(
                subject=delivery.subject, text=delivery.text_body, html=delivery.html_body,
                headers=readable(dict(delivery.headers or {})), step=step.step_index,
                status="sent" if delivery.status == "sent" else delivery.status, due_at=step.due_at,
                sent_at=delivery.sent_at, template=delivery.template, content_key=delivery.content_key,
                language=delivery.language, message_id=delivery.message_id,
                note=None if delivery.step_id == step.id else "sent earlier in another sequence"))
            continue
        if sequence is None:
            continue
        try:
            context = build_context(lead, classification, sequence, enrolment.language,
                                    Sender.from_settings(settings), unsub, now)
            subject, text, html = render(step.template, enrolment.language, context)
            message = build_message(subject=subject, text=text, html=html, mail_from=settings.mail_from,
                                    to_name=lead.full_name, to_address=lead.email, reply_token=lead.reply_token,
                                    unsubscribe_url=unsub, now=now)
            headers = readable(message.headers)
            note = step.last_error
        except TemplateError as exc:
            subject, text, html, headers = "", "", "", {}
            note = f"template error: {exc}"
        found.append(RenderedEmail(
            subject=subject, text=text, html=html, headers=headers, step=step.step_index, status=step.status,
            due_at=step.due_at, template=step.template, content_key=step.content_key,
            language=enrolment.language, note=note))
    return found
