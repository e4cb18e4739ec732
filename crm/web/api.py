"""The JSON API for leads, with bearer tokens: GET /api/leads, GET and PATCH /api/leads/<id>.

CSRF-exempt: it never reads the session cookie, only the Authorization header.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from crm.http import db_session, json_error
from crm.models import Job, LeadStatus
from crm.web.common import can_act_on, dispatch_after_commit, me, workspace_zone_name
from crm.workspace import WorkspaceError, accounts, actions, leadview, queue

bp = Blueprint("leads_api", __name__)


@bp.before_request
def _token() -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = accounts.user_for_token(db_session(), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        db_session().rollback()
        response = json_error(401, {"Authorization": ["Send a valid API token: Authorization: Bearer <token>."]})
        response.headers["WWW-Authenticate"] = 'Bearer realm="crm"'
        return response
    db_session().commit()  # records last_used_at
    g.api_user = user
    return None


# Each address answers with a trailing slash too, as POST /api/leads/ does: many HTTP clients write a
# collection's or a resource's address that way, and serving it (rather than redirecting) keeps the
# Authorization header, which some clients drop on a redirect.
@bp.get("/api/leads/")
@bp.get("/api/leads")
def list_leads() -> Response:
    errors = _list_errors(request.args)
    if errors:
        return json_error(400, errors)
    flt = queue.QueueFilter.from_args(request.args, workspace_zone_name())
    limit = request.args.get("limit", "").strip()
    size = int(limit) if limit else queue.PAGE_SIZE  # queue_page caps it
    page = queue.queue_page(db_session(), me(), flt, request.args.get("after"), limit=size)
    return jsonify({
        "leads": [leadview.lead_summary_json(row.lead, row.assignee_email, row.overdue) for row in page.rows],
        "next": page.next_cursor,
    })


def _list_errors(args: Mapping[str, str]) -> dict[str, list[str]]:
    """Field errors for the list's parameters. The queue's page ignores a value it cannot use, which suits
    links typed by hand; a program is told instead, since the answer it would get is not the one it asked
    for (`status=contacetd` would list the open leads, a damaged `after` would restart at the first page
    and page forever). An empty value means "not given", as in the documented `?stream=&status=...`."""
    errors: dict[str, list[str]] = {}

    def value(name: str) -> str:
        return (args.get(name) or "").strip()

    def one_of(name: str, allowed: Iterable[str]) -> None:
        if value(name) and value(name) not in allowed:
            errors[name] = [f"Must be one of: {', '.join(allowed)}."]

    one_of("scope", queue.SCOPES)
    one_of("status", ["open", "any", *(status.value for status in LeadStatus), *queue.STATUS_ALIASES])
    one_of("stream", queue.STREAMS)
    one_of("flag", queue.FLAG_FILTERS)
    if value("language") and value("language").lower() not in ("en", "fr"):
        errors["language"] = ["Must be one of: en, fr."]
    nationality = value("nationality")
    if nationality and not queue.is_country_code(nationality):
        errors["nationality"] = ["Must be an ISO 3166-1 alpha-2 code, such as FR."]
    consultant = value("consultant")
    if consultant and not (consultant.isascii() and consultant.isdigit() and 0 < len(consultant) < 10):
        errors["consultant"] = ["Must be a consultant's user id (a whole number)."]
    for name in ("from", "to"):
        try:
            if value(name):
                date.fromisoformat(value(name))
        except ValueError:
            errors[name] = ["Must be a date: YYYY-MM-DD."]
    limit = value("limit")
    if limit and not (limit.isascii() and limit.isdigit() and len(limit) < 10 and int(limit) >= 1):
        errors["limit"] = [f"Must be a whole number from 1 (at most {queue.MAX_PAGE_SIZE} are returned)."]
    if value("after") and queue.decode_cursor(value("after")) is None:
        errors["after"] = ["Must be the `next` value of a previous page, unchanged."]
    return errors


@bp.get("/api/leads/<lead_id>/")
@bp.get("/api/leads/<lead_id>")
def get_lead(lead_id: str) -> Response:
    db = db_session()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        return json_error(404, {"id": ["No such lead."]})
    return jsonify(leadview.lead_json(db, lead))


@bp.patch("/api/leads/<lead_id>/")
@bp.patch("/api/leads/<lead_id>")
def patch_lead(lead_id: str) -> Response:
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict) or not body or set(body) - {"status", "assignee"}:
        return json_error(400, {"body": ["Send a JSON object with \"status\" and/or \"assignee\" "
                                         "(an email address, or null for the unassigned pool)."]})
    db = db_session()
    user = me()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        return json_error(404, {"id": ["No such lead."]})
    jobs: list[Job] = []
    try:
        actions.require_not_erased(lead)
        if not can_act_on(user, lead):
            raise WorkspaceError("This lead belongs to another consultant.", status=403, field="id")
        if "status" in body:
            if not isinstance(body["status"], str):
                raise WorkspaceError("status must be a string.", status=400, field="status")
            if body["status"] not in {status.value for status in LeadStatus}:
                raise WorkspaceError(f"status must be one of: {', '.join(status.value for status in LeadStatus)}.",
                                     status=400, field="status")
        if "assignee" in body:
            email = body["assignee"]
            # "" is refused rather than read as null: unassigning a lead should be asked for.
            if email is not None and not (isinstance(email, str) and email.strip()):
                raise WorkspaceError("assignee must be an email address or null.", status=400, field="assignee")
            target = accounts.user_by_email(db, email) if email else None
            if email and (target is None or not target.active):
                raise WorkspaceError("No such active consultant.", field="assignee")
            if not user.is_admin and target is not None and target.id != user.id:
                raise WorkspaceError("Only an admin can assign a lead to someone else.", status=403, field="assignee")
            actions.assign(db, lead, target, user)
        # The status the lead already has is no change (and no 409): a retried request answers the same.
        if "status" in body and body["status"] != lead.status:
            job = actions.change_status(db, lead, body["status"], user)
            jobs = [job] if job else []
        db.commit()
    except WorkspaceError as exc:
        db.rollback()
        return json_error(exc.status, {exc.field: [exc.message]})
    except IntegrityError:
        db.rollback()
        return json_error(409, {"request": ["The lead changed at the same time; try again."]})
    dispatch_after_commit(jobs)
    return jsonify(leadview.lead_json(db, lead))
