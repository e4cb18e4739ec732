"""Migration 0002 computes the search columns of the leads stored before it with the new rules, so that
"obrien" finds an O'Brien who wrote before the upgrade as it finds one who writes after (and an
employer's company is searchable); on SQLite and PostgreSQL, over more rows than one batch. Failed
before the migration (the old rows kept "o'brien" and had no company key)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, insert, text

from crm import migrate
from crm.db import Database
from crm.workspace import accounts, queue
from tests import services

ROWS = 2_100  # more than the migration's batch of 2,000


def _lead(n: int, **values: Any) -> dict[str, Any]:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    row = {"id": f"00000000-0000-7000-8000-{n:012d}", "email": f"lead{n}@example.org",
           "email_key": f"lead{n}@example.org",
           "first_name": "Jean-Pierre", "last_name": f"Dubois-{n}", "citizenships": [], "unknown_countries": [],
           "preferred_language": "fr", "facts": {}, "status": "classified", "status_changed_at": now, "score": 50,
           "first_inquiry_at": now, "last_inquiry_at": now, "created_at": now, "updated_at": now,
           "reply_token": f"{n:032d}", "notes_count": 0, "lead_type": "worker", "anonymised_at": None}
    row.update(values)
    # As the intake stored them before: accents and case folded, punctuation kept, the email at the end.
    if "search_text" not in row:
        row["search_text"] = f"{row['first_name']} {row['last_name']} {row['email_key']}".lower()
    if "last_name_key" not in row:
        row["last_name_key"] = row["last_name"].lower()
    return row


def _check(url: str) -> None:
    migrate.upgrade(url, "0001")
    engine = create_engine(url)
    leads = Table("leads", MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(insert(leads), [
            _lead(0, first_name="Siobhán", last_name="O'Brien", search_text="siobhan o'brien lead0@example.org",
                  last_name_key="o'brien"),
            _lead(1, first_name="Robert", last_name="Hale", lead_type="employer",
                  facts={"employer_name": "Northwind Logistics"}),
            _lead(2, first_name="erased", last_name=None, search_text="", last_name_key=None, status="lost",
                  anonymised_at=datetime(2026, 11, 21, tzinfo=UTC)),
            *(_lead(n) for n in range(3, ROWS)),
        ])
    engine.dispose()

    migrate.upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(text(
            "SELECT id, search_text, last_name_key, company_key FROM leads"))}
    engine.dispose()
    assert (rows[_lead(0)["id"]].search_text, rows[_lead(0)["id"]].last_name_key) == \
        ("siobhan obrien siobhan o brien lead0@example.org", "obrien")
    assert rows[_lead(1)["id"]].company_key == "northwind logistics"
    assert (rows[_lead(2)["id"]].search_text, rows[_lead(2)["id"]].company_key) == ("", None)
    last = rows[_lead(ROWS - 1)["id"]]
    assert (last.search_text, last.last_name_key) == \
        (f"jean pierre dubois {ROWS - 1} lead{ROWS - 1}@example.org", f"dubois {ROWS - 1}")
    assert sum(row.search_text.startswith("jean pierre dubois") for row in rows.values()) == ROWS - 3

    db = Database(url)
    try:
        with db.transaction() as session:
            user = accounts.create_user(session, "ana@firm.example", "consultant", "correct horse battery")
            found = {q: [row.lead.id for row in
                         queue.queue_page(session, user, queue.QueueFilter(scope="all", q=q)).rows]
                     for q in ("obrien", "northwind", "dubois 2042 jean")}
        assert found == {"obrien": [_lead(0)["id"]], "northwind": [_lead(1)["id"]],
                         "dubois 2042 jean": [_lead(2042)["id"]]}
    finally:
        db.dispose()


def test_old_leads_are_found_with_the_new_rules_on_sqlite(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'old.sqlite3'}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with services.scratch_postgres_database("crm_test_search_migration") as url:
        yield url


@pytest.mark.postgres
def test_old_leads_are_found_with_the_new_rules_on_postgres(postgres_url: str) -> None:
    _check(postgres_url)
