"""The workspace shows dates and times in CRM_TIMEZONE (default America/Toronto), with the zone's
abbreviation; the database keeps UTC, and the CSV export says its times are UTC."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crm.config import ConfigError, Settings
from crm.db import Database
from crm.models import Lead
from crm.web.common import local_day, local_time
from tests.web.conftest import Browser, Team, classify, enrol

NOV_26 = datetime(2026, 11, 26, 13, 44, tzinfo=UTC)  # 08:44 in Toronto (EST)


def test_the_setting_defaults_to_toronto_and_refuses_a_zone_that_does_not_exist() -> None:
    assert Settings.from_env({"CRM_ENV": "test"}).timezone == "America/Toronto"
    assert Settings.from_env({"CRM_ENV": "test", "CRM_TIMEZONE": "America/Vancouver"}).timezone == "America/Vancouver"
    for bogus in ("Mars/Olympus", "EST5EDT/", "../etc/passwd"):
        with pytest.raises(ConfigError, match="CRM_TIMEZONE"):
            Settings.from_env({"CRM_ENV": "test", "CRM_TIMEZONE": bogus})


def test_the_helper_shows_the_local_time_with_the_zone_abbreviation() -> None:
    toronto = ZoneInfo("America/Toronto")
    assert local_time(NOV_26, toronto) == "2026-11-26 08:44 EST"
    assert local_time(datetime(2026, 7, 1, 13, 44, tzinfo=UTC), toronto) == "2026-07-01 09:44 EDT"
    assert local_time(datetime(2026, 11, 27, 3, 0, tzinfo=UTC), toronto) == "2026-11-26 22:00 EST"
    assert local_day(datetime(2026, 11, 27, 3, 0, tzinfo=UTC), toronto) == "2026-11-26"
    assert local_time(NOV_26, ZoneInfo("UTC")) == "2026-11-26 13:44 UTC"
    assert local_time(None) == ""


def test_the_lead_page_shows_every_time_in_the_workspace_zone(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(consent_marketing=True, consent_text="Yes")
    classify(db, lead_id)
    enrol(db, lead_id)
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        lead.first_inquiry_at = NOV_26
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "2026-11-26 08:44 EST" in html
    assert "13:44" not in html and " UTC<" not in html
    # Every time shown (timeline, emails, scheduled step, consent, inquiry) carries the zone's name.
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?: [A-Z]{3,4})?", html)
    assert times and all(t.endswith((" EST", " EDT")) for t in times), times


def test_the_queue_date_filter_takes_days_of_the_workspace_zone(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Late")
    classify(db, lead_id)
    with db.transaction() as session:
        session.get(Lead, lead_id).last_inquiry_at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 26 Nov 22:00
    on_26 = consultant.get("/leads?scope=all&from=2026-11-26&to=2026-11-26").get_data(as_text=True)
    on_27 = consultant.get("/leads?scope=all&from=2026-11-27&to=2026-11-27").get_data(as_text=True)
    assert "Late Murphy" in on_26 and "Late Murphy" not in on_27


def test_the_csv_export_names_its_times_utc(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    with db.transaction() as session:
        session.get(Lead, lead_id).first_inquiry_at = NOV_26
    rows = list(csv.DictReader(io.StringIO(consultant.get("/leads/export.csv?scope=all").get_data(as_text=True))))
    assert rows[0]["first_inquiry_at_utc"] == "2026-11-26T13:44:00+00:00"
    assert "first_inquiry_at" not in rows[0]
