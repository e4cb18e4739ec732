"""The queue (/leads): filters, keyset pages, counts per stream, bulk actions and CSV export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from crm.http import database, db_session
from crm.i18n import translator
from crm.models import LeadStatus, User
from crm.text import company_of
from crm.web.common import (
    back_to,
    can_act_on,
    dispatch_after_commit,
    language,
    me,
    setup_blueprint,
    stream_label,
    workspace_zone_name,
)
from crm.workspace import WorkspaceError, accounts, actions, queue

bp = Blueprint("queue", __name__)
setup_blueprint(bp)


# The queue's filters by their labels on the page (templates/web/queue.html), to name one that was ignored.
FILTER_NAMES = {"scope": "Show", "status": "Status", "stream": "Stream", "nationality": "Nationality (ISO code)",
                "language": "Language", "consultant": "Consultant", "flag": "Flag", "from": "Inquiry from",
                "to": "Inquiry to"}


# How the page says why a value was ignored (the others: "is not one of its choices").
IGNORED_KINDS = {"from": "date", "to": "date", "nationality": "country"}


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


@bp.get("/")
def home() -> Response:
    return redirect(url_for("queue.index"))  # type: ignore[return-value]


@bp.get("/leads")
def index() -> str:
    db = db_session()
    flt = queue.QueueFilter.from_args(request.args, workspace_zone_name())
    page = queue.queue_page(db, me(), flt, request.args.get("after"))
    return render_template(
        "web/queue.html", page=page, flt=flt, args=flt.as_args(),
        # The search found nothing at the start of a name or email and matched words inside names.
        matched_inside_names=page.matched_inside_names, phone_search=queue.phone_digits(flt.q or "") is not None,
        # A search that finds nothing here: where it does find leads, to say so with a link.
        wider=queue.wider_search(db, me(), flt) if not page.rows else None, company_of=company_of,
        ignored=[(FILTER_NAMES[name], value, IGNORED_KINDS.get(name, "choice")) for name, value in
                 queue.QueueFilter.ignored(request.args)],
        reasons=queue.score_reasons(db, [row.lead for row in page.rows], language()),
        consultants=accounts.active_consultants(db), statuses=[s.value for s in LeadStatus],
        # Only moves the transition table allows for at least one lead on the page: the others were
        # offered and then always refused ("0 updated, 3 skipped").
        flags=queue.FLAG_FILTERS, bulk_targets=sorted({target for row in page.rows
                                                       for target in actions.allowed_targets(row.lead.status)}),
    )


@bp.get("/leads/counts")
def counts() -> Response:
    flt = queue.QueueFilter.from_args(request.args, workspace_zone_name())
    found = queue.stream_counts(db_session(), me(), flt)
    return jsonify({"counts": found, "cap": queue.COUNT_CAP})


@bp.get("/leads/export.csv")
def export_csv() -> Response:
    flt = queue.QueueFilter.from_args(request.args, workspace_zone_name())
    user_id = me().id
    # The export streams after the view returns, so it reads through its own session, closed at the
    # end of the stream (the request's session is closed when the view returns).
    session = database().session()

    def generate() -> Iterator[str]:
        try:
            user = session.get(User, user_id)
            if user is not None:
                yield from queue.csv_lines(session, user, flt)
        finally:
            session.rollback()
            session.close()

    # UTF-8, said in the header and by the byte order mark the file starts with (queue.csv_lines).
    response = Response(generate(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="leads.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/leads/bulk")
def bulk() -> Response:
    db = db_session()
    user = me()
    lead_ids = request.form.getlist("lead_ids")
    action = request.form.get("action")
    try:
        leads = [actions.get_lead(db, lead_id) for lead_id in dict.fromkeys(lead_ids)]
        blocked = [lead.id for lead in leads if not can_act_on(user, lead)]
        if blocked:
            raise WorkspaceError("Some selected leads belong to another consultant.", status=403)
        if action == "assign":
            raw = request.form.get("assignee") or ""
            if raw != "none" and not user.is_admin and raw != str(user.id):
                raise WorkspaceError("Only an admin can assign leads to someone else.", status=403)
            user_id = int(raw) if raw.isascii() and raw.isdigit() else -1
            assignee = None if raw == "none" else actions.find_user(db, user_id)
            result = actions.bulk_assign(db, lead_ids, assignee, user)
        elif action == "status":
            result = actions.bulk_status(db, lead_ids, request.form.get("status") or "", user)
        else:
            raise WorkspaceError("Choose an action.")
        db.commit()
        dispatch_after_commit(result.jobs)
        t = translator(language())
        flash(t("{changed} updated, {skipped} skipped.", changed=len(result.changed), skipped=len(result.skipped)))
        erased = [lead_id for lead_id, why in result.skipped.items() if why == actions.ERASED]
        if erased:
            flash(t("{count} skipped: an erased lead cannot be changed.", count=len(erased)), "error")
        already = [lead_id for lead_id, why in result.skipped.items() if why == actions.ALREADY]
        if already and action == "assign":
            who = ((assignee.name or "").strip() or assignee.email) if assignee else None
            flash(t("{count} skipped: already assigned to {email}.", count=len(already), email=who) if who
                  else t("{count} skipped: already unassigned.", count=len(already)))
        if action == "status":
            refused = {lead_id: why for lead_id, why in result.skipped.items() if why != actions.ERASED}
            _explain_skipped(t, {lead.id: lead.status for lead in leads}, refused, request.form.get("status"))
    except WorkspaceError as exc:
        db.rollback()
        flash(translator(language())(exc.message), "error")
    return back_to(url_for("queue.index"))


def _explain_skipped(t: Callable[..., str], was: dict[str, str], skipped: dict[str, str], target: str | None) -> None:
    """Why leads were skipped: one line per status they were in, with the moves that status allows."""
    counts = Counter(was.get(lead_id, "") for lead_id in skipped)
    lang = language()
    for status, count in sorted(counts.items()):
        allowed = actions.allowed_targets(status)
        flash(t("{count} skipped: a “{old}” lead cannot go to “{new}” (it can go to: {allowed}).",
                count=count, old=stream_label(status, lang), new=stream_label(target or "", lang),
                allowed=", ".join(stream_label(s, lang) for s in allowed) or "—"), "error")
