"""The lead page (/leads/<id>) and its actions; admin-only PIPEDA export and erase."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from crm.db import utcnow
from crm.http import db_session
from crm.i18n import translator
from crm.models import Delivery, Inquiry
from crm.web.common import (
    admin_required,
    can_act_on,
    dispatch_after_commit,
    language,
    lead_url,
    me,
    setup_blueprint,
    stream_label,
)
from crm.workspace import WorkspaceError, accounts, actions, leadview, privacy

bp = Blueprint("lead", __name__)
setup_blueprint(bp)

# Rendered email HTML is shown in a sandboxed frame: no scripts, no forms, no network, same site only.
EMAIL_FRAME_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; "
                   "sandbox")


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


def _flash_error(exc: WorkspaceError) -> None:
    flash(translator(language())(exc.message), "error")


@bp.get("/leads/<lead_id>")
def show(lead_id: str) -> str:
    db = db_session()
    try:
        lead = actions.get_lead(db, lead_id)
    except WorkspaceError:
        abort(404)
    user = me()
    data = leadview.lead_page(db, lead)
    lang = language()
    signals = leadview.latest_signals(db, lead.id)
    card = leadview.contact_card(lead, leadview.message_signals(db, lead.id, signals), lang, utcnow().date())
    current = data.classification
    return render_template(
        "web/lead.html", data=data, lead=lead, card=card, can_act=can_act_on(user, lead),
        # The classification's texts in the interface's language (stored in the lead's, for the emails).
        candidates=leadview.candidates_in(current.candidates if current else None, lang),
        score_reasons=leadview.score_reasons_in(current.score_reasons, current.candidates, lang) if current else [],
        targets=actions.allowed_targets(lead.status), consultants=accounts.active_consultants(db),
        raw=leadview.raw_body_text,
        # What the "read from the message" flag rests on: the words, so that a consultant can check them.
        message_quotes=leadview.message_quotes(signals) if lead.anonymised_at is None else [],
        previews=_previews(db, lead) if request.args.get("preview") and lead.anonymised_at is None else None,
    )


def _previews(db, lead):  # type: ignore[no-untyped-def]
    from crm import sequences

    step = request.args.get("step")
    return sequences.preview(db, lead, int(step) if step and step.isascii() and step.isdigit() else None,
                             settings=current_app.extensions["crm.settings"])


@bp.get("/leads/<lead_id>/preview/<int:step>.html")
def preview_html(lead_id: str, step: int) -> Response:
    """One step's email HTML exactly as it will be (or was) sent, for the sandboxed preview frame."""
    from crm import sequences

    db = db_session()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        abort(404)
    if lead.anonymised_at is not None:
        abort(404)  # nothing will be sent to an erased lead, and its details are gone
    found = sequences.preview(db, lead, step, settings=current_app.extensions["crm.settings"])
    if not found:
        abort(404)
    return _email_frame(found[0].html)


