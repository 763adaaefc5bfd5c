"""Innovation vouchers (科技创新券): programmes a government organisation runs, vouchers issued to
SMEs, their redemptions against settlements, and the claims a centre files with the issuer.
Money moves in the ledger; a redemption is also a settlement payment (channel `voucher`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, enum_column, stamped_at
from models.enums import VoucherClaimStatus, VoucherRedemptionStatus


class VoucherProgramme(IdMixin, Base):
    """A government organisation's voucher programme: its budget, face value, validity window, the
    income kinds it covers, the share of a price it may cover and each SME's cap per calendar year."""

    __tablename__ = "voucher_programmes"
    __table_args__ = (
        CheckConstraint("budget > 0 AND face_value > 0 AND annual_cap_per_sme > 0", name="amounts_positive"),
        CheckConstraint("max_share_bps > 0 AND max_share_bps <= 10000", name="share_within_whole"),
        CheckConstraint("valid_until > valid_from", name="window_not_empty"),
        CheckConstraint("issued_amount >= 0 AND redeemed_amount >= 0", name="totals_not_negative"),
        CheckConstraint("redeemed_amount <= budget", name="redeemed_within_budget"),
    )

    issuer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[int] = mapped_column(BigInteger)  # the fiscal money set aside for redemptions
    face_value: Mapped[int] = mapped_column(BigInteger)  # of each voucher issued
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]  # half-open: [valid_from, valid_until)
    eligible_income_kinds: Mapped[list[str]] = mapped_column(JSON)
    max_share_bps: Mapped[int] = mapped_column(Integer)  # of a settlement's amount, rounded down
    annual_cap_per_sme: Mapped[int] = mapped_column(BigInteger)  # per calendar year in the issuer's zone
    issued_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # face values issued
    redeemed_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # live redemptions (not returned)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")


class Voucher(IdMixin, Base):
    """One voucher issued to an SME; its balance is the face value less its live redemptions."""

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("face_value > 0", name="face_value_positive"),
        CheckConstraint("balance >= 0 AND balance <= face_value", name="balance_within_face_value"),
        Index("ix_vouchers_sme_org_id_programme_id", "sme_org_id", "programme_id"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("voucher_programmes.id", ondelete="RESTRICT"))
    sme_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    face_value: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")


class VoucherClaim(IdMixin, Base):
    """A centre's claim to an issuer for redemptions it accepted, with their evidence."""

    __tablename__ = "voucher_claims"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("voucher_programmes.id", ondelete="RESTRICT"), index=True
    )
    issuer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[VoucherClaimStatus] = mapped_column(enum_column(VoucherClaimStatus, "voucher_claim_status"))
    bank_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(String(2000))
    # Per redemption: the settlement, its contract or booking, and the payments of the SME's own share.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(String(1000))
    paid_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_at: Mapped[datetime | None]
    payment_reference: Mapped[str | None] = mapped_column(String(100))  # the issuer's bank serial number
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")


class VoucherRedemption(IdMixin, Base):
    """A voucher's share of one settlement: a payment on the settlement (channel `voucher`, Dr voucher
    receivable / Cr receivable) until the issuer pays its claim, or it is cancelled or rejected."""

    __tablename__ = "voucher_redemptions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_voucher_redemptions_programme_sme_year", "programme_id", "sme_org_id", "year"),
    )

    voucher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("voucher_programmes.id", ondelete="RESTRICT"))
    settlement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"), index=True)
    sme_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)  # calendar year in the issuer's time zone (the annual cap)
    status: Mapped[VoucherRedemptionStatus] = mapped_column(
        enum_column(VoucherRedemptionStatus, "voucher_redemption_status")
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), unique=True)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("voucher_claims.id", ondelete="RESTRICT"), index=True)
    redeemed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[datetime | None]  # cancelled or rejected
    return_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")
