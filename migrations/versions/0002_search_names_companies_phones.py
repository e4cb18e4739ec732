"""queue search: names without punctuation, the company, the phone number

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:30:00

Adds `leads.company_key` and the partial prefix indexes on it and on `phone_e164`, then computes
`search_text`, `last_name_key` and `company_key` again for every lead with the rules of `crm.text`
(apostrophes dropped, other punctuation a space: "obrien" finds O'Brien, "jean pierre" Jean-Pierre), so
that the leads stored before are found as new ones are. In batches by id (keyset), each read and written
in one round trip, so that memory stays flat on a large table; a row whose values do not change is not
written.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import crm.db
from crm.models.lead import last_name_key
from crm.text import company_key, company_of, search_text_of

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000

_LEADS = sa.table(
    "leads", sa.column("id", sa.String), sa.column("email_key", sa.String), sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("facts", crm.db.JSONType()), sa.column("lead_type", sa.String),
    sa.column("anonymised_at", sa.String), sa.column("search_text", sa.Text),
    sa.column("last_name_key", sa.String), sa.column("company_key", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company_key", sa.String(length=100), nullable=True))
    op.create_index("ix_leads_company_key", "leads", ["company_key"], unique=False,
                    postgresql_ops={"company_key": "text_pattern_ops"},
                    postgresql_where=sa.text("company_key IS NOT NULL"),
                    sqlite_where=sa.text("company_key IS NOT NULL"))
    op.create_index("ix_leads_phone_e164", "leads", ["phone_e164"], unique=False,
                    postgresql_ops={"phone_e164": "text_pattern_ops"},
                    postgresql_where=sa.text("phone_e164 IS NOT NULL"), sqlite_where=sa.text("phone_e164 IS NOT NULL"))
    recompute(op.get_bind())


def recompute(connection: sa.Connection, batch: int = BATCH) -> int:
    """Write the search columns of every lead again; returns how many rows changed."""
    leads = _LEADS.c
    read = sa.select(leads.id, leads.email_key, leads.first_name, leads.last_name, leads.facts, leads.lead_type,
                     leads.anonymised_at, leads.search_text, leads.last_name_key, leads.company_key)
    write = _LEADS.update().where(leads.id == sa.bindparam("b_id")).values(
        search_text=sa.bindparam("b_search_text"), last_name_key=sa.bindparam("b_last_name_key"),
        company_key=sa.bindparam("b_company_key"))
    after, changed = None, 0
    while True:
        query = read.order_by(leads.id).limit(batch)
        rows = connection.execute(query if after is None else query.where(leads.id > after)).all()
        if not rows:
            return changed
        updates: list[dict[str, Any]] = []
        for row in rows:
            if row.anonymised_at is not None:
                continue  # erased: nothing left to search (crm/workspace/privacy.py)
            company = company_of(row.facts, row.lead_type)
            values = {"b_search_text": search_text_of(row.first_name, row.last_name, company, row.email_key),
                      "b_last_name_key": last_name_key(row.last_name), "b_company_key": company_key(company)}
            if (values["b_search_text"], values["b_last_name_key"], values["b_company_key"]) != \
                    (row.search_text, row.last_name_key, row.company_key):
                updates.append({"b_id": row.id, **values})
        if updates:
            connection.execute(write, updates)
            changed += len(updates)
        after = rows[-1].id


def downgrade() -> None:
    # The search columns keep the new rules' values: the old code reads them (it finds fewer leads).
    op.drop_index("ix_leads_phone_e164", table_name="leads", postgresql_where=sa.text("phone_e164 IS NOT NULL"),
                  sqlite_where=sa.text("phone_e164 IS NOT NULL"))
    op.drop_index("ix_leads_company_key", table_name="leads", postgresql_where=sa.text("company_key IS NOT NULL"),
                  sqlite_where=sa.text("company_key IS NOT NULL"))
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("company_key")
