"""The score's reasons add up to the score, on the lead page and in the queue, in both languages."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

import pytest

from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Lead
from crm.web.labels import score_lines
from tests.web.conftest import Browser, Team

BASE = {"en": "starting points of every lead", "fr": "points de départ de tout prospect"}


def _points(lines: list[str]) -> int:
    return sum(int(re.match(r"\s*([+-]\d+)", line).group(1)) for line in lines)  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_reasons_add_up_to_the_score(db: Database, team: Team, admin: Browser, post_lead: Callable[..., str],
                                         lang: str) -> None:
    lead_id = post_lead(job_offer=True, message="I would like to work in Canada for two years.")
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow())
    with db.transaction() as session:
        score = session.get(Lead, lead_id).score
    page = admin.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    listed = re.search(r'<ul class="score-reasons">(.*?)</ul>', page, re.DOTALL)
    assert listed is not None
    lines = [html_lib.unescape(line) for line in re.findall(r"<li>(.*?)</li>", listed.group(1))]
    assert BASE[lang] in lines[0]
    assert _points(lines) == score
    queue = html_lib.unescape(admin.get(f"/leads?lang={lang}&scope=all").get_data(as_text=True))
    assert BASE[lang] in queue


def test_score_lines_keep_the_sum_at_the_bounds_and_leave_unknown_shapes_alone() -> None:
    reasons = ["+35 eligible", "+25 ages out", "+15 employer", "+10 job", "+10 time", "+5 msg", "+5 facts"]
    assert score_lines(100, reasons, "en") == ["+10 starting points of every lead", *reasons,
                                               "-15 kept within 0 to 100"]
    assert score_lines(45, ["+35 eligible"], "en") == ["+10 starting points of every lead", "+35 eligible"]
    assert score_lines(45, ["+45 eligible"], "en") == ["+45 eligible"]
    assert score_lines(45, ["age 27: two years before the IEC limit"], "en") == [
        "age 27: two years before the IEC limit"]


@pytest.mark.parametrize(("lang", "start", "cap"), [
    ("en", "+10 starting points of every lead", "kept within 0 to 100"),
    ("fr", "+10 points de départ de tout prospect", "score maintenu entre 0 et 100"),
])
def test_a_score_at_a_bound_shows_the_starting_points_and_a_cap_line_only_when_the_cap_took_points(
        lang: str, start: str, cap: str) -> None:
    from crm.classify.classifier import BASE_POINTS

    assert BASE_POINTS == 10  # the expectations below spell it out
    # 10 + 90 = 100: nothing was capped, and the 10 are the starting points (were "kept within 0 to 100")
    exact = ["+35 eligible", "+25 ages out", "+15 employer", "+10 job", "+5 facts"]
    assert score_lines(100, exact, lang) == [start, *exact]
    # 10 - 30 = -20, kept at 0: the cap added 20
    low = ["-30 spam signs"]
    assert score_lines(0, low, lang) == [start, *low, f"+20 {cap}"]
    assert _points(score_lines(0, low, lang)) == 0
