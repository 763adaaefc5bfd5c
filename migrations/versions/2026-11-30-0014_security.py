"""Security (issue 12): membership invitations (an existing account joins an organisation only by
accepting), the kind of a login attempt (sign-in or registration, for the per-address registration
limit), and an index on login_attempts.attempted_at for pruning old rows.

Revision ID: c0ffee120014
Revises: 8b8f4b763233
Create Date: 2026-11-30 00:14:00+00:00
Generated: 2026-11-30 06:20:40.515165+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0ffee120014"
down_revision: str | Sequence[str] | None = "8b8f4b763233"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "membership_invitations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "sme_member",
                "sme_admin",
                "centre_staff",
                "centre_manager",
                "finance",
                "evaluator",
                "partner_member",
                "partner_admin",
                "issuer_officer",
                "issuer_admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "withdrawn",
                name="invitation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_membership_invitations_invited_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_membership_invitations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_invitations")),
    )
    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_invitations_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_membership_invitations_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "uq_membership_invitations_pending",
            ["organisation_id", "email"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="sign_in", nullable=False))
        batch_op.create_index("ix_login_attempts_attempted_at", ["attempted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_attempted_at")
        batch_op.drop_column("kind")

    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_membership_invitations_pending",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_membership_invitations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_membership_invitations_email"))

    op.drop_table("membership_invitations")
