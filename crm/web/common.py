"""Shared pieces of the workspace's web layer: login, language, access rules, helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from werkzeug.wrappers import Response

from crm.http import db_session
from crm.i18n import LANGUAGES, translate, translator
from crm.models import Lead, User
from crm.workspace import WorkspaceError
from crm.workspace.queue import STREAMS

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "basic"
login_manager.login_message = None  # type: ignore[assignment]

F = TypeVar("F", bound=Callable[..., Any])



# English display names; the French ones are in crm/data/i18n/web.fr.yaml under the same keys.
LABELS_EN = {
    "iec-working-holiday": "IEC Working Holiday", "iec-young-professionals": "IEC Young Professionals",
    "iec-co-op": "IEC Co-op", "iec-recognized-organization": "IEC Recognized Organization",
    "global-talent-stream": "Global Talent Stream", "entrepreneur": "Entrepreneur",
    "intra-company-transferee": "Intra-company transferee", "francophone-mobility": "Mobilité francophone",
    "reciprocal-employment": "Reciprocal employment", "free-trade-professional": "Free-trade professional",
    "spousal-open-work-permit": "Spousal open work permit", "post-graduation-work-permit": "Post-graduation permit",
    "bridging-open-work-permit": "Bridging open work permit", "significant-benefit": "Significant benefit",
    "needs-review": "Needs review", "unclassified": "Not classified yet",
    "received": "received", "classified": "new", "contacted": "contacted",
    "consultation_booked": "consultation booked", "retained": "retained", "lost": "lost", "spam": "spam",
    "failed": "failed", "needs_info": "needs info", "age-out-soon": "age-out soon",
    "email-failed": "email failed", "free-text": "read from the message", "unconfirmed-rule": "unconfirmed rule",
    "unknown-country": "unknown country", "contradiction": "contradiction",
    "classification-failed": "classification failed", "no-permit-needed": "no permit needed",
    "permit-expires-soon": "permit expires soon",
}


def stream_label(value: str | None, lang: str) -> str:
    """The display name of a stream slug, status, flag or verdict in the interface language."""
    if not value:
        return ""
    if lang == "fr":
        french = translate(value, "fr")
        if french != value:
            return french
    # English, or a French catalogue without this key: the English label rather than the raw slug.
    return LABELS_EN.get(value, value)


class LoginUser:
    """Flask-Login's view of a User row (the row itself belongs to the request's session)."""

    def __init__(self, user: User) -> None:
        self.row = user

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.row.active)

    def get_id(self) -> str:
        return str(self.row.id)


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    user = db_session().get(User, int(user_id))
    return LoginUser(user) if user is not None and user.active else None


def init_app(app: Flask) -> None:
    if "login_manager" not in app.extensions and not hasattr(app, "login_manager"):
        login_manager.init_app(app)
    # For templates rendered outside the workspace's blueprints (error.html after a 404 or 405 that no
    # view handled): the interface language of the person asking, as the workspace pages would use it.
    app.jinja_env.globals.setdefault("ui_language", language)
    app.jinja_env.globals.setdefault("ui_translate", lambda text, **values: translate(text, language(), **values))


def me() -> User:
    """The signed-in user (routes are login-protected, so there is one)."""
    if "api_user" in g:
        return cast(User, g.api_user)
    return cast(LoginUser, current_user).row


def language() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in LANGUAGES:
        return str(session["lang"])
    if current_user and getattr(current_user, "is_authenticated", False):
        return cast(LoginUser, current_user).row.ui_language or "en"
    return request.accept_languages.best_match(LANGUAGES) or "en"


def other_language_url(lang: str) -> str:
    """This page in the other language, with its filters and other query arguments kept (a bare
    "?lang=" dropped them). A page that answered a POST has no GET of its own: the queue then."""
    other = "en" if lang == "fr" else "fr"
    rule = request.url_rule
    if request.method != "GET" or rule is None or "GET" not in (rule.methods or ()) or not request.endpoint:
        return url_for("queue.index", lang=other)
    # The query is rebuilt as it came rather than through url_for, which takes some names ("endpoint",
    # "_external", "_scheme"...) as its own options: a query such as ?endpoint=x made every page a 500.
    pairs = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.script_root}{request.path}?{urlencode([*pairs, ('lang', other)])}"


def template_context() -> dict[str, Any]:
    lang = language()
    user = cast(LoginUser, current_user).row if getattr(current_user, "is_authenticated", False) else None
    from crm.web import labels
    from crm.workspace import leadview

    return {"lang": lang, "t": translator(lang), "user": user, "streams": STREAMS,
            "label": lambda value: stream_label(value, lang), "other_language_url": other_language_url(lang),
            "kind_label": lambda kind: labels.kind_label(kind, lang),
            "intake_note": lambda note: labels.intake_note(note, lang),
            "activity_text": lambda a, names=None: labels.activity_text(a.kind, a.summary, a.data, lang, names),
            "step_label": lambda step: labels.step_label(step.template, step.content_key, lang),
            "sequence_label": lambda name: labels.sequence_label(name, lang),
            "stop_reason": lambda reason: labels.stop_reason(reason, lang),
            "consent_kind": lambda kind: labels.consent_kind(kind, lang),
            "consent_heading": lambda record: labels.consent_heading(record.kind, record.wording, lang),
            "implied_consent_end": lambda record: labels.implied_consent_end(record.kind, record.recorded_at, lang),
            "consent_source": lambda source: labels.consent_source(source, lang),
            "trigger_label": lambda trigger: labels.trigger_label(trigger, lang),
            "fact_label": lambda name: labels.fact_label(name, lang),
            "fact_value": lambda name, value: labels.fact_value(name, value, lang),
            "assignment_text": lambda reason, names=None: labels.assignment_text(reason, lang, names),
            "assignment_activity_text": lambda a, people: labels.assignment_activity_text(
                a.summary, a.data, a.user_id, a.at, people, lang),
            "score_lines": lambda score, reasons: labels.score_lines(score, reasons, lang),
            "language_name": lambda code: language_name(code, lang), "colon": colon(lang),
            # Read only where a page calls them (the queue's rows, its empty state).
            "shown_flags": lambda leads: leadview.shown_flags(db_session(), leads),
            "team_open_leads": lambda: leadview.team_open_leads(db_session(), user.id) if user else 0,
            "any_lead": lambda: leadview.any_lead(db_session()),
            "number": lambda value, digits=1: number(value, lang, digits),
            "percent": lambda value, digits=1: percent(value, lang, digits),
            "folded_start": folded_start}


# What the Inquiries card folds (a message past 700 characters shows its first 600); a note may instead be
# tall with short lines, so its lines count too.
FOLD_CHARS, FOLD_KEEP_CHARS = 700, 600
FOLD_LINES, FOLD_KEEP_LINES = 8, 6


def folded_start(text: str | None) -> str | None:
    """The start of a text too long to show whole (the rest one click away), None when it is short enough."""
    if not text:
        return None
    lines = text.split("\n")
    if len(text) <= FOLD_CHARS and len(lines) <= FOLD_LINES:
        return None
    start = "\n".join(lines[:FOLD_KEEP_LINES])
    if len(start) > FOLD_KEEP_CHARS:
        start = start[:FOLD_KEEP_CHARS - 1]
    return start.rstrip() + "\u2026"


def setup_blueprint(bp: Blueprint) -> None:
    bp.record_once(lambda state: init_app(state.app))
    bp.context_processor(template_context)
    bp.add_app_template_filter(duration, "duration")
    bp.add_app_template_filter(local_time, "when")
    bp.add_app_template_filter(local_day, "day")


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not me().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def can_act_on(user: User, lead: Lead) -> bool:
    """Consultants act on their own and unassigned leads; a colleague's lead is read-only to them."""
    return user.is_admin or lead.assignee_id in (None, user.id)


