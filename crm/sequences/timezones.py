"""The lead's local time zone (for send windows): country of residence, else citizenship, else Toronto."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DATA_FILE = Path(__file__).parent / "data" / "timezones.yaml"
DEFAULT_ZONE = "America/Toronto"
# Later steps go out between these local times; the answer to the inquiry (step 0) goes at once.
WINDOW_START = time(9, 0)
WINDOW_END = time(18, 0)


@cache
def _zones() -> dict[str, str]:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return {str(code).upper(): str(zone) for code, zone in data.items()}


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_for(residence: str | None, citizenships: list[str] | None = None) -> ZoneInfo:
    for code in [residence, *(citizenships or [])]:
        name = _zones().get((code or "").upper())
        if name:
            try:
                return _zone(name)
            except ZoneInfoNotFoundError:
                continue
    return _zone(DEFAULT_ZONE)


def zone_citizenships(lead: Any) -> list[str]:
    """The citizenships a lead's zone goes by: the form's, else those the classifier read from the
    lead's messages (Lead.message_citizenships: "je suis française" puts a lead without a residence on
    Paris time, not Toronto's). `lead` is a Lead or anything with those attributes."""
    return list(getattr(lead, "citizenships", None) or []) or list(getattr(lead, "message_citizenships", None) or [])


def lead_zone(lead: Any) -> ZoneInfo:
    """zone_for the lead's residence and citizenships (zone_citizenships)."""
    return zone_for(getattr(lead, "country_of_residence", None), zone_citizenships(lead))


def local_date(moment: datetime, residence: str | None, citizenships: list[str] | None = None) -> date:
    """The lead's own date at `moment`, in the zone its send window uses: one rule for the classifier's
    "today" (crm.classify.service) and the emails' (the age-out reminder, the aged-out stop)."""
    return moment.astimezone(zone_for(residence, citizenships)).date()


def in_window(moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return WINDOW_START <= local < WINDOW_END


def next_window(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` itself when it is daytime in `zone`, else the start of the next daytime window (UTC)."""
    if in_window(moment, zone):
        return moment
    local = moment.astimezone(zone)
    day = local.date() if local.time() < WINDOW_START else local.date() + timedelta(days=1)
    start = datetime.combine(day, WINDOW_START, tzinfo=zone)
    return start.astimezone(moment.tzinfo)
