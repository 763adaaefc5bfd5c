"""The ledger on the wire: accounts, balances, entries, the trial balance, periods, bank accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import InputModel, Instant, Money, MoneyIn, OutputModel
from api.schemas.tables import Amount, Column, Table
from models.enums import AccountPurpose, AccountType, EntrySource, IncomeKind, PeriodStatus
from models.ledger import BankAccount, JournalEntry, LedgerAccount, LedgerPeriod
from services.ledger import balances, bank_accounts, books
from services.ledger import export as ledger_export
from services.money import MAX_AMOUNT

Side = Literal["debit", "credit"]


class BankAccountCreate(InputModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(examples=["基本存款账户"])
    bank_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        examples=["中国工商银行苏州工业园区支行"]
    )
    account_number: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z-]{4,40}$")] = Field(
        examples=["1102020109000012345"]
    )
    currency: str = Field(default="CNY", pattern="^[A-Z]{3}$")
    centre_id: uuid.UUID | None = Field(default=None, description="The centre (default: the caller's only one)")

    def to_input(self) -> bank_accounts.BankAccountInput:
        return bank_accounts.BankAccountInput(
            name=self.name,
            bank_name=self.bank_name,
            account_number=self.account_number,
            currency=self.currency,
            centre_id=self.centre_id,
        )


class BankAccountRead(OutputModel):
    id: uuid.UUID
    centre_id: uuid.UUID
    name: str
    bank_name: str
    account_number: str
    currency: str
    created_at: datetime

    @classmethod
    def of(cls, b: BankAccount) -> BankAccountRead:
        return cls.model_validate(b)


class AccountRead(OutputModel):
    """One account of a centre's chart, kept in one currency."""

    id: uuid.UUID
    centre_id: uuid.UUID
    code: str = Field(description="The chart's number, e.g. 1122 应收账款; 6001.05 income from instrument sharing")
    name: str
    name_en: str
    type: AccountType
    normal_balance: Side = Field(description="Assets and expenses are debit balances; liabilities and income credit")
    purpose: AccountPurpose
    currency: str
    income_kind: IncomeKind | None
    counterparty_org_id: uuid.UUID | None = Field(description="The co-builder or voucher issuer it is with")
    bank_account_id: uuid.UUID | None

    @classmethod
    def of(cls, a: LedgerAccount) -> AccountRead:
        return cls(
            id=a.id,
            centre_id=a.centre_id,
            code=a.code,
            name=a.name,
            name_en=a.name_en,
            type=a.type,
            normal_balance="debit" if a.type in balances.DEBIT_NORMAL else "credit",
            purpose=a.purpose,
            currency=a.currency,
            income_kind=a.income_kind,
            counterparty_org_id=a.counterparty_org_id,
            bank_account_id=a.bank_account_id,
        )


class BalanceRead(OutputModel):
    account: AccountRead
    as_of: datetime = Field(description="Postings booked at or before this time count")
    debits: Money
    credits: Money
    balance: Money = Field(description="On the account's normal side (may be negative)")

    @classmethod
    def of(cls, b: balances.Balance, as_of: datetime) -> BalanceRead:
        currency = b.account.currency
        return cls(
            account=AccountRead.of(b.account),
            as_of=as_of,
            debits=Money(amount=b.debits, currency=currency),
            credits=Money(amount=b.credits, currency=currency),
            balance=Money(amount=b.balance, currency=currency),
        )


class TrialBalanceLine(OutputModel):
    account_id: uuid.UUID
    code: str
    name: str
    name_en: str
    type: AccountType
    debits: Money
    credits: Money
    balance: Money = Field(description="On the account's normal side")


class CurrencyTotals(OutputModel):
    currency: str
    debits: int = Field(description="Sum of every debit in minor units; equal to credits")
    credits: int


class TrialBalanceRead(OutputModel):
    centre_id: uuid.UUID
    as_of: datetime
    totals: list[CurrencyTotals] = Field(description="Per currency: debits always equal credits")
    accounts: list[TrialBalanceLine]

    @classmethod
    def of(cls, centre_id: uuid.UUID, as_of: datetime, rows: list[balances.Balance]) -> TrialBalanceRead:
        totals: dict[str, list[int]] = {}
        lines = []
        for b in rows:
            c = b.account.currency
            t = totals.setdefault(c, [0, 0])
            t[0] += b.debits
            t[1] += b.credits
            lines.append(
                TrialBalanceLine(
                    account_id=b.account.id,
                    code=b.account.code,
                    name=b.account.name,
                    name_en=b.account.name_en,
                    type=b.account.type,
                    debits=Money(amount=b.debits, currency=c),
                    credits=Money(amount=b.credits, currency=c),
                    balance=Money(amount=b.balance, currency=c),
                )
            )
        return cls(
            centre_id=centre_id,
            as_of=as_of,
            totals=[CurrencyTotals(currency=c, debits=d, credits=k) for c, (d, k) in sorted(totals.items())],
            accounts=lines,
        )


class PostingRead(OutputModel):
    line: int
    account_id: uuid.UUID
    side: Side
    amount: Money = Field(description="Always positive; `side` says debit or credit")
    institute_id: uuid.UUID | None = Field(description="The centre's institute it belongs to (None: headquarters)")
    memo: str | None


