"""Each centre's double-entry market-service revenue ledger: accounts, journal entries, postings,
accounting periods and the bank accounts money arrives in.

The database keeps the promises (docs/ledger.md): an entry's postings are written first and its
header last; the header's insert trigger refuses an entry whose postings do not balance per
currency (at least two, none zero) or whose period is closed; a posting's trigger refuses one for
an entry already written, or in another currency or centre than its account; and no entry or
posting is ever updated or deleted (corrections are reversals). The triggers live in the
migration beside these tables, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, enum_column, stamped_at
from models.enums import AccountPurpose, AccountType, EntrySource, IncomeKind, PeriodStatus


class BankAccount(IdMixin, Base):
    """A centre's account at a bank, into which SMEs pay by transfer (its own ledger account)."""

    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("centre_id", "account_number"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # e.g. 基本存款账户
    bank_name: Mapped[str] = mapped_column(String(200))  # e.g. 中国工商银行苏州工业园区支行
    account_number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()


class LedgerAccount(IdMixin, Base):
    """One account of a centre's chart, in one currency. `key` names it within the centre and
    currency (`receivable`, `income:contract_rd`, `bank:<id>`, `co_builder_payable:<org id>`)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("centre_id", "currency", "key"),
        Index("ix_ledger_accounts_centre_purpose", "centre_id", "purpose"),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    key: Mapped[str] = mapped_column(String(80))
    type: Mapped[AccountType] = mapped_column(enum_column(AccountType, "account_type"))
    purpose: Mapped[AccountPurpose] = mapped_column(enum_column(AccountPurpose, "account_purpose", check=False))
    income_kind: Mapped[IncomeKind | None] = mapped_column(enum_column(IncomeKind, "income_kind"))
    # The co-builder a payable is owed to, or the voucher issuer a receivable is due from.
    counterparty_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    bank_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bank_accounts.id", ondelete="RESTRICT"), unique=True
    )
    code: Mapped[str] = mapped_column(String(20))  # the chart's number, e.g. 1122 应收账款
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_at()


class JournalEntry(IdMixin, Base):
    """A balanced set of postings, immutable once written; `(source, source_ref)` is unique, so an
    entry is recorded once per source document (a settlement, a payment, an external record)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        Index("ix_ledger_entries_centre_booked", "centre_id", "booked_at", "id"),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    booked_at: Mapped[datetime]  # when it happened (value date for receipts); decides the period
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM of booked_at in the centre's time zone
    description: Mapped[str] = mapped_column(String(500))
    source: Mapped[EntrySource] = mapped_column(enum_column(EntrySource, "entry_source", check=False))
    source_ref: Mapped[str] = mapped_column(String(255))  # the source document's id (ours or external)
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()

    postings: Mapped[list[Posting]] = relationship(lazy="raise", order_by="Posting.line")


class Posting(IdMixin, Base):
    """One line of an entry: a signed amount (debit positive, credit negative) on one account."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        UniqueConstraint("entry_id", "line"),
        # Balances as of a time read (account, booked_at) ranges and nothing else.
        Index("ix_ledger_postings_account_booked", "account_id", "booked_at", "amount"),
    )

    # Deferred: the postings are written before their entry's header (whose trigger checks them).
    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT", deferrable=True, initially="DEFERRED")
    )
    line: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    booked_at: Mapped[datetime]  # the entry's, copied for balance queries
    # The centre's institute the money belongs to (None: the centre's headquarters).
    institute_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    memo: Mapped[str | None] = mapped_column(String(200))


class LedgerPeriod(Base):
    """A calendar month of a centre's ledger (in the centre's time zone); closed months are locked."""

    __tablename__ = "ledger_periods"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[PeriodStatus] = mapped_column(enum_column(PeriodStatus, "period_status"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LedgerPeriodEvent(IdMixin, Base):
    """Each close and reopen of a period: who, when, why (append-only)."""

    __tablename__ = "ledger_period_events"
    __table_args__ = (Index("ix_ledger_period_events_centre_period", "centre_id", "period"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(7))
    action: Mapped[PeriodStatus] = mapped_column(enum_column(PeriodStatus, "period_status"))  # closed / open
    reason: Mapped[str | None] = mapped_column(String(1000))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
