"""Booking feeds: the secret calendar link of an SME's own bookings (only the token's SHA-256).

Revision ID: b0f33d160017
Revises: 4e1c7a9b2d18
Create Date: 2026-11-30 07:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0f33d160017"
down_revision: str | Sequence[str] | None = "4e1c7a9b2d18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_booking_feeds",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_organisation_booking_feeds_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_booking_feeds_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_booking_feeds")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_organisation_booking_feeds_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("organisation_booking_feeds")