class EntryRead(OutputModel):
    """A balanced journal entry; immutable, corrected only by a reversal."""

    id: uuid.UUID
    centre_id: uuid.UUID
    booked_at: datetime = Field(description="When it happened; decides its period")
    period: str = Field(description="YYYY-MM in the centre's time zone", examples=["2026-11"])
    description: str
    source: EntrySource
    source_ref: str = Field(description="The source document's id: a settlement, payment, entry or external record")
    reverses_entry_id: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
    postings: list[PostingRead]

    @classmethod
    def of(cls, e: JournalEntry) -> EntryRead:
        return cls(
            id=e.id,
            centre_id=e.centre_id,
            booked_at=e.booked_at,
            period=e.period,
            description=e.description,
            source=e.source,
            source_ref=e.source_ref,
            reverses_entry_id=e.reverses_entry_id,
            created_by=e.created_by,
            created_at=e.created_at,
            postings=[
                PostingRead(
                    line=p.line,
                    account_id=p.account_id,
                    side="debit" if p.amount > 0 else "credit",
                    amount=Money(amount=abs(p.amount), currency=p.currency),
                    institute_id=p.institute_id,
                    memo=p.memo,
                )
                for p in e.postings
            ],
        )


class PostingIn(InputModel):
    account_id: uuid.UUID
    side: Side
    amount: MoneyIn = Field(description="Positive, in the account's currency")
    memo: Annotated[str, StringConstraints(max_length=200)] | None = None
    institute_id: uuid.UUID | None = Field(default=None, description="One of the centre's institutes")

    @model_validator(mode="after")
    def _positive(self) -> PostingIn:
        if not 0 < self.amount.amount <= MAX_AMOUNT:
            raise ValueError(f"amount must be between 1 and {MAX_AMOUNT} minor units")
        return self


class EntryCreate(InputModel):
    """A manual entry (finance): grants, fiscal post-subsidies, payouts to co-builders and the
    research team, corrections. Debits must equal credits in each currency."""

    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    booked_at: Instant | None = Field(default=None, description="Default: now; never in the future")
    centre_id: uuid.UUID | None = Field(default=None, description="The centre (default: the caller's only one)")
    postings: list[PostingIn] = Field(min_length=2, max_length=200)

    def to_input(self) -> books.ManualEntryInput:
        return books.ManualEntryInput(
            description=self.description,
            booked_at=self.booked_at,
            centre_id=self.centre_id,
            lines=[
                books.ManualLine(
                    account_id=p.account_id,
                    amount=p.amount.amount if p.side == "debit" else -p.amount.amount,
                    currency=p.amount.currency,
                    memo=p.memo,
                    institute_id=p.institute_id,
                )
                for p in self.postings
            ],
        )


class LedgerReasonIn(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class PeriodRead(OutputModel):
    centre_id: uuid.UUID
    period: str
    status: PeriodStatus
    closed_at: datetime | None
    closed_by: uuid.UUID | None
    warnings: list[str] = Field(
        default_factory=list, description="What closing found (statement lines of the month still unmatched)"
    )

    @classmethod
    def of(cls, p: LedgerPeriod, warnings: list[str] | None = None) -> PeriodRead:
        return cls.model_validate(p).model_copy(update={"warnings": warnings or []})


class ExportFormat(StrEnum):
    csv = "csv"
    beancount = "beancount"
    hledger = "hledger"


def export_table(export: ledger_export.LedgerExport) -> Table:
    """One row per posting (and, with `from`, one per opening balance), amounts in major units."""
    table = Table(
        "ledger",
        [
            Column("Date", "日期"),
            Column("Booked at", "记账时间"),
            Column("Entry", "分录编号"),
            Column("Period", "期间"),
            Column("Source", "来源"),
            Column("Source ref", "来源单据"),
            Column("Description", "摘要"),
            Column("Account code", "科目编码"),
            Column("Account", "科目名称"),
            Column("Account (English)", "科目英文名"),
            Column("File account", "导出科目"),
            Column("Currency", "币种"),
            Column("Debit", "借方金额"),
            Column("Credit", "贷方金额"),
            Column("Institute", "研究院"),
            Column("Memo", "备注"),
        ],
    )
    by_id = {a.account.id: a for a in export.accounts}
    for a in export.accounts:
        if a.opening:
            c = a.account.currency
            table.rows.append(
                [
                    export.opened_on,
                    None,
                    None,
                    None,
                    "opening",
                    None,
                    "期初余额 / opening balance",
                    a.account.code,
                    a.account.name,
                    a.account.name_en,
                    a.name,
                    c,
                    Amount(max(a.opening, 0), c),
                    Amount(max(-a.opening, 0), c),
                    None,
                    None,
                ]
            )
    for e in export.entries:
        local = export.local(e.booked_at)
        for p in e.postings:
            a = by_id[p.account_id]
            table.rows.append(
                [
                    local.date(),
                    local.isoformat(),
                    str(e.id),
                    e.period,
                    str(e.source),
                    e.source_ref,
                    e.description,
                    a.account.code,
                    a.account.name,
                    a.account.name_en,
                    a.name,
                    p.currency,
                    Amount(max(p.amount, 0), p.currency),
                    Amount(max(-p.amount, 0), p.currency),
                    str(p.institute_id) if p.institute_id else None,
                    p.memo,
                ]
            )
    return table
