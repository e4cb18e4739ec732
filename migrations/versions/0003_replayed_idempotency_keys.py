"""intake: Idempotency-Keys recorded on replays answered by the 24-hour check

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:40:00

A request with an Idempotency-Key that the same-payload check answers with an earlier inquiry (stored
without that key) records the key here, so that a later request under it is a replay or, with another
body, a 422, as the contract says.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crm.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replayed_keys",
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("inquiry_id", sa.String(length=36), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", crm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"],
                                name=op.f("fk_replayed_keys_inquiry_id_inquiries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_replayed_keys")),
    )
    with op.batch_alter_table("replayed_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replayed_keys_inquiry_id"), ["inquiry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("replayed_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replayed_keys_inquiry_id"))
    op.drop_table("replayed_keys")
