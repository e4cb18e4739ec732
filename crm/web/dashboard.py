"""The manager's dashboard (/dashboard): charts rendered on the server as SVG."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from crm.countries import country_name
from crm.db import utcnow
from crm.http import db_session
from crm.i18n import translator
from crm.web import charts
from crm.web.common import colon, language, local_time, setup_blueprint, stream_label, workspace_zone
from crm.workspace import stats

bp = Blueprint("dashboard", __name__)
setup_blueprint(bp)

# The figures are aggregates over weeks of leads: computing them once every few minutes per process is
# plenty for a manager's page, and keeps a busy team from re-scanning a large table on every visit.
CACHE_SECONDS = 300
# Per process, so an action cannot clear every copy (other web processes, the workers): the page says
# instead when its figures were computed, so that a funnel a few minutes old is not read as wrong.
_cache: dict[str, tuple[float, stats.Dashboard, datetime]] = {}
_cache_lock = threading.Lock()
PHONE_WEEKS = 6  # the weeks a phone's chart shows (six columns with readable dates in 360 units)


def _figures() -> tuple[stats.Dashboard, datetime]:
    """The figures and the moment (UTC) they were computed."""
    key = str(current_app.extensions["crm.db"].url)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1], cached[2]
    computed_at = utcnow()
    data = stats.dashboard(db_session(), zone=workspace_zone())
    with _cache_lock:
        _cache[key] = (time.monotonic(), data, computed_at)
    return data, computed_at


@bp.get("/dashboard")
@login_required
def index() -> str:
    lang = language()
    t = translator(lang)
    data, computed_at = _figures()
    # The clock time alone ("04:31 EST"): the figures are at most a few minutes old.
    as_of = local_time(computed_at).split(" ", 1)[1]
    week_labels = [week.strftime("%d %b") if lang == "en" else week.strftime("%d/%m") for week in data.weeks]
    nationalities = [(country_name(code, lang) or code, count) for code, count in data.nationalities]
    names = {slug: stream_label(slug, lang) for slug in data.per_week}
    funnel = [(t(label.replace("_", " ").capitalize()), count) for label, count in data.funnel]
    return render_template(
        "web/dashboard.html", data=data,
        as_of=t("Figures as of {time}, refreshed every {minutes} minutes.", time=as_of,
                minutes=CACHE_SECONDS // 60),
        weekly_chart=charts.stacked_columns(t("New leads per week by stream"), week_labels, data.per_week, names,
                                            colon(lang), css="wide-only"),
        # A phone gets its own chart of the last weeks, drawn narrow: the wide one, scaled down to a
        # phone, had 4-pixel labels. CSS shows one of the two.
        weekly_phone_chart=charts.stacked_columns(
            t("New leads per week by stream"), week_labels[-PHONE_WEEKS:],
            {key: values[-PHONE_WEEKS:] for key, values in data.per_week.items()}, names, colon(lang),
            width=charts.PHONE, css="phone-only", order=charts.series_order(data.per_week)),
        weekly_legend=charts.legend(data.per_week, names),
        # The bar charts too: drawn for a half card (480 units), a phone showed their labels 8 pixels high.
        nationality_chart=charts.horizontal_bars(t("Top nationalities"), nationalities, "series-1", colon(lang),
                                                 shown="wide-only"),
        nationality_phone_chart=charts.horizontal_bars(t("Top nationalities"), nationalities, "series-1",
                                                       colon(lang), width=charts.PHONE, shown="phone-only"),
        funnel_chart=charts.horizontal_bars(t("Funnel from received to retained"), funnel, "series-2", colon(lang),
                                            shown="wide-only"),
        funnel_phone_chart=charts.horizontal_bars(t("Funnel from received to retained"), funnel, "series-2",
                                                  colon(lang), width=charts.PHONE, shown="phone-only"),
    )
