"""proposals: a provider's offer to solve a problem or answer a service request, its revisions and
their milestones

A live proposal (submitted or accepted) is unique per organisation and problem, and per service
request; a problem accepts at most one (partial unique indexes on both databases).

Revision ID: 2b8e072ca7ec
Revises: adccbbf2cd1e
Create Date: 2026-11-30 00:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b8e072ca7ec"
down_revision: str | Sequence[str] | None = "adccbbf2cd1e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("problem_id", sa.Uuid(), nullable=True),
        sa.Column("service_request_id", sa.Uuid(), nullable=True),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "withdrawn",
                "accepted",
                "declined",
                name="proposal_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("approach", sa.Text(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column(
            "contract_type",
            sa.Enum(
                "development",
                "transfer",
                "licence",
                "consulting",
                "service",
                name="contract_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "(problem_id IS NULL) <> (service_request_id IS NULL)", name=op.f("ck_proposals_one_parent")
        ),
        sa.CheckConstraint("duration_days > 0", name=op.f("ck_proposals_duration_positive")),
        sa.CheckConstraint("price_amount > 0", name=op.f("ck_proposals_price_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_proposals_created_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_proposals_problem_id_problems"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_proposals_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_proposals_service_request_id_service_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_provider_org_id"), ["provider_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_service_request_id"), ["service_request_id"], unique=False)
        batch_op.create_index(
            "uq_proposals_live_per_request",
            ["service_request_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('submitted', 'accepted')"),
            sqlite_where=sa.text("status IN ('submitted', 'accepted')"),
        )
        batch_op.create_index(
            "uq_proposals_live_per_org",
            ["problem_id", "provider_org_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('submitted', 'accepted')"),
            sqlite_where=sa.text("status IN ('submitted', 'accepted')"),
        )
        batch_op.create_index(
            "uq_proposals_one_accepted",
            ["problem_id"],
            unique=True,
            postgresql_where=sa.text("status = 'accepted'"),
            sqlite_where=sa.text("status = 'accepted'"),
        )

    op.create_table(
        "proposal_revisions",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("approach", sa.Text(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column(
            "contract_type",
            sa.Enum(
                "development",
                "transfer",
                "licence",
                "consulting",
                "service",
                name="contract_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_proposal_revisions_created_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_revisions_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_revisions")),
        sa.UniqueConstraint("proposal_id", "revision", name=op.f("uq_proposal_revisions_proposal_id_revision")),
    )
    with op.batch_alter_table("proposal_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_revisions_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "proposal_milestones",
        sa.Column("revision_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_offset_days", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_proposal_milestones_amount_positive")),
        sa.CheckConstraint("due_offset_days > 0", name=op.f("ck_proposal_milestones_due_offset_positive")),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["proposal_revisions.id"],
            name=op.f("fk_proposal_milestones_revision_id_proposal_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_milestones")),
        sa.UniqueConstraint("revision_id", "seq", name=op.f("uq_proposal_milestones_revision_id_seq")),
    )
    with op.batch_alter_table("proposal_milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_milestones_revision_id"), ["revision_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_milestones_revision_id"))

    op.drop_table("proposal_milestones")

    with op.batch_alter_table("proposal_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_revisions_proposal_id"))

    op.drop_table("proposal_revisions")

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_proposals_one_accepted",
            postgresql_where=sa.text("status = 'accepted'"),
            sqlite_where=sa.text("status = 'accepted'"),
        )
        batch_op.drop_index(
            "uq_proposals_live_per_org",
            postgresql_where=sa.text("status IN ('submitted', 'accepted')"),
            sqlite_where=sa.text("status IN ('submitted', 'accepted')"),
        )
        batch_op.drop_index(
            "uq_proposals_live_per_request",
            postgresql_where=sa.text("status IN ('submitted', 'accepted')"),
            sqlite_where=sa.text("status IN ('submitted', 'accepted')"),
        )
        batch_op.drop_index(batch_op.f("ix_proposals_service_request_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_provider_org_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_problem_id"))

    op.drop_table("proposals")
