"""Contracts between a provider (centre or institute) and a client (SME), and their milestones.

Issue 4 creates drafts from accepted proposals; the contracts issue adds parties beyond the two,
IP terms, signatures, versions and events on top of these tables.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin
from models.enums import ContractSource, ContractStatus, ContractType, MilestoneStatus
from models.organisations import enum_column


class Contract(IdMixin, TimestampMixin, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("value_amount >= 0", name="value_not_negative"),
        CheckConstraint("source <> 'proposal' OR proposal_id IS NOT NULL", name="proposal_source_has_id"),
        CheckConstraint("source <> 'service_request' OR service_request_id IS NOT NULL", name="request_source_has_id"),
        CheckConstraint("source <> 'pilot_result' OR pilot_result_id IS NOT NULL", name="result_source_has_id"),
    )

    contract_type: Mapped[ContractType] = mapped_column(enum_column(ContractType, "contract_type"))
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.draft, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    client_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    value_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[ContractSource] = mapped_column(enum_column(ContractSource, "contract_source"))
    # One contract per accepted proposal: the database refuses a second.
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True)
    service_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    # Foreign key added by the contracts area (pilot results).
    pilot_result_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    milestones: Mapped[list[ContractMilestone]] = relationship(
        lazy="raise", order_by="ContractMilestone.seq", back_populates="contract"
    )


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
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "milestone_status"), default=MilestoneStatus.pending
    )

    contract: Mapped[Contract] = relationship(lazy="raise", back_populates="milestones")