def _email_frame(html: str) -> Response:
    response = Response(html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/leads/<lead_id>/inquiries/<inquiry_id>/raw")
def raw_inquiry(lead_id: str, inquiry_id: str) -> Response:
    """The stored body byte for byte, as plain text that a browser will not interpret."""
    inquiry = db_session().get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.lead_id != lead_id:
        abort(404)
    response = Response(bytes(inquiry.raw_body or b""), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'inline; filename="inquiry-{inquiry.id}.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/leads/<lead_id>/emails/<int:delivery_id>")
def delivery_html(lead_id: str, delivery_id: int) -> Response:
    """The HTML body that was sent, for the sandboxed preview frame."""
    delivery = db_session().get(Delivery, delivery_id)
    if delivery is None or delivery.lead_id != lead_id:
        abort(404)
    return _email_frame(delivery.html_body)


def _act(lead_id: str, action_name: str) -> Response:
    """Run one action on the lead in a transaction; say what was done, or why it was refused."""
    db = db_session()
    user = me()
    jobs = []
    t = translator(language())
    try:
        lead = actions.get_lead(db, lead_id)
        actions.require_not_erased(lead)
        if action_name not in ("note", "claim") and not can_act_on(user, lead):
            raise WorkspaceError("This lead belongs to another consultant.", status=403)
        form = request.form
        if action_name == "status":
            if not form.get("status"):  # the placeholder (a browser without form validation sends it)
                raise WorkspaceError("Choose a status.")
            running = leadview.current_enrolment(db, lead.id)
            if running is not None and running.status not in ("active", "paused"):
                running = None
            job = actions.change_status(db, lead, form["status"], user)
            jobs = [job] if job else []
            done = t("Status changed to “{status}”.", status=stream_label(lead.status, language()))
            if running is not None:
                db.flush()
                db.refresh(running)
                if running.status == "stopped":  # contacted, booked, retained, lost, spam stop the emails
                    done += " " + t("Its email sequence stopped: no more emails will be sent to this lead.")
        elif action_name == "note":
            actions.add_note(db, lead, form.get("note") or "", user)
            done = t("Note added.")
        elif action_name == "claim":
            done = t("You have taken this lead.") if actions.claim(db, lead, user) else \
                t("You already have this lead: nothing changed.")
        elif action_name == "assign":
            raw = form.get("assignee") or ""
            if not user.is_admin and raw not in ("none", str(user.id)):
                raise WorkspaceError("Only an admin can assign a lead to someone else.", status=403)
            assignee = None if raw == "none" else actions.find_user(
                db, int(raw) if raw.isascii() and raw.isdigit() else -1)
            changed = actions.assign(db, lead, assignee, user)
            # Named as the page's header names the consultant: the name, else the email.
            who = ((assignee.name or "").strip() or assignee.email) if assignee else ""
            if changed:
                done = t("Assigned to {email}.", email=who) if assignee else t("The lead is now unassigned.")
            else:
                done = t("The lead is already assigned to {email}: nothing changed.", email=who) if assignee \
                    else t("The lead is already unassigned: nothing changed.")
        elif action_name == "reclassify":
            job = actions.reclassify(db, lead, user)
            jobs = [job] if job else []
            done = t("Reclassification requested: the result shows here in a few seconds.") if job else \
                t("A reclassification is already under way.")
        elif action_name == "sequence":
            done = _sequence_action(db, lead.id, form.get("do") or "", user.id, t)
        db.commit()
    except WorkspaceError as exc:
        db.rollback()
        if exc.status == 404:
            abort(404)
        _flash_error(exc)
        return redirect(lead_url(lead_id))  # type: ignore[return-value]
    dispatch_after_commit(jobs)
    flash(done)
    return redirect(lead_url(lead_id))  # type: ignore[return-value]


def _sequence_action(db, lead_id: str, do: str, user_id: int, t) -> str:  # type: ignore[no-untyped-def]
    from crm import sequences

    reason = (request.form.get("reason") or "consultant").strip()[:64] or "consultant"
    if do == "pause":
        enrolment = sequences.pause(db, lead_id, user_id, reason)
        done = t("Sequence paused: no email is sent until it is resumed.")
    elif do == "resume":
        enrolment = sequences.resume(db, lead_id, user_id, reason)
        done = t("Sequence resumed.")
    elif do == "stop":
        enrolment = sequences.stop(db, lead_id, reason, by_user_id=user_id)
        done = t("Sequence stopped.")
    else:
        raise WorkspaceError("Unknown sequence action.")
    if enrolment is None:
        raise WorkspaceError("This lead has no sequence running.", status=409)
    return str(done)


for _name in ("status", "note", "claim", "assign", "reclassify", "sequence"):
    bp.add_url_rule(f"/leads/<lead_id>/{_name}", f"act_{_name}",
                    (lambda name: lambda lead_id: _act(lead_id, name))(_name), methods=["POST"])


@bp.get("/leads/<lead_id>/export.json")
@admin_required
def export_json(lead_id: str) -> Response:
    db = db_session()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        abort(404)
    body = json.dumps(privacy.export_person(db, lead), ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="lead-{lead.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/leads/<lead_id>/erase")
@admin_required
def erase(lead_id: str) -> Response:
    db = db_session()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        abort(404)
    t = translator(language())
    # The word of the interface's language ("EFFACER" in French), or the English one.
    if (request.form.get("confirm") or "").strip().upper() not in {"ERASE", t("ERASE")}:
        flash(t("Type {word} to confirm.", word=t("ERASE")), "error")
        return redirect(lead_url(lead_id))  # type: ignore[return-value]
    try:
        privacy.erase_person(db, lead, me())
        db.commit()
    except WorkspaceError as exc:
        db.rollback()
        _flash_error(exc)
        return redirect(lead_url(lead_id))  # type: ignore[return-value]
    flash(t("The lead's personal data was erased."))
    return redirect(url_for("lead.show", lead_id=lead_id))  # type: ignore[return-value]