def require_act_on(user: User, lead: Lead) -> None:
    if not can_act_on(user, lead):
        raise WorkspaceError("This lead belongs to another consultant.", status=403, field="assignee")


def back_to(default: str) -> Response:
    """Redirect to a same-site `next` URL (never an external one) or to the default."""
    target = request.form.get("next") or request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = default
    return redirect(target)


def dispatch_after_commit(jobs: list[Any]) -> None:
    if jobs:
        current_app.extensions["crm.dispatcher"].dispatch(jobs)


def lead_url(lead_id: str) -> str:
    return url_for("lead.show", lead_id=lead_id)


def duration(value: timedelta, lang: str | None = None) -> str:
    """A waiting time as "3 d 4 h" ("3 j 4 h" in French), "5 h 12 min" or "8 min"."""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} {'j' if (lang or language()) == 'fr' else 'd'} {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def number(value: float, lang: str, digits: int = 1) -> str:
    """A decimal number as the language writes it: 12.5 in English, 12,5 in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def colon(lang: str) -> str:
    """The colon after a label: French puts a no-break space before it ("Volet principal :"), so that
    the colon never starts a line; English none."""
    return "\u00a0:" if lang == "fr" else ":"


# A lead's language (its preferred_language, a consultant's coverage), named in the interface language.
LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def language_name(code: str | None, lang: str) -> str:
    """ "French" for "fr" ("français" in the French interface); an unknown code as stored. The French
    names are the form's (apply.fr.yaml: one translation per text across the catalogues), capitalised
    there as a choice in a list; French writes a language's name in lower case in a sentence or a value."""
    if not code:
        return ""
    if code not in LANGUAGE_NAMES:
        return code
    name = translate(LANGUAGE_NAMES[code], lang)
    return name.lower() if lang == "fr" else name


def percent(value: float, lang: str, digits: int = 1) -> str:
    """A percentage: "12.5%" in English, "12,5 %" in French (a no-break space before the sign)."""
    return number(value, lang, digits) + ("\u00a0%" if lang == "fr" else "%")


def workspace_zone_name() -> str:
    return str(current_app.extensions["crm.settings"].timezone)


def workspace_zone() -> ZoneInfo:
    """The zone the workspace shows dates and times in (CRM_TIMEZONE); the database keeps UTC."""
    return ZoneInfo(workspace_zone_name())


def _local(value: datetime, zone: ZoneInfo | None) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone or workspace_zone())


def local_time(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """A stored (UTC) moment as the workspace shows it: "2026-11-26 08:44 EST" in CRM_TIMEZONE, with the
    zone's abbreviation (its UTC offset where the zone has none, "+0530")."""
    if value is None:
        return ""
    local = _local(value, zone)
    name = local.tzname() or ""
    if not name or name[:1] in "+-":
        name = local.strftime("UTC%z")
    return f"{local:%Y-%m-%d %H:%M} {name}"


def local_day(value: datetime | date | None, zone: ZoneInfo | None = None) -> str:
    """The day of a stored (UTC) moment in CRM_TIMEZONE, as YYYY-MM-DD."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    return _local(value, zone).date().isoformat()
