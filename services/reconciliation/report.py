"""Finance's view of reconciliation: the work queue of lines (with suggested candidates), the
period's report, and the guard on closing a period.

The report for a month (in the centre's time zone): matches made on lines of the month (by rule),
lines unmatched on the statement side, bank receipts the ledger has that no statement line
explains (the book side), the differences booked as adjustments, the clearing accounts' balances
at the month's end (Stripe clearing and voucher receivable return to zero once reconciled: M9),
and the balance checks that fail. Closing a period warns while lines are unmatched and is refused
(409) while a balance check in it fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import (
    AccountPurpose,
    BalanceCheckStatus,
    LineStatus,
    MatchItemKind,
    MatchStatus,
    PaymentChannel,
    SettlementStatus,
    StatementChannel,
)
from models.ledger import LedgerAccount, LedgerPeriod
from models.organisations import Organisation
from models.reconciliation import BalanceCheck, MatchGroup, MatchItem, StatementLine
from models.settlements import Payment, Settlement
from services.actors import Actor
from services.errors import Conflict
from services.ledger import access, balances, books, entries, periods
from services.pagination import Page, SortKey, paginate
from services.reconciliation import checks, matching


class BalanceCheckFailed(Conflict):
    title = "A statement balance disagrees with the ledger; resolve it before closing the period"
    slug = "balance-check-failed"


# The work queue.


@dataclass(frozen=True)
class Candidate:
    kind: str  # settlement / payment / payout
    id: str
    label: str
    amount: int
    why: str


@dataclass
class QueueItem:
    line: StatementLine
    candidates: list[Candidate] = field(default_factory=list)


async def items(
    session: AsyncSession,
    actor: Actor,
    *,
    status: LineStatus | None,
    centre_id: uuid.UUID | None,
    bank_account_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[QueueItem]:
    """The centre's statement lines (unmatched: finance's work queue), oldest first, each unmatched
    one with suggested candidates."""
    centre = access.centre_for(actor, centre_id)
    stmt = select(StatementLine).where(StatementLine.centre_id == centre)
    if status is not None:
        stmt = stmt.where(StatementLine.status == status)
    if bank_account_id is not None:
        stmt = stmt.where(StatementLine.bank_account_id == bank_account_id)
    page = await paginate(
        session, stmt, [SortKey(StatementLine.value_date), SortKey(StatementLine.id)], limit=limit, cursor=cursor
    )
    out = []
    for line in page.items:
        item = QueueItem(line)
        if line.status is LineStatus.unmatched:
            item.candidates = await candidates(session, line)
        out.append(item)
    return Page(out, page.next_cursor)


async def candidates(session: AsyncSession, line: StatementLine, limit: int = 5) -> list[Candidate]:
    """What the line may be: settlements it names or whose amount left it equals (the payer's name
    first), payments recorded with no statement line yet, the payout it names."""
    found: list[Candidate] = []
    if line.payout_ref and line.channel is StatementChannel.bank:
        amount, _ = await matching._payout_amount(session, line.centre_id, line.payout_ref)
        if amount is not None:
            found.append(Candidate("payout", line.payout_ref, line.payout_ref, amount, "payout id in the memo"))
    if line.amount <= 0:
        return found
    outstanding = Settlement.amount - Settlement.paid_amount - Settlement.written_off_amount
    named = line.refs.split() if line.refs else []
    rows = (
        await session.execute(
            select(Settlement.id, Settlement.number, outstanding, Organisation.name)
            .join(Organisation, Organisation.id == Settlement.debtor_org_id)
            .where(
                Settlement.centre_id == line.centre_id,
                Settlement.currency == line.currency,
                Settlement.status.in_((SettlementStatus.open, SettlementStatus.partially_paid)),
                or_(
                    Settlement.number.in_(named),
                    outstanding == line.amount,
                    *([Organisation.name == line.counterparty_name] if line.counterparty_name else []),
                ),
            )
            .order_by(Settlement.due_on, Settlement.number)
            .limit(limit * 3)
        )
    ).all()
    payer = matching._normal(line.counterparty_name)

    def score(row: tuple) -> int:
        return (row[1] in named) * 4 + (row[2] == line.amount) * 2 + (matching._normal(row[3]) == payer)

    for sid, number, left, debtor in sorted(rows, key=score, reverse=True)[:limit]:
        why = [
            w
            for w, ok in (
                ("number in the memo", number in named),
                ("amount left equals the line", left == line.amount),
                ("payer is the debtor", matching._normal(debtor) == payer),
            )
            if ok
        ]
        found.append(Candidate("settlement", str(sid), f"{number} {debtor}", int(left), ", ".join(why)))
    linked = (
        select(MatchItem.payment_id)
        .join(MatchGroup, MatchGroup.id == MatchItem.match_id)
        .where(MatchGroup.status == MatchStatus.active, MatchItem.payment_id.is_not(None))
    )
    payments = (
        await session.scalars(
            select(Payment)
            .where(
                Payment.bank_account_id == line.bank_account_id,
                Payment.channel == PaymentChannel.bank_transfer,
                Payment.amount == line.amount,
                Payment.reversed_by_entry_id.is_(None),
                Payment.id.not_in(linked),
            )
            .order_by(Payment.value_date)
            .limit(limit)
        )
    ).all()
    for p in payments:
        found.append(Candidate("payment", str(p.id), p.reference or str(p.id), p.amount, "recorded, same amount"))
    return found


# The period's report.


@dataclass(frozen=True)
class RuleTotal:
    rule: str
    matches: int
    amount: int


@dataclass(frozen=True)
class ClearingBalance:
    account: LedgerAccount
    balance: int


@dataclass
class Report:
    centre_id: uuid.UUID
    period: str
    matched: list[RuleTotal]
    unmatched_lines: list[StatementLine]
    unmatched_payments: list[Payment]
    differences: dict[str, int]  # adjustment kind -> amount (+ cost, - gain)
    clearing: list[ClearingBalance]
    failed_checks: list[BalanceCheck]
    checks: list[BalanceCheck]


async def _bounds(session: AsyncSession, centre: uuid.UUID, period: str) -> tuple[date, date, str]:
    zone = await entries.zone_of(session, centre)
    year, month = (int(p) for p in periods.parse_period(period).split("-"))
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end, zone


async def report(session: AsyncSession, actor: Actor, period: str, centre_id: uuid.UUID | None) -> Report:
    """The month's reconciliation (finance and the centre's manager)."""
    return await centre_report(session, access.centre_for(actor, centre_id), period)


async def centre_report(session: AsyncSession, centre: uuid.UUID, period: str) -> Report:
    """The month's reconciliation of one centre (the CLI's `ttm reconcile`, and the API's)."""
    start, end, zone = await _bounds(session, centre, period)
    matched = [
        RuleTotal(str(rule), int(n), int(total or 0))
        for rule, n, total in await session.execute(
            select(MatchGroup.rule, func.count(), func.sum(MatchGroup.statement_total))
            .where(
                MatchGroup.centre_id == centre,
                MatchGroup.status == MatchStatus.active,
                MatchGroup.value_date >= start,
                MatchGroup.value_date < end,
            )
            .group_by(MatchGroup.rule)
            .order_by(MatchGroup.rule)
        )
    ]
    unmatched = (
        await session.scalars(
            select(StatementLine)
            .where(
                StatementLine.centre_id == centre,
                StatementLine.status == LineStatus.unmatched,
                StatementLine.value_date >= start,
                StatementLine.value_date < end,
            )
            .order_by(StatementLine.value_date, StatementLine.id)
            .limit(1000)
        )
    ).all()
    linked = (
        select(MatchItem.payment_id)
        .join(MatchGroup, MatchGroup.id == MatchItem.match_id)
        .where(MatchGroup.status == MatchStatus.active, MatchItem.payment_id.is_not(None))
    )
    book_side = (
        await session.scalars(
            select(Payment)
            .where(
                Payment.centre_id == centre,
                Payment.channel == PaymentChannel.bank_transfer,
                Payment.reversed_by_entry_id.is_(None),
                Payment.value_date >= start,
                Payment.value_date < end,
                Payment.id.not_in(linked),
            )
            .order_by(Payment.value_date, Payment.id)
            .limit(1000)
        )
    ).all()
    differences = {
        str(kind): int(total)
        for kind, total in await session.execute(
            select(MatchItem.adjustment_kind, func.sum(MatchItem.amount))
            .join(MatchGroup, MatchGroup.id == MatchItem.match_id)
            .where(
                MatchGroup.centre_id == centre,
                MatchGroup.status == MatchStatus.active,
                MatchItem.kind == MatchItemKind.adjustment,
                MatchGroup.value_date >= start,
                MatchGroup.value_date < end,
            )
            .group_by(MatchItem.adjustment_kind)
        )
    }
    as_of = checks.end_of_day(end - timedelta(days=1), zone)
    clearing_accounts = (
        await session.scalars(
            select(LedgerAccount)
            .where(
                LedgerAccount.centre_id == centre,
                LedgerAccount.purpose.in_((AccountPurpose.stripe_clearing, AccountPurpose.voucher_receivable)),
            )
            .order_by(LedgerAccount.currency, LedgerAccount.code)
        )
    ).all()
    clearing = [ClearingBalance(a, (await balances.of_account(session, a, as_of)).balance) for a in clearing_accounts]
    found = await checks.recheck(session, centre, end - timedelta(days=1))
    in_period = [c for c in found if start <= c.as_of < end]
    failed = [c for c in found if c.status is BalanceCheckStatus.failed]
    return Report(centre, period, matched, list(unmatched), list(book_side), differences, clearing, failed, in_period)


# Closing a period.


@dataclass(frozen=True)
class Closed:
    period: LedgerPeriod
    warnings: list[str]


async def close_period(session: AsyncSession, actor: Actor, period: str, centre_id: uuid.UUID | None) -> Closed:
    """Close the month in the ledger unless a statement balance up to its end disagrees with the
    ledger (409); unmatched lines of the month close it with a warning."""
    centre = access.centre_for(actor, centre_id, write=True)
    start, end, _ = await _bounds(session, centre, period)
    failing = [
        c
        for c in await checks.recheck(session, centre, end - timedelta(days=1))
        if c.status is BalanceCheckStatus.failed
    ]
    if failing:
        first = failing[0]
        raise BalanceCheckFailed(
            f"the statement of {first.as_of.isoformat()} says {first.statement_balance}, the ledger "
            f"{first.ledger_balance} ({len(failing)} check(s) failing)",
            balance_check_ids=[str(c.id) for c in failing],
        )
    warnings = []
    unmatched = await matching.count_unmatched(session, centre, start, end)
    if unmatched:
        warnings.append(f"{unmatched} statement line(s) of {period} are unmatched")
    closed = await books.close_period(session, actor, period, centre)
    return Closed(closed, warnings)
