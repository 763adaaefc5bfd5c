"""contracts: contracts and their parties, milestones, versions and signatures, licences, amounts
owed, events, centre policies

Revision ID: fdc5275d0c70
Revises: 70ba484bde58
Create Date: 2026-11-30 00:07:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fdc5275d0c70"
down_revision: str | Sequence[str] | None = "70ba484bde58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contracts",
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
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "signing",
                "active",
                "completed",
                "terminated",
                name="contract_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("client_org_id", sa.Uuid(), nullable=False),
        sa.Column("value_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "proposal",
                "service_request",
                "pilot_result",
                "direct",
                name="contract_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("service_request_id", sa.Uuid(), nullable=True),
        sa.Column("pilot_result_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("technology_amount", sa.BigInteger(), nullable=True),
        sa.Column("registration_number", sa.String(length=64), nullable=True),
        sa.Column("registration_date", sa.Date(), nullable=True),
        sa.Column("registration_registry", sa.String(length=200), nullable=True),
        sa.Column("vat_exempt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("confidentiality_months", sa.Integer(), nullable=True),
        sa.Column("ip_terms", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("effective_version", sa.Integer(), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "source <> 'pilot_result' OR pilot_result_id IS NOT NULL", name=op.f("ck_contracts_result_source_has_id")
        ),
        sa.CheckConstraint(
            "source <> 'proposal' OR proposal_id IS NOT NULL", name=op.f("ck_contracts_proposal_source_has_id")
        ),
        sa.CheckConstraint(
            "source <> 'service_request' OR service_request_id IS NOT NULL",
            name=op.f("ck_contracts_request_source_has_id"),
        ),
        sa.CheckConstraint("value_amount >= 0", name=op.f("ck_contracts_value_not_negative")),
        sa.CheckConstraint(
            "technology_amount IS NULL OR (technology_amount >= 0 AND technology_amount <= value_amount)",
            name=op.f("ck_contracts_technology_portion_within_value"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date > start_date", name=op.f("ck_contracts_end_after_start")
        ),
        sa.CheckConstraint(
            "confidentiality_months IS NULL OR confidentiality_months >= 0",
            name=op.f("ck_contracts_confidentiality_range"),
        ),
        sa.ForeignKeyConstraint(
            ["client_org_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_client_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_contracts_created_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_contracts_proposal_id_proposals"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["pilot_result_id"],
            ["pilot_results.id"],
            name=op.f("fk_contracts_pilot_result_id_pilot_results"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_contracts_service_request_id_service_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_contracts_proposal_id")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_client_org_id"), ["client_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_pilot_result_id"), ["pilot_result_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_provider_org_id"), ["provider_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_service_request_id"), ["service_request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_status"), ["status"], unique=False)

    op.create_table(
        "contract_milestones",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_offset_days", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_progress",
                "delivered",
                "accepted",
                "cancelled",
                name="milestone_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_note", sa.String(length=4000), nullable=True),
        sa.Column("delivery_attachment_ids", sa.JSON(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_contract_milestones_amount_not_negative")),
        sa.CheckConstraint(
            "due_offset_days IS NULL OR due_offset_days >= 0",
            name=op.f("ck_contract_milestones_due_offset_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_milestones_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_milestones")),
        sa.UniqueConstraint("contract_id", "seq", name=op.f("uq_contract_milestones_contract_id_seq")),
    )
    with op.batch_alter_table("contract_milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_milestones_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "centre_policies",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("team_reward_bps", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint(
            "team_reward_bps BETWEEN 0 AND 10000", name=op.f("ck_centre_policies_team_reward_bps_range")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_centre_policies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_centre_policies")),
    )
    op.create_table(
        "contract_events",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_contract_events_actor_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_events_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_events")),
    )
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_events_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "contract_licences",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("pilot_result_id", sa.Uuid(), nullable=True),
        sa.Column("licensee_org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "exclusive",
                "sole",
                "non_exclusive",
                name="licence_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("field_of_use", sa.String(length=200), nullable=False),
        sa.Column("territory", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("sublicensable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on > starts_on", name=op.f("ck_contract_licences_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_licences_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["licensee_org_id"],
            ["organisations.id"],
            name=op.f("fk_contract_licences_licensee_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pilot_result_id"],
            ["pilot_results.id"],
            name=op.f("fk_contract_licences_pilot_result_id_pilot_results"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_licences")),
    )
    with op.batch_alter_table("contract_licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_licences_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_licences_pilot_result_id"), ["pilot_result_id"], unique=False)

    op.create_table(
        "contract_parties",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "provider",
                "client",
                "co_builder",
                name="contract_party_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("signatory_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_parties_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contract_parties_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signatory_user_id"],
            ["users.id"],
            name=op.f("fk_contract_parties_signatory_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_parties")),
        sa.UniqueConstraint(
            "contract_id", "organisation_id", name=op.f("uq_contract_parties_contract_id_organisation_id")
        ),
    )
    with op.batch_alter_table("contract_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_parties_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_parties_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "contract_versions",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "signed",
                "superseded",
                name="contract_version_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_versions_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_contract_versions_created_by_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_versions")),
        sa.UniqueConstraint("contract_id", "number", name=op.f("uq_contract_versions_contract_id_number")),
    )
    with op.batch_alter_table("contract_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_versions_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "contract_amounts_owed",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("milestone_id", sa.Uuid(), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("client_org_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "income_kind",
            sa.Enum(
                "contract_rd",
                "transfer_licensing",
                "consulting",
                "testing",
                name="income_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_contract_amounts_owed_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["client_org_id"],
            ["organisations.id"],
            name=op.f("fk_contract_amounts_owed_client_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_amounts_owed_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["contract_milestones.id"],
            name=op.f("fk_contract_amounts_owed_milestone_id_contract_milestones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_contract_amounts_owed_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amounts_owed")),
        sa.UniqueConstraint("milestone_id", name=op.f("uq_contract_amounts_owed_milestone_id")),
    )
    with op.batch_alter_table("contract_amounts_owed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_amounts_owed_client_org_id"), ["client_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_amounts_owed_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "contract_signatures",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_signatures_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contract_signatures_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contract_signatures_user_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["contract_versions.id"],
            name=op.f("fk_contract_signatures_version_id_contract_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_signatures")),
        sa.UniqueConstraint(
            "version_id", "organisation_id", name=op.f("uq_contract_signatures_version_id_organisation_id")
        ),
    )
    with op.batch_alter_table("contract_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_signatures_contract_id"), ["contract_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contract_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_signatures_contract_id"))

    op.drop_table("contract_signatures")
    with op.batch_alter_table("contract_amounts_owed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_amounts_owed_contract_id"))
        batch_op.drop_index(batch_op.f("ix_contract_amounts_owed_client_org_id"))

    op.drop_table("contract_amounts_owed")
    with op.batch_alter_table("contract_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_versions_contract_id"))

    op.drop_table("contract_versions")
    with op.batch_alter_table("contract_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_parties_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_contract_parties_contract_id"))

    op.drop_table("contract_parties")
    with op.batch_alter_table("contract_licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_licences_pilot_result_id"))
        batch_op.drop_index(batch_op.f("ix_contract_licences_contract_id"))

    op.drop_table("contract_licences")
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_events_contract_id"))

    op.drop_table("contract_events")
    op.drop_table("centre_policies")
    with op.batch_alter_table("contract_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_milestones_contract_id"))

    op.drop_table("contract_milestones")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_status"))
        batch_op.drop_index(batch_op.f("ix_contracts_service_request_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_provider_org_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_pilot_result_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_client_org_id"))

    op.drop_table("contracts")
