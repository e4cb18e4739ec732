"""Implied consent from an inquiry lasts six calendar months (CASL s. 10(10)(b)), never a day more: 183 days ran
up to two days past them (an inquiry on 2026-11-26 reached 2027-05-28). Fails without the fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm.sequences.consent import implied_consent_until


@pytest.mark.parametrize(("inquiry", "end"), [
    (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), datetime(2027, 5, 26, tzinfo=UTC)),
    (datetime(2026, 8, 31, 9, 0, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),  # no Feb 31: the month's last day
    (datetime(2027, 8, 31, 9, 0, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)),
])
def test_six_calendar_months(inquiry: datetime, end: datetime) -> None:
    assert implied_consent_until(inquiry) == end
    assert (end - inquiry).days <= 183


def test_a_naive_moment_is_utc() -> None:
    assert implied_consent_until(datetime(2026, 11, 26, 15, 0)) == datetime(2027, 5, 26, tzinfo=UTC)
