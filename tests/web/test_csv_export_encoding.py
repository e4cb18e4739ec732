"""The CSV export: phone numbers without an apostrophe, and a file Excel on Windows reads as UTF-8.

Every phone number was exported as '+353871234567 (the formula guard quoted any cell starting with
"+"), and Excel on Windows showed "Hélène" as "HÃ©lÃ¨ne" (no byte order mark). Each test failed
before the fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from crm.db import Database
from crm.workspace import queue
from tests.web.conftest import Browser, Team, classify


@pytest.mark.parametrize("value", ["+353871234567", "+15145551234", "+3312345"])
def test_a_strict_e164_number_is_left_as_it_is(value: str) -> None:
    assert queue._cell(value) == value


@pytest.mark.parametrize("value", [
    "+1 (514) 555-1234", "+1-5", "+0123456789", "+123456", "+1234567890123456", "+353871234567\n",
    "+353871234567+1", "+SUM(A1)", "=1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")",
])
def test_everything_else_that_starts_like_a_formula_is_still_quoted(value: str) -> None:
    assert queue._cell(value) == "'" + value


def test_the_export_is_utf8_with_a_byte_order_mark_and_plain_phone_numbers(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Hélène", last_name="Lefèvre", phone="+353 87 123 4567")
    classify(db, lead_id)
    response = consultant.get("/leads/export.csv?scope=all")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body[:3] == b"\xef\xbb\xbf" and body.count(b"\xef\xbb\xbf") == 1
    assert "Hélène".encode() in body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert next(iter(rows[0])) == "id"  # the mark is not part of the first column's name
    assert [(row["id"], row["first_name"], row["phone"]) for row in rows] == [(lead_id, "Hélène", "+353871234567")]
