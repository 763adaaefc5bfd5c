"""Reconciliation: imported statements (bank and Stripe) line by line, the match groups that tie
statement lines to what the ledger records, and statement balances checked against the ledger.

A line keeps the raw row it came from and a key unique per bank account and channel (the bank's
serial number, else a hash of the row), so the same or an overlapping statement adds nothing; a
file's SHA-256 is unique per bank account. Amounts are signed from the ledger's side: a bank
credit (money in) is positive, a debit of our bank account (flipped once, at import).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, enum_column, stamped_at
from models.enums import (
    AdjustmentKind,
    BalanceCheckStatus,
    LineStatus,
    MatchItemKind,
    MatchRule,
    MatchStatus,
    StatementChannel,
)


class StatementImport(IdMixin, Base):
    """One uploaded statement file (or one Stripe sync) into one of a centre's bank accounts."""

    __tablename__ = "statement_imports"
    __table_args__ = (UniqueConstraint("bank_account_id", "sha256"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    bank_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    channel: Mapped[StatementChannel] = mapped_column(enum_column(StatementChannel, "statement_channel"))
    profile: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    line_count: Mapped[int] = mapped_column(Integer)  # lines in the file
    added_count: Mapped[int] = mapped_column(Integer)  # lines not imported before
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()


class StatementLine(IdMixin, Base):
    """One transaction of a statement, as the file had it (`raw`) and as read (signed minor units)."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        UniqueConstraint("bank_account_id", "channel", "unique_key"),
        Index("ix_statement_lines_centre_status_date", "centre_id", "status", "value_date"),
        Index("ix_statement_lines_refs", "refs"),
        Index("ix_statement_lines_payout_ref", "payout_ref"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("statement_imports.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    bank_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    channel: Mapped[StatementChannel] = mapped_column(enum_column(StatementChannel, "statement_channel"))
    line_no: Mapped[int] = mapped_column(Integer)  # the row in the file it was first imported from
    unique_key: Mapped[str] = mapped_column(String(128))  # serial number, else "sha256:<hash of the row>"
    serial: Mapped[str | None] = mapped_column(String(100))  # 交易流水号 / Stripe's id
    value_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # + money in (Dr our account), - money out
    fee: Mapped[int] = mapped_column(BigInteger, default=0)  # Stripe's fee on the line, else 0
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str | None] = mapped_column(String(200))  # 对方户名
    counterparty_account: Mapped[str | None] = mapped_column(String(64))  # 对方账号
    memo: Mapped[str | None] = mapped_column(String(500))  # 摘要 / 用途
    kind: Mapped[str] = mapped_column(String(32))  # bank: credit / debit; Stripe: its type (charge, payout...)
    refs: Mapped[str | None] = mapped_column(String(200))  # settlement numbers found in the memo
    payout_ref: Mapped[str | None] = mapped_column(String(64))  # a Stripe payout id (named or the line's own)
    external_ref: Mapped[str | None] = mapped_column(String(255))  # Stripe: the charge or refund it is for
    balance_after: Mapped[int | None] = mapped_column(BigInteger)  # 余额 after the line, when given
    raw: Mapped[Any] = mapped_column(JSON)
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus, "statement_line_status"))
    created_at: Mapped[datetime] = stamped_at()


class MatchGroup(IdMixin, Base):
    """Statement lines and ledger records that account for each other; both sides sum equal once
    the adjustments (bank charges, exchange differences) are counted. Reversed, never deleted."""

    __tablename__ = "match_groups"
    __table_args__ = (Index("ix_match_groups_centre_status", "centre_id", "status"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    rule: Mapped[MatchRule] = mapped_column(enum_column(MatchRule, "match_rule"))
    status: Mapped[MatchStatus] = mapped_column(enum_column(MatchStatus, "match_status"))
    currency: Mapped[str] = mapped_column(String(3))
    statement_total: Mapped[int] = mapped_column(BigInteger)  # the lines' amounts
    book_total: Mapped[int] = mapped_column(BigInteger)  # payments, receipts and payouts
    adjustment_total: Mapped[int] = mapped_column(BigInteger)  # statement + adjustments = book
    value_date: Mapped[date] = mapped_column(Date)  # the latest line's: decides the period
    reason: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
    reversed_at: Mapped[datetime | None]
    reversed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversal_reason: Mapped[str | None] = mapped_column(String(1000))


class MatchItem(IdMixin, Base):
    """One member of a match group: a line, a receipt it recorded, a payment or payout it links,
    or an adjustment it booked (with the ledger entry, and the entry that reversed it)."""

    __tablename__ = "match_items"

    match_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("match_groups.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[MatchItemKind] = mapped_column(enum_column(MatchItemKind, "match_item_kind"))
    amount: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("statement_lines.id", ondelete="RESTRICT"), index=True)
    settlement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    payout_ref: Mapped[str | None] = mapped_column(String(64))
    adjustment_kind: Mapped[AdjustmentKind | None] = mapped_column(enum_column(AdjustmentKind, "adjustment_kind"))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
    posted: Mapped[bool] = mapped_column(default=False)  # the match wrote `entry_id` (reversed with it)
    reversal_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))


class BalanceCheck(IdMixin, Base):
    """A statement's closing balance, to agree with the ledger's bank account at the end of that day
    (M12); checked at import and again whenever the report is read or the period is closed."""

    __tablename__ = "balance_checks"
    __table_args__ = (Index("ix_balance_checks_account_date", "bank_account_id", "as_of"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    bank_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("statement_imports.id", ondelete="RESTRICT"), unique=True)
    as_of: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    statement_balance: Mapped[int] = mapped_column(BigInteger)
    ledger_balance: Mapped[int] = mapped_column(BigInteger)  # when last checked
    status: Mapped[BalanceCheckStatus] = mapped_column(enum_column(BalanceCheckStatus, "balance_check_status"))
    checked_at: Mapped[datetime] = stamped_at("update")
