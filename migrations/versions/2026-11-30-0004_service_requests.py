"""service requests: an SME's request for a centre's service offer, with the offer's terms frozen on it

Revision ID: adccbbf2cd1e
Revises: 89f1a96c3b22
Create Date: 2026-11-30 00:04:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "adccbbf2cd1e"
down_revision: str | Sequence[str] | None = "89f1a96c3b22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_requests",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("sme_org_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "quoted",
                "accepted",
                "declined",
                "withdrawn",
                name="service_request_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("offer_title", sa.String(length=200), nullable=False),
        sa.Column(
            "service_kind",
            sa.Enum(
                "contract_rd",
                "testing",
                "consulting",
                name="service_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "price_model",
            sa.Enum(
                "fixed", "hourly", "quote", name="price_model", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("offer_price_amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "offer_price_amount IS NULL OR offer_price_amount >= 0", name=op.f("ck_service_requests_price_not_negative")
        ),
        sa.CheckConstraint("quantity IS NULL OR quantity > 0", name=op.f("ck_service_requests_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_service_requests_decided_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["service_offers.id"],
            name=op.f("fk_service_requests_offer_id_service_offers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_service_requests_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_service_requests_requested_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["sme_org_id"],
            ["organisations.id"],
            name=op.f("fk_service_requests_sme_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_requests_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index("ix_service_requests_provider_status", ["provider_org_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_requests_sme_org_id"), ["sme_org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_requests_sme_org_id"))
        batch_op.drop_index("ix_service_requests_provider_status")
        batch_op.drop_index(batch_op.f("ix_service_requests_offer_id"))

    op.drop_table("service_requests")
