"""Settlements (what a client owes for a booking or a milestone), the payments received against
them, and the revenue allocation each receipt under a contract makes (co-builders' shares and the
research team's reward), with the rule, basis points and contract version it followed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, enum_column, stamped_at
from models.enums import IncomeKind, PaymentChannel, RefundStatus, SettlementSource, SettlementStatus


class SettlementCounter(Base):
    """The last settlement number a centre gave in a year (JS-2026-000123)."""

    __tablename__ = "settlement_counters"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Settlement(IdMixin, Base):
    """What a client owes a centre for one booking or milestone; one per source."""

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        UniqueConstraint("centre_id", "number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("vat_amount >= 0 AND vat_amount <= amount", name="vat_within_amount"),
        CheckConstraint("paid_amount >= 0 AND written_off_amount >= 0", name="settled_not_negative"),
        CheckConstraint("paid_amount + written_off_amount <= amount", name="settled_within_amount"),
        Index("ix_settlements_debtor_status", "debtor_org_id", "status"),
        Index("ix_settlements_centre_status_due", "centre_id", "status", "due_on"),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(20))  # quoted by payers on bank transfers
    source: Mapped[SettlementSource] = mapped_column(enum_column(SettlementSource, "settlement_source"))
    source_id: Mapped[uuid.UUID]  # the booking's or the milestone's id
    contract_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    debtor_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    income_kind: Mapped[IncomeKind] = mapped_column(enum_column(IncomeKind, "income_kind"))
    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[int] = mapped_column(BigInteger)  # what is owed, VAT included
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate_bps: Mapped[int] = mapped_column(Integer)  # the centre's rate when it became owed
    vat_amount: Mapped[int] = mapped_column(BigInteger)
    deferred: Mapped[bool]  # billed in advance: income is recognised when the milestone is accepted
    owed_at: Mapped[datetime]
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[SettlementStatus] = mapped_column(enum_column(SettlementStatus, "settlement_status"))
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_at: Mapped[datetime | None]
    written_off_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    write_off_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")

    payments: Mapped[list[Payment]] = relationship(lazy="raise", order_by="Payment.received_at")

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid_amount - self.written_off_amount


class Payment(IdMixin, Base):
    """Money received against a settlement (append-only; a wrong one is reversed, not deleted)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded_within_amount"),
        # A bank reference is used once per bank account: the same transfer is never recorded twice.
        UniqueConstraint("bank_account_id", "reference"),
        # A card charge (Stripe's ch_ id) is recorded once.
        UniqueConstraint("channel", "external_ref"),
    )

    settlement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    channel: Mapped[PaymentChannel] = mapped_column(enum_column(PaymentChannel, "payment_channel"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bank_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(100))  # the bank's serial number (交易流水号)
    external_ref: Mapped[str | None] = mapped_column(String(255))  # the processor's id (a Stripe charge)
    value_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime]
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversed_by_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = stamped_at()


class RevenueAllocation(IdMixin, Base):
    """How one receipt under a contract was shared: by the IP terms of the version in force when it
    was received, with the rule that decided the research team's reward."""

    __tablename__ = "revenue_allocations"

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), unique=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    base_amount: Mapped[int] = mapped_column(BigInteger)  # the receipt net of VAT
    currency: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str] = mapped_column(String(500))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = stamped_at()

    lines: Mapped[list[RevenueAllocationLine]] = relationship(lazy="raise", order_by="RevenueAllocationLine.line")


class RevenueAllocationLine(IdMixin, Base):
    """One share of a receipt: a party's (co-builder, client, or the provider's kept part) or the
    research team's reward, with the basis points of the whole it stands for."""

    __tablename__ = "revenue_allocation_lines"
    __table_args__ = (UniqueConstraint("allocation_id", "line"),)

    allocation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revenue_allocations.id", ondelete="RESTRICT"))
    line: Mapped[int] = mapped_column(Integer)
    share: Mapped[str] = mapped_column(String(20))  # party / provider / team_reward
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    bps: Mapped[int] = mapped_column(Integer)  # the party's revenue share in the contract's IP terms
    # Of that share: 10000 for a party, the team reward's bps or the rest for the provider's split.
    of_bps: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # the base split by weights bps × of_bps (largest remainder)


class Refund(IdMixin, Base):
    """Money given back against a payment (never more than it brought in); its entry reverses the
    receipt, and the payment's revenue allocation is reversed pro rata."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(enum_column(RefundStatus, "refund_status"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    # The processor's refund (Stripe's re_ id), unique: a refund made in Stripe's dashboard is recorded once.
    external_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
