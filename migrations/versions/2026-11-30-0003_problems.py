"""problems: technical problems (public, NDA, invite-only), NDA acceptances, invitations, questions

Revision ID: 89f1a96c3b22
Revises: 363c29c3a185
Create Date: 2026-11-30 00:03:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "89f1a96c3b22"
down_revision: str | Sequence[str] | None = "363c29c3a185"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("sme_org_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("desired_outcome", sa.Text(), nullable=True),
        sa.Column(
            "technical_field",
            sa.Enum(
                "electronic_information",
                "biomedicine",
                "aerospace",
                "new_materials",
                "high_tech_services",
                "new_energy",
                "resources_environment",
                "advanced_manufacturing",
                name="tech_field",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("budget_min_amount", sa.BigInteger(), nullable=False),
        sa.Column("budget_max_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column(
            "confidentiality",
            sa.Enum(
                "public",
                "nda",
                "invite_only",
                name="confidentiality_tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("nda_terms", sa.Text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_review",
                "awarded",
                "closed",
                "expired",
                name="problem_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("awarded_org_id", sa.Uuid(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "(confidentiality = 'nda') = (nda_terms IS NOT NULL)", name=op.f("ck_problems_nda_terms_iff_nda")
        ),
        sa.CheckConstraint(
            "budget_min_amount >= 0 AND budget_min_amount <= budget_max_amount", name=op.f("ck_problems_budget_range")
        ),
        sa.ForeignKeyConstraint(
            ["awarded_org_id"],
            ["organisations.id"],
            name=op.f("fk_problems_awarded_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_problems_created_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["sme_org_id"], ["organisations.id"], name=op.f("fk_problems_sme_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problems_sme_org_id"), ["sme_org_id"], unique=False)
        batch_op.create_index("ix_problems_status_deadline", ["status", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_problems_technical_field"), ["technical_field"], unique=False)

    op.create_table(
        "nda_acceptances",
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("accepted_by", sa.Uuid(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms_sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name=op.f("fk_nda_acceptances_accepted_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_nda_acceptances_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_nda_acceptances_problem_id_problems"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nda_acceptances")),
        sa.UniqueConstraint(
            "problem_id", "organisation_id", name=op.f("uq_nda_acceptances_problem_id_organisation_id")
        ),
    )
    with op.batch_alter_table("nda_acceptances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nda_acceptances_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nda_acceptances_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "problem_invitations",
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_problem_invitations_invited_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_problem_invitations_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_invitations_problem_id_problems"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_invitations")),
        sa.UniqueConstraint(
            "problem_id", "organisation_id", name=op.f("uq_problem_invitations_problem_id_organisation_id")
        ),
    )
    with op.batch_alter_table("problem_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_invitations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_invitations_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "problem_questions",
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.Column("asker_org_id", sa.Uuid(), nullable=False),
        sa.Column("asked_by", sa.Uuid(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_problem_questions_answered_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"], ["users.id"], name=op.f("fk_problem_questions_asked_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["asker_org_id"],
            ["organisations.id"],
            name=op.f("fk_problem_questions_asker_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_questions_problem_id_problems"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_questions")),
    )
    with op.batch_alter_table("problem_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_questions_problem_id"), ["problem_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("problem_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_questions_problem_id"))

    op.drop_table("problem_questions")

    with op.batch_alter_table("problem_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_invitations_problem_id"))
        batch_op.drop_index(batch_op.f("ix_problem_invitations_organisation_id"))

    op.drop_table("problem_invitations")

    with op.batch_alter_table("nda_acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nda_acceptances_problem_id"))
        batch_op.drop_index(batch_op.f("ix_nda_acceptances_organisation_id"))

    op.drop_table("nda_acceptances")

    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problems_technical_field"))
        batch_op.drop_index("ix_problems_status_deadline")
        batch_op.drop_index(batch_op.f("ix_problems_sme_org_id"))

    op.drop_table("problems")
