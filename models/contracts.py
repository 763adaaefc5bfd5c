"""Contracts: Civil Code technology contracts between a provider (centre or institute), a client
(SME) and co-builders, with IP terms, signed versions, milestones, amounts owed and events.

`contracts` holds the terms in force (or, for a draft, being drafted); every version's full text
is a JSON snapshot in `contract_versions`, rendered deterministically into the canonical document
whose SHA-256 each party signs (`contract_signatures`, append-only).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin, enum_column, stamped_at
from models.enums import (
    BilledOn,
    ContractPartyRole,
    ContractSource,
    ContractStatus,
    ContractType,
    ContractVersionStatus,
    IncomeKind,
    LicenceKind,
    MilestoneStatus,
)
from models.organisations import Organisation


class Contract(IdMixin, TimestampMixin, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("value_amount >= 0", name="value_not_negative"),
        CheckConstraint("source <> 'proposal' OR proposal_id IS NOT NULL", name="proposal_source_has_id"),
        CheckConstraint("source <> 'service_request' OR service_request_id IS NOT NULL", name="request_source_has_id"),
        CheckConstraint("source <> 'pilot_result' OR pilot_result_id IS NOT NULL", name="result_source_has_id"),
        CheckConstraint(
            "technology_amount IS NULL OR (technology_amount >= 0 AND technology_amount <= value_amount)",
            name="technology_portion_within_value",
        ),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date > start_date", name="end_after_start"),
        CheckConstraint("confidentiality_months IS NULL OR confidentiality_months >= 0", name="confidentiality_range"),
    )

    contract_type: Mapped[ContractType] = mapped_column(enum_column(ContractType, "contract_type"))
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.draft, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(Text)
    # The principal parties, also rows of contract_parties (role provider / client).
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    client_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    value_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # 技术性收入: the part of the value that is technology (registered for the VAT exemption).
    technology_amount: Mapped[int | None] = mapped_column(BigInteger)
    # 技术合同认定登记: filled after signing by the registry; not part of the signed text.
    registration_number: Mapped[str | None] = mapped_column(String(64))
    registration_date: Mapped[date | None] = mapped_column(Date)
    registration_registry: Mapped[str | None] = mapped_column(String(200))
    vat_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    confidentiality_months: Mapped[int | None] = mapped_column(Integer)
    # The IP terms in force / being drafted (shape in services/contracts: background_ip,
    # new_ip_ownership, licences, revenue_shares, team_reward_bps, team_reward_source,
    # publication_rights); licences are also rows of contract_licences for conflict checks.
    ip_terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[ContractSource] = mapped_column(enum_column(ContractSource, "contract_source"))
    # One contract per accepted proposal: the database refuses a second.
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True)
    service_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    pilot_result_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pilot_results.id", ondelete="RESTRICT"), index=True
    )
    # The latest version (open or signed) and the latest one every party signed (NULL before).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    effective_version: Mapped[int | None] = mapped_column(Integer)
    activated_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    terminated_at: Mapped[datetime | None] = mapped_column()
    termination_reason: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    milestones: Mapped[list[ContractMilestone]] = relationship(
        lazy="raise", order_by="ContractMilestone.seq", back_populates="contract"
    )
    parties: Mapped[list[ContractParty]] = relationship(
        lazy="raise", order_by="(ContractParty.role, ContractParty.organisation_id)"
    )


class ContractParty(IdMixin, TimestampMixin, Base):
    """An organisation bound by the contract; every party's members see it."""

    __tablename__ = "contract_parties"
    __table_args__ = (UniqueConstraint("contract_id", "organisation_id"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    role: Mapped[ContractPartyRole] = mapped_column(enum_column(ContractPartyRole, "contract_party_role"))
    # Who signed the latest signed version for this party.
    signatory_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class ContractMilestone(IdMixin, TimestampMixin, Base):
    __tablename__ = "contract_milestones"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("due_offset_days IS NULL OR due_offset_days >= 0", name="due_offset_not_negative"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Days after the contract starts; the due date is fixed when the contract becomes active.
    due_offset_days: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    # When its amount becomes owed: on acceptance (the default), or as an advance when the contract
    # comes into force (deferred revenue until the milestone is accepted).
    billed_on: Mapped[BilledOn] = mapped_column(
        enum_column(BilledOn, "billed_on"), default=BilledOn.acceptance, server_default=BilledOn.acceptance.value
    )
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "milestone_status"), default=MilestoneStatus.pending
    )
    delivered_at: Mapped[datetime | None] = mapped_column()
    delivery_note: Mapped[str | None] = mapped_column(String(4000))
    delivery_attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    accepted_at: Mapped[datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(String(2000))

    contract: Mapped[Contract] = relationship(lazy="raise", back_populates="milestones")
    # What it made owed (accepted, or billed at activation): read with the milestone, written by the contracts area.
    owed: Mapped[ContractAmountOwed | None] = relationship(lazy="raise", uselist=False, viewonly=True)


class ContractVersion(IdMixin, Base):
    """One version of the contract text: the data the canonical document renders and its SHA-256."""

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[ContractVersionStatus] = mapped_column(
        enum_column(ContractVersionStatus, "contract_version_status"), default=ContractVersionStatus.open
    )
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(2000))  # why an amendment was made
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = stamped_at(server_default=func.current_timestamp())
    signed_at: Mapped[datetime | None] = mapped_column()  # when the last party signed

    signatures: Mapped[list[ContractSignature]] = relationship(lazy="raise", order_by="ContractSignature.signed_at")


class ContractSignature(IdMixin, Base):
    """A party's signature of one version: append-only."""

    __tablename__ = "contract_signatures"
    __table_args__ = (UniqueConstraint("version_id", "organisation_id"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract_versions.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    signed_at: Mapped[datetime] = mapped_column()
    document_sha256: Mapped[str] = mapped_column(String(64))


class ContractLicence(IdMixin, Base):
    """A licence grant of the terms in force (or drafted), kept as rows for the exclusivity check."""

    __tablename__ = "contract_licences"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on > starts_on", name="ends_after_start"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    pilot_result_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pilot_results.id", ondelete="RESTRICT"), index=True
    )
    licensee_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    kind: Mapped[LicenceKind] = mapped_column(enum_column(LicenceKind, "licence_kind"))
    field_of_use: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # exclusive end; NULL = until the rights lapse
    sublicensable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ContractAmountOwed(IdMixin, Base):
    """What the client owes for a milestone (accepted, or billed at activation), which the settlement
    area bills; append-only (a database trigger refuses UPDATE and DELETE)."""

    __tablename__ = "contract_amounts_owed"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    # RESTRICT: what became owed outlives nothing it refers to (the settlement and ledger point at it).
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    milestone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contract_milestones.id", ondelete="RESTRICT"), unique=True
    )
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    client_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    income_kind: Mapped[IncomeKind] = mapped_column(enum_column(IncomeKind, "income_kind"))
    owed_at: Mapped[datetime] = mapped_column()


class ContractEvent(IdMixin, Base):
    """Every change of a contract: who, when, what (append-only)."""

    __tablename__ = "contract_events"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = stamped_at(server_default=func.current_timestamp())


class CentrePolicy(TimestampMixin, Base):
    """A centre's (or institute's) rules: the research team's default reward share, and the finance
    rules its settlements and ledger follow (payment terms, VAT, which income rewards the team)."""

    __tablename__ = "centre_policies"
    __table_args__ = (
        CheckConstraint("team_reward_bps BETWEEN 0 AND 10000", name="team_reward_bps_range"),
        CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="payment_terms_days_range"),
        CheckConstraint("vat_rate_bps BETWEEN 0 AND 10000", name="vat_rate_bps_range"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # None: no rule of the centre's own (article 45's default applies where no agreement sets one).
    team_reward_bps: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))  # e.g. the internal rule it comes from
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    vat_rate_bps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Income kinds whose receipts pay the research team's reward (article 45: transfer and licensing).
    team_reward_income_kinds: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["transfer_licensing"], server_default='["transfer_licensing"]'
    )
