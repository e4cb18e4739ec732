"""The JSON API for leads, with bearer tokens: GET /api/leads, GET and PATCH /api/leads/<id>.

CSRF-exempt: it never reads the session cookie, only the Authorization header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from crm.http import db_session, json_error
from crm.models import Job
from crm.web.common import can_act_on, dispatch_after_commit, me
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


@bp.get("/api/leads")
def list_leads() -> Response:
    flt = queue.QueueFilter.from_args(request.args)
    limit = request.args.get("limit", "")
    size = min(int(limit), 200) if limit.isascii() and limit.isdigit() and len(limit) < 10 else queue.PAGE_SIZE
    page = queue.queue_page(db_session(), me(), flt, request.args.get("after"), limit=max(size, 1))
    return jsonify({
        "leads": [leadview.lead_summary_json(row.lead, row.assignee_email, row.overdue) for row in page.rows],
        "next": page.next_cursor,
    })


@bp.get("/api/leads/<lead_id>")
def get_lead(lead_id: str) -> Response:
    db = db_session()
    lead = db.get(leadview.Lead, lead_id)
    if lead is None:
        return json_error(404, {"id": ["No such lead."]})
    return jsonify(leadview.lead_json(db, lead))


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
        if not can_act_on(user, lead):
            raise WorkspaceError("This lead belongs to another consultant.", status=403, field="assignee")
        if "assignee" in body:
            email = body["assignee"]
            if email is not None and not isinstance(email, str):
                raise WorkspaceError("assignee must be an email address or null.", status=400, field="assignee")
            target = accounts.user_by_email(db, email) if email else None
            if email and (target is None or not target.active):
                raise WorkspaceError("No such active consultant.", field="assignee")
            if not user.is_admin and target is not None and target.id != user.id:
                raise WorkspaceError("Only an admin can assign a lead to someone else.", status=403, field="assignee")
            actions.assign(db, lead, target, user)
        if "status" in body:
            if not isinstance(body["status"], str):
                raise WorkspaceError("status must be a string.", status=400, field="status")
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
