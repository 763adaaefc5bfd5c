"""Reconciliation on the wire: imports, statement lines with their candidates, matches, the report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from api.schemas.common import InputModel, Instant, Money, OutputModel
from models.enums import (
    AdjustmentKind,
    BalanceCheckStatus,
    LineStatus,
    MatchItemKind,
    MatchRule,
    MatchStatus,
    StatementChannel,
)
from models.reconciliation import BalanceCheck, MatchGroup, MatchItem, StatementImport, StatementLine
from services import reconciliation
from services.reconciliation import report as recon_report

MAX_AMOUNT = 10**15
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


class BalanceCheckRead(OutputModel):
    """A statement's closing balance against the ledger's bank account at the end of that day."""

    id: uuid.UUID
    bank_account_id: uuid.UUID
    import_id: uuid.UUID
    as_of: date
    statement_balance: Money
    ledger_balance: Money = Field(description="When last checked")
    difference: Money = Field(description="Statement - ledger")
    status: BalanceCheckStatus
    checked_at: datetime

    @classmethod
    def of(cls, c: BalanceCheck) -> BalanceCheckRead:
        return cls(
            id=c.id,
            bank_account_id=c.bank_account_id,
            import_id=c.import_id,
            as_of=c.as_of,
            statement_balance=_money(c.statement_balance, c.currency),
            ledger_balance=_money(c.ledger_balance, c.currency),
            difference=_money(c.statement_balance - c.ledger_balance, c.currency),
            status=c.status,
            checked_at=c.checked_at,
        )


class ImportRead(OutputModel):
    """One imported statement: how many lines it held, how many were new, what the rules matched."""

    id: uuid.UUID
    centre_id: uuid.UUID
    bank_account_id: uuid.UUID
    channel: StatementChannel
    profile: str
    filename: str | None
    sha256: str
    lines: int = Field(description="Lines in the file")
    added: int = Field(description="Lines not imported before")
    skipped: int = Field(description="Lines already imported (the same or an overlapping statement)")
    first_date: date | None
    last_date: date | None
    balance_check: BalanceCheckRead | None = Field(description="The statement's closing balance, checked")
    matched: dict[str, int] = Field(description="Matches the automatic rules made after the import, by rule")
    created_at: datetime

    @classmethod
    def of(cls, result: reconciliation.ImportResult) -> ImportRead:
        s: StatementImport = result.statement
        return cls(
            id=s.id,
            centre_id=s.centre_id,
            bank_account_id=s.bank_account_id,
            channel=s.channel,
            profile=s.profile,
            filename=s.filename,
            sha256=s.sha256,
            lines=s.line_count,
            added=s.added_count,
            skipped=result.skipped,
            first_date=result.first_date,
            last_date=result.last_date,
            balance_check=BalanceCheckRead.of(result.balance_check.check) if result.balance_check else None,
            matched=result.matched,
            created_at=s.created_at,
        )


class StripeSyncCreate(InputModel):
    bank_account_id: uuid.UUID = Field(description="The centre's bank account Stripe pays out to")
    since: Instant | None = Field(default=None, description="Only balance transactions created since")

    def to_input(self) -> reconciliation.StripeSyncInput:
        return reconciliation.StripeSyncInput(bank_account_id=self.bank_account_id, since=self.since)


class CandidateRead(OutputModel):
    kind: str = Field(description="settlement, payment or payout")
    id: str
    label: str
    amount: int = Field(description="Minor units, in the line's currency")
    why: str


class LineRead(OutputModel):
    """A statement line as read (signed: + money in) with the raw row it came from."""

    id: uuid.UUID
    import_id: uuid.UUID
    bank_account_id: uuid.UUID
    channel: StatementChannel
    line_no: int
    unique_key: str
    serial: str | None
    value_date: date
    amount: Money = Field(description="+ money in (a debit of our account), - money out")
    fee: Money
    counterparty_name: str | None
    counterparty_account: str | None
    memo: str | None
    kind: str
    settlement_numbers: list[str]
    payout_ref: str | None
    external_ref: str | None
    raw: Any = Field(description="The row as the file had it")
    status: LineStatus
    candidates: list[CandidateRead] = Field(description="Suggested matches (unmatched lines)")

    @classmethod
    def of(cls, line: StatementLine, candidates: list[recon_report.Candidate] | None = None) -> LineRead:
        return cls(
            id=line.id,
            import_id=line.import_id,
            bank_account_id=line.bank_account_id,
            channel=line.channel,
            line_no=line.line_no,
            unique_key=line.unique_key,
            serial=line.serial,
            value_date=line.value_date,
            amount=_money(line.amount, line.currency),
            fee=_money(line.fee, line.currency),
            counterparty_name=line.counterparty_name,
            counterparty_account=line.counterparty_account,
            memo=line.memo,
            kind=line.kind,
            settlement_numbers=(line.refs or "").split(),
            payout_ref=line.payout_ref,
            external_ref=line.external_ref,
            raw=line.raw,
            status=line.status,
            candidates=[CandidateRead.model_validate(c) for c in candidates or []],
        )


class AllocationIn(InputModel):
    settlement_id: uuid.UUID
    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True, description="Minor units this match pays on it")


class AdjustmentIn(InputModel):
    kind: AdjustmentKind
    amount: int = Field(
        ge=-MAX_AMOUNT,
        le=MAX_AMOUNT,
        strict=True,
        description="Minor units: + the bank received less (a charge, an exchange loss), - more (an exchange gain)",
    )


class MatchCreate(InputModel):
    """A manual match: lines on one side; settlements (receipts recorded), payments already recorded
    and Stripe payouts on the other; adjustments make up the difference. The sides must sum equal."""

    line_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    settlements: list[AllocationIn] = Field(default_factory=list, max_length=100)
    payment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    payout_ids: list[Annotated[str, StringConstraints(pattern=r"^po_[A-Za-z0-9]+$", max_length=64)]] = Field(
        default_factory=list, max_length=20
    )
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=10)
    reason: Reason

    def to_input(self) -> reconciliation.MatchInput:
        return reconciliation.MatchInput(
            line_ids=self.line_ids,
            reason=self.reason,
            settlements=[reconciliation.Allocation(a.settlement_id, a.amount) for a in self.settlements],
            payment_ids=self.payment_ids,
            payout_ids=self.payout_ids,
            adjustments=[reconciliation.Adjustment(a.kind, a.amount) for a in self.adjustments],
        )


class MatchItemRead(OutputModel):
    id: uuid.UUID
    kind: MatchItemKind
    amount: int
    line_id: uuid.UUID | None
    settlement_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    payout_ref: str | None
    adjustment_kind: AdjustmentKind | None
    entry_id: uuid.UUID | None = Field(description="The ledger entry it booked or links")
    posted: bool = Field(description="The match wrote that entry (and reverses it when reversed)")
    reversal_entry_id: uuid.UUID | None


class MatchRead(OutputModel):
    id: uuid.UUID
    centre_id: uuid.UUID
    rule: MatchRule
    status: MatchStatus
    statement_total: Money
    book_total: Money
    adjustment_total: Money
    value_date: date
    reason: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    reversed_at: datetime | None
    reversed_by: uuid.UUID | None
    reversal_reason: str | None
    items: list[MatchItemRead]

    @classmethod
    def of(cls, g: MatchGroup, items: list[MatchItem]) -> MatchRead:
        return cls(
            id=g.id,
            centre_id=g.centre_id,
            rule=g.rule,
            status=g.status,
            statement_total=_money(g.statement_total, g.currency),
            book_total=_money(g.book_total, g.currency),
            adjustment_total=_money(g.adjustment_total, g.currency),
            value_date=g.value_date,
            reason=g.reason,
            created_by=g.created_by,
            created_at=g.created_at,
            reversed_at=g.reversed_at,
            reversed_by=g.reversed_by,
            reversal_reason=g.reversal_reason,
            items=[MatchItemRead.model_validate(i) for i in items],
        )


class RuleTotalRead(OutputModel):
    rule: str
    matches: int
    amount: int = Field(description="Sum of the matched lines, minor units")


class ClearingRead(OutputModel):
    account_id: uuid.UUID
    code: str
    name: str
    balance: Money = Field(description="At the period's end; zero once everything is reconciled")


class ReportRead(OutputModel):
    centre_id: uuid.UUID
    period: str
    matched: list[RuleTotalRead]
    unmatched_lines: list[LineRead] = Field(description="Statement side: lines of the period nothing explains")
    unmatched_payments: list[dict[str, Any]] = Field(
        description="Book side: bank transfers recorded in the period that no statement line matches"
    )
    differences: dict[str, int] = Field(description="Adjustments booked by matches, by kind (+ cost, - gain)")
    clearing: list[ClearingRead]
    balance_checks: list[BalanceCheckRead] = Field(description="The period's statement balance checks")
    failed_balance_checks: list[BalanceCheckRead] = Field(description="Every failing check up to the period's end")

    @classmethod
    def of(cls, r: recon_report.Report) -> ReportRead:
        return cls(
            centre_id=r.centre_id,
            period=r.period,
            matched=[RuleTotalRead.model_validate(m) for m in r.matched],
            unmatched_lines=[LineRead.of(line) for line in r.unmatched_lines],
            unmatched_payments=[
                {
                    "payment_id": str(p.id),
                    "settlement_id": str(p.settlement_id),
                    "bank_account_id": str(p.bank_account_id) if p.bank_account_id else None,
                    "reference": p.reference,
                    "value_date": p.value_date.isoformat(),
                    "amount": {"amount": p.amount, "currency": p.currency},
                }
                for p in r.unmatched_payments
            ],
            differences=r.differences,
            clearing=[
                ClearingRead(
                    account_id=c.account.id,
                    code=c.account.code,
                    name=c.account.name,
                    balance=_money(c.balance, c.account.currency),
                )
                for c in r.clearing
            ],
            balance_checks=[BalanceCheckRead.of(c) for c in r.checks],
            failed_balance_checks=[BalanceCheckRead.of(c) for c in r.failed_checks],
        )
