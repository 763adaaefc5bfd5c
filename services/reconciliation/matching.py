"""Matching statement lines to what the ledger records, automatically or by finance, and reversing
a match (audited: its entries are reversed, nothing is deleted).

A match group holds statement lines on one side and, on the other, receipts it records on
settlements (through `settlements.payments.receive`, exactly as an offline payment is recorded:
Dr bank / Cr receivable, then the revenue allocation), payments already recorded (linked only),
and Stripe payouts (linked to their entry, or posting it: Dr bank / Cr Stripe clearing). The sides
must sum equal once the adjustments are counted: a bank charge (Dr bank charges / Cr bank) or an
exchange difference (either way), each an explicit entry; a receivable is never edited.

The automatic rules run in order of confidence, each one set-based query over the unmatched lines
(joined on the key the rule trusts), then each candidate pair applied in its own savepoint.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import (
    AccountPurpose,
    AdjustmentKind,
    EntrySource,
    LineStatus,
    MatchItemKind,
    MatchRule,
    MatchStatus,
    PaymentChannel,
    SettlementStatus,
    StatementChannel,
)
from models.ledger import BankAccount, JournalEntry
from models.organisations import Organisation
from models.reconciliation import MatchGroup, MatchItem, StatementLine
from models.settlements import Payment, Settlement
from services import clock
from services.actors import Actor
from services.errors import Conflict, DomainError, Invalid, NotFound
from services.ledger import access, bank_accounts, chart, entries
from services.ledger.chart import AccountSpec
from services.settlements import SettlementNotFound, reverse_entry
from services.settlements import get as get_settlement
from services.settlements import payments as receipts

DATE_WINDOW_DAYS = 10  # amount_window: a transfer up to this long after the due date still counts
OPEN = (SettlementStatus.open, SettlementStatus.partially_paid)


class MatchNotFound(NotFound):
    title = "Match not found"
    slug = "match-not-found"


class LineNotFound(NotFound):
    title = "Statement line not found"
    slug = "statement-line-not-found"


class LineAlreadyMatched(Conflict):
    title = "A statement line is already matched; reverse that match first"
    slug = "line-already-matched"


class PaymentAlreadyMatched(Conflict):
    title = "The payment is already matched to a statement line"
    slug = "payment-already-matched"


class MatchAlreadyReversed(Conflict):
    title = "The match has already been reversed"
    slug = "match-already-reversed"


class SidesDiffer(Invalid):
    title = "The two sides of the match do not sum equal"
    slug = "match-sides-differ"


@dataclass(frozen=True)
class Allocation:
    settlement_id: uuid.UUID
    amount: int


@dataclass(frozen=True)
class Adjustment:
    kind: AdjustmentKind
    amount: int  # + the bank received less (a charge, an exchange loss), - more (an exchange gain)


@dataclass(frozen=True)
class MatchInput:
    line_ids: Sequence[uuid.UUID]
    reason: str
    settlements: Sequence[Allocation] = ()
    payment_ids: Sequence[uuid.UUID] = ()
    payout_ids: Sequence[str] = ()
    adjustments: Sequence[Adjustment] = ()


@dataclass
class Plan:
    """What one match will hold, before it is applied."""

    rule: MatchRule
    lines: list[StatementLine]
    receipts: list[tuple[Settlement, int]] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    payouts: list[tuple[str, int]] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    reason: str | None = None


# Applying a match.


def booked_on(value_date: date, zone: str, not_before: datetime | None = None) -> datetime:
    """What a match books is dated on the statement's value date (the start of that day in the
    centre's time zone), and a receipt never before its money became owed (as an offline payment)."""
    start = datetime.combine(value_date, time.min, tzinfo=ZoneInfo(zone))
    return max(start, not_before) if not_before is not None else start


async def _lock_lines(
    session: AsyncSession, centre_ids: set[uuid.UUID], ids: Sequence[uuid.UUID]
) -> list[StatementLine]:
    found = (
        await session.scalars(
            select(StatementLine)
            .where(StatementLine.id.in_(list(ids)), StatementLine.centre_id.in_(list(centre_ids)))
            .order_by(StatementLine.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    if len(found) != len(set(ids)):
        raise LineNotFound()
    taken = [line for line in found if line.status is not LineStatus.unmatched]
    if taken:
        raise LineAlreadyMatched(f"line {taken[0].line_no} ({taken[0].serial or taken[0].id}) is matched")
    return list(found)


async def _payout_amount(
    session: AsyncSession, centre_id: uuid.UUID, payout_id: str
) -> tuple[int | None, JournalEntry | None]:
    """The centre's share of a payout: from its entry if booked, else from a Stripe payout line."""
    entry = await session.scalar(
        select(JournalEntry).where(
            JournalEntry.source == EntrySource.payout, JournalEntry.source_ref == f"{payout_id}:{centre_id}"
        )
    )
    if entry is not None:
        loaded = await entries.load(session, entry.id)
        return sum(p.amount for p in loaded.postings if p.amount > 0), loaded
    line_amount = await session.scalar(
        select(StatementLine.amount).where(
            StatementLine.centre_id == centre_id,
            StatementLine.channel == StatementChannel.stripe,
            StatementLine.kind == "payout",
            StatementLine.payout_ref == payout_id,
        )
    )
    return (-line_amount if line_amount is not None else None), None


async def apply(session: AsyncSession, centre_id: uuid.UUID, plan: Plan, user_id: uuid.UUID | None) -> MatchGroup:
    """Check the sides sum equal, book what the match records, and mark the lines matched."""
    lines = plan.lines
    bank_lines = [line for line in lines if line.channel is StatementChannel.bank]
    counted = bank_lines or lines
    statement_total = sum(line.amount for line in counted)
    adjustment_total = sum(a.amount for a in plan.adjustments)
    book_total = (
        sum(amount for _, amount in plan.receipts)
        + sum(p.amount for p in plan.payments)
        + sum(amount for _, amount in plan.payouts)
    )
    if statement_total + adjustment_total != book_total:
        raise SidesDiffer(
            f"the statement side is {statement_total}, adjustments {adjustment_total}, the book side {book_total}"
            f" (off by {book_total - statement_total - adjustment_total})",
            loc=["body"],
        )
    currencies = {line.currency for line in lines}
    if len(currencies) != 1:
        raise Invalid("the lines are in several currencies", loc=["body", "line_ids"])
    currency = currencies.pop()
    banks = {line.bank_account_id for line in bank_lines}
    if len(banks) > 1:
        raise Invalid("the bank lines are on several bank accounts", loc=["body", "line_ids"])
    needs_bank = plan.receipts or plan.adjustments or plan.payouts
    if needs_bank and not bank_lines:
        raise Invalid("receipts, payouts and adjustments are matched to bank lines", loc=["body", "line_ids"])
    value_date = max(line.value_date for line in lines)
    group = MatchGroup(
        centre_id=centre_id,
        rule=plan.rule,
        status=MatchStatus.active,
        currency=currency,
        statement_total=statement_total,
        book_total=book_total,
        adjustment_total=adjustment_total,
        value_date=value_date,
        reason=plan.reason,
        created_by=user_id,
    )
    session.add(group)
    await session.flush()
    items: list[MatchItem] = [
        MatchItem(match_id=group.id, kind=MatchItemKind.line, amount=line.amount, line_id=line.id) for line in lines
    ]
    if needs_bank:
        bank = await session.get(BankAccount, banks.pop())
        assert bank is not None
        bank_account = await bank_accounts.ledger_account(session, bank)
        zone = await entries.zone_of(session, centre_id)
        serial = bank_lines[0].serial or f"L{bank_lines[0].line_no}"
        for settlement, amount in plan.receipts:
            if settlement.currency != currency:
                raise Invalid(f"{settlement.number} is in {settlement.currency}", loc=["body", "settlements"])
            payment = await receipts.receive(
                session,
                settlement,
                receipts.Receipt(
                    channel=PaymentChannel.bank_transfer,
                    amount=amount,
                    currency=currency,
                    account=bank_account,
                    booked_at=booked_on(value_date, zone, settlement.owed_at),
                    value_date=value_date,
                    description=f"银行转账收款（对账）/ bank transfer {serial} matched",
                    bank_account_id=bank.id,
                    reference=f"{serial}/{settlement.number}/{group.id.hex[-6:]}"[-100:],
                    recorded_by=user_id,
                ),
            )
            items.append(
                MatchItem(
                    match_id=group.id,
                    kind=MatchItemKind.receipt,
                    amount=amount,
                    settlement_id=settlement.id,
                    payment_id=payment.id,
                    entry_id=payment.entry_id,
                    posted=True,
                )
            )
        for payout_id, amount in plan.payouts:
            _, entry = await _payout_amount(session, centre_id, payout_id)
            posted = entry is None
            if entry is None:
                clearing = await chart.account(
                    session, centre_id, currency, AccountSpec(AccountPurpose.stripe_clearing)
                )
                entry = await entries.post(
                    session,
                    centre_id=centre_id,
                    source=EntrySource.payout,
                    source_ref=f"{payout_id}:{centre_id}",
                    description=f"Stripe 提现到账（对账）/ Stripe payout {payout_id} matched",
                    booked_at=booked_on(value_date, zone),
                    created_by=user_id,
                    lines=[entries.debit(bank_account, amount, memo=payout_id), entries.credit(clearing, amount)],
                )
            items.append(
                MatchItem(
                    match_id=group.id,
                    kind=MatchItemKind.payout,
                    amount=amount,
                    payout_ref=payout_id,
                    entry_id=entry.id,
                    posted=posted,
                )
            )
        for n, adj in enumerate(plan.adjustments, start=1):
            entry = await _adjust(session, centre_id, group, n, adj, bank_account, value_date, zone, user_id)
            items.append(
                MatchItem(
                    match_id=group.id,
                    kind=MatchItemKind.adjustment,
                    amount=adj.amount,
                    adjustment_kind=adj.kind,
                    entry_id=entry.id,
                    posted=True,
                )
            )
    for payment in plan.payments:
        items.append(
            MatchItem(
                match_id=group.id,
                kind=MatchItemKind.payment,
                amount=payment.amount,
                settlement_id=payment.settlement_id,
                payment_id=payment.id,
                entry_id=payment.entry_id,
            )
        )
    session.add_all(items)
    for line in lines:
        line.status = LineStatus.matched
    await session.flush()
    return group


async def _adjust(
    session: AsyncSession,
    centre_id: uuid.UUID,
    group: MatchGroup,
    n: int,
    adj: Adjustment,
    bank_account: object,
    value_date: date,
    zone: str,
    user_id: uuid.UUID | None,
) -> JournalEntry:
    if adj.amount == 0:
        raise Invalid("an adjustment of zero says nothing", loc=["body", "adjustments", n - 1, "amount"])
    if adj.kind is AdjustmentKind.bank_charge and adj.amount < 0:
        raise Invalid("a bank charge is money the bank kept (positive)", loc=["body", "adjustments", n - 1])
    purpose = AccountPurpose.bank_charges if adj.kind is AdjustmentKind.bank_charge else AccountPurpose.fx_difference
    expense = await chart.account(session, centre_id, group.currency, AccountSpec(purpose))
    label = "银行手续费 / bank charge" if adj.kind is AdjustmentKind.bank_charge else "汇兑差额 / exchange difference"
    return await entries.post(
        session,
        centre_id=centre_id,
        source=EntrySource.reconciliation,
        source_ref=f"{group.id}:{n}",
        description=f"{label} (对账 / reconciliation {group.id})",
        booked_at=booked_on(value_date, zone),
        created_by=user_id,
        lines=[
            entries.debit(expense, adj.amount, memo=str(group.id)),
            entries.credit(bank_account, adj.amount, memo=str(group.id)),  # type: ignore[arg-type]  # a LedgerAccount
        ],
    )


# Manual matches and reversals (finance).


async def _linked(session: AsyncSession, payment_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    MatchItem.payment_id == payment_id,
                    MatchItem.match_id == MatchGroup.id,
                    MatchGroup.status == MatchStatus.active,
                )
            )
        )
    )


async def match(session: AsyncSession, actor: Actor, data: MatchInput) -> MatchGroup:
    """Finance matches lines by hand (with a reason): to settlements (recording receipts), payments
    already recorded, Stripe payouts, and adjustments; the sides must sum equal."""
    if not data.line_ids:
        raise Invalid("name at least one statement line", loc=["body", "line_ids"])
    lines = await _lock_lines(session, access.reader_centres(actor), data.line_ids)
    centres = {line.centre_id for line in lines}
    if len(centres) != 1:
        raise LineNotFound()
    centre_id = centres.pop()
    access.require(actor, centre_id, write=True)
    plan = Plan(MatchRule.manual, lines, reason=data.reason, adjustments=list(data.adjustments))
    for i, alloc in enumerate(data.settlements):
        if alloc.amount <= 0:
            raise Invalid("an amount paid is positive", loc=["body", "settlements", i, "amount"])
        settlement = await get_settlement(session, actor, alloc.settlement_id, lock=True)
        if settlement.centre_id != centre_id:
            raise SettlementNotFound()
        plan.receipts.append((settlement, alloc.amount))
    for payment_id in data.payment_ids:
        payment = await session.get(Payment, payment_id, with_for_update=True)
        if payment is None or payment.centre_id != centre_id or payment.reversed_by_entry_id is not None:
            raise receipts.PaymentNotFound()
        if await _linked(session, payment.id):
            raise PaymentAlreadyMatched()
        plan.payments.append(payment)
    for payout_id in data.payout_ids:
        amount, _ = await _payout_amount(session, centre_id, payout_id)
        if amount is None:
            raise NotFound(f"no payout {payout_id} of this centre is known (sync Stripe or import its statement)")
        plan.payouts.append((payout_id, amount))
    return await apply(session, centre_id, plan, actor.user_id)


async def get(session: AsyncSession, actor: Actor, match_id: uuid.UUID, *, lock: bool = False) -> MatchGroup:
    stmt = select(MatchGroup).where(
        MatchGroup.id == match_id, MatchGroup.centre_id.in_(list(access.reader_centres(actor)))
    )
    found = await session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise MatchNotFound()
    return found


async def items_of(session: AsyncSession, match_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[MatchItem]]:
    found: dict[uuid.UUID, list[MatchItem]] = defaultdict(list)
    for item in await session.scalars(
        select(MatchItem).where(MatchItem.match_id.in_(list(match_ids))).order_by(MatchItem.id)
    ):
        found[item.match_id].append(item)
    return found


async def reverse(session: AsyncSession, actor: Actor, match_id: uuid.UUID, *, reason: str) -> MatchGroup:
    """Finance reverses a match: each entry it wrote is reversed (a receipt with its allocation, so the
    settlement owes it again), its lines are unmatched, and the match stays, marked reversed."""
    group = await get(session, actor, match_id, lock=True)
    access.require(actor, group.centre_id, write=True)
    if group.status is MatchStatus.reversed:
        raise MatchAlreadyReversed()
    description = f"对账撤销 / match {group.id} reversed: {reason}"
    for item in (await items_of(session, [group.id]))[group.id]:
        if item.kind is MatchItemKind.line and item.line_id is not None:
            line = await session.get(StatementLine, item.line_id, with_for_update=True)
            assert line is not None
            line.status = LineStatus.unmatched
        elif item.kind is MatchItemKind.receipt and item.entry_id is not None:
            reversal = await reverse_entry(session, actor, item.entry_id, reason=description)
            item.reversal_entry_id = reversal.id
        elif item.posted and item.entry_id is not None:
            reversal = await entries.reverse(
                session, await entries.load(session, item.entry_id), description=description, created_by=actor.user_id
            )
            item.reversal_entry_id = reversal.id
    group.status = MatchStatus.reversed
    group.reversed_at, group.reversed_by, group.reversal_reason = clock.now(), actor.user_id, reason
    await session.flush()
    return group


# The automatic rules.


def _normal(name: str | None) -> str:
    return re.sub(r"\s+", "", (name or "").replace("（", "(").replace("）", ")")).lower()


async def _try(session: AsyncSession, centre_id: uuid.UUID, plan: Plan, user_id: uuid.UUID | None) -> bool:
    """Apply one candidate in a savepoint; a candidate the state refuses (taken meanwhile, a closed
    period, overpaid) stays in the work queue."""
    try:
        async with session.begin_nested():
            await apply(session, centre_id, plan, user_id)
        return True
    except DomainError:
        return False


def _unmatched(centre_id: uuid.UUID, bank_account_id: uuid.UUID | None):  # a where clause
    cond = and_(StatementLine.centre_id == centre_id, StatementLine.status == LineStatus.unmatched)
    if bank_account_id is not None:
        cond = and_(cond, StatementLine.bank_account_id == bank_account_id)
    return cond


async def _fresh_line(session: AsyncSession, line_id: uuid.UUID) -> StatementLine | None:
    line = await session.scalar(
        select(StatementLine)
        .where(StatementLine.id == line_id, StatementLine.status == LineStatus.unmatched)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return line


async def _open_settlement(session: AsyncSession, settlement_id: uuid.UUID) -> Settlement | None:
    return await session.scalar(
        select(Settlement)
        .where(Settlement.id == settlement_id, Settlement.status.in_(OPEN))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def auto_match(
    session: AsyncSession,
    centre_id: uuid.UUID,
    *,
    bank_account_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> dict[str, int]:
    """Run every automatic rule over the centre's unmatched lines (of one account, or all); returns
    how many matches each rule made."""
    made: dict[str, int] = {}
    where = _unmatched(centre_id, bank_account_id)
    made[MatchRule.recorded_payment.value] = await _rule_recorded_payment(session, centre_id, where, user_id)
    made[MatchRule.stripe_payout.value] = await _rule_stripe_payout(session, centre_id, where, user_id)
    made[MatchRule.stripe_charge.value] = await _rule_stripe_charge(session, centre_id, where, user_id)
    made.update(await _rule_settlement_number(session, centre_id, where, user_id))
    made[MatchRule.amount_window.value] = await _rule_amount_window(session, centre_id, where, user_id)
    return made


async def _rule_recorded_payment(session: AsyncSession, centre_id: uuid.UUID, where, user_id) -> int:
    """A bank line whose serial number an offline payment on the same account already quotes."""
    active = (
        select(MatchItem.payment_id)
        .join(MatchGroup, MatchGroup.id == MatchItem.match_id)
        .where(MatchGroup.status == MatchStatus.active, MatchItem.payment_id.is_not(None))
    )
    pairs = (
        await session.execute(
            select(StatementLine.id, Payment.id)
            .join(
                Payment,
                and_(
                    Payment.bank_account_id == StatementLine.bank_account_id,
                    Payment.reference == StatementLine.serial,
                    Payment.amount == StatementLine.amount,
                ),
            )
            .where(
                where,
                StatementLine.channel == StatementChannel.bank,
                Payment.reversed_by_entry_id.is_(None),
                Payment.id.not_in(active),
            )
        )
    ).all()
    made = 0
    for line_id, payment_id in pairs:
        line = await _fresh_line(session, line_id)
        payment = await session.get(Payment, payment_id)
        if line is None or payment is None:
            continue
        made += await _try(session, centre_id, Plan(MatchRule.recorded_payment, [line], payments=[payment]), user_id)
    return made


async def _rule_stripe_payout(session: AsyncSession, centre_id: uuid.UUID, where, user_id) -> int:
    """A bank line naming a Stripe payout id (po_...), of the payout's amount for this centre; the
    payout's own Stripe line, if imported, joins the match."""
    rows = (
        await session.execute(
            select(StatementLine.id, StatementLine.payout_ref).where(
                where, StatementLine.channel == StatementChannel.bank, StatementLine.payout_ref.is_not(None)
            )
        )
    ).all()
    made = 0
    for line_id, payout_id in rows:
        if payout_id is None:
            continue
        amount, _ = await _payout_amount(session, centre_id, payout_id)
        line = await _fresh_line(session, line_id)
        if amount is None or line is None or line.amount != amount:
            continue
        lines = [line]
        stripe_line_id = await session.scalar(
            select(StatementLine.id).where(
                _unmatched(centre_id, None),
                StatementLine.channel == StatementChannel.stripe,
                StatementLine.kind == "payout",
                StatementLine.payout_ref == payout_id,
            )
        )
        if stripe_line_id is not None and (stripe_line := await _fresh_line(session, stripe_line_id)) is not None:
            lines.append(stripe_line)
        made += await _try(
            session, centre_id, Plan(MatchRule.stripe_payout, lines, payouts=[(payout_id, amount)]), user_id
        )
    return made


async def _rule_stripe_charge(session: AsyncSession, centre_id: uuid.UUID, where, user_id) -> int:
    """A Stripe charge line and the card payment recorded for that charge (linked, nothing booked)."""
    pairs = (
        await session.execute(
            select(StatementLine.id, Payment.id)
            .join(
                Payment,
                and_(
                    Payment.channel == PaymentChannel.card,
                    Payment.external_ref == StatementLine.external_ref,
                    Payment.amount == StatementLine.amount,
                    Payment.centre_id == StatementLine.centre_id,
                ),
            )
            .where(where, StatementLine.channel == StatementChannel.stripe)
        )
    ).all()
    made = 0
    for line_id, payment_id in pairs:
        line = await _fresh_line(session, line_id)
        payment = await session.get(Payment, payment_id)
        if line is None or payment is None or await _linked(session, payment.id):
            continue
        made += await _try(session, centre_id, Plan(MatchRule.stripe_charge, [line], payments=[payment]), user_id)
    return made


async def _rule_settlement_number(session: AsyncSession, centre_id: uuid.UUID, where, user_id) -> dict[str, int]:
    """Settlement numbers in 摘要/用途: one number and the exact amount left, or several numbers whose
    amounts left sum to the line's (one transfer paying several); one number and less than is left
    is an instalment."""
    made = {MatchRule.settlement_number.value: 0, MatchRule.settlement_instalment.value: 0}
    single = (
        await session.execute(
            select(StatementLine.id, Settlement.id)
            .join(
                Settlement,
                and_(
                    Settlement.centre_id == StatementLine.centre_id,
                    Settlement.number == StatementLine.refs,
                    Settlement.currency == StatementLine.currency,
                ),
            )
            .where(
                where,
                StatementLine.channel == StatementChannel.bank,
                StatementLine.amount > 0,
                Settlement.status.in_(OPEN),
            )
            .order_by(StatementLine.value_date, StatementLine.line_no, StatementLine.id)
        )
    ).all()
    for line_id, settlement_id in single:
        line = await _fresh_line(session, line_id)
        settlement = await _open_settlement(session, settlement_id)
        if line is None or settlement is None or line.amount > settlement.outstanding:
            continue
        rule = MatchRule.settlement_number if line.amount == settlement.outstanding else MatchRule.settlement_instalment
        made[rule.value] += await _try(
            session, centre_id, Plan(rule, [line], receipts=[(settlement, line.amount)]), user_id
        )
    several = (
        await session.execute(
            select(StatementLine.id, StatementLine.refs).where(
                where,
                StatementLine.channel == StatementChannel.bank,
                StatementLine.amount > 0,
                StatementLine.refs.like("% %"),
            )
        )
    ).all()
    for line_id, refs in several:
        numbers = (refs or "").split()
        found = (
            await session.scalars(
                select(Settlement)
                .where(Settlement.centre_id == centre_id, Settlement.number.in_(numbers), Settlement.status.in_(OPEN))
                .order_by(Settlement.number)
                .with_for_update()
            )
        ).all()
        line = await _fresh_line(session, line_id)
        if line is None or len(found) != len(numbers) or sum(s.outstanding for s in found) != line.amount:
            continue
        plan = Plan(MatchRule.settlement_number, [line], receipts=[(s, s.outstanding) for s in found])
        made[MatchRule.settlement_number.value] += await _try(session, centre_id, plan, user_id)
    return made


async def _rule_amount_window(session: AsyncSession, centre_id: uuid.UUID, where, user_id) -> int:
    """The exact amount left on one open settlement, the value date between the day it became owed
    and DATE_WINDOW_DAYS after it was due, and the payer's name the debtor's; only when the line
    and the settlement have no other candidate."""
    outstanding = Settlement.amount - Settlement.paid_amount - Settlement.written_off_amount
    rows = (
        await session.execute(
            select(
                StatementLine.id,
                StatementLine.value_date,
                StatementLine.counterparty_name,
                Settlement.id,
                Settlement.owed_at,
                Settlement.due_on,
                Organisation.name,
                Organisation.name_en,
            )
            .join(
                Settlement,
                and_(
                    Settlement.centre_id == StatementLine.centre_id,
                    Settlement.currency == StatementLine.currency,
                    outstanding == StatementLine.amount,
                ),
            )
            .join(Organisation, Organisation.id == Settlement.debtor_org_id)
            .where(
                where,
                StatementLine.channel == StatementChannel.bank,
                StatementLine.amount > 0,
                StatementLine.counterparty_name.is_not(None),
                Settlement.status.in_(OPEN),
            )
        )
    ).all()
    zone = await entries.zone_of(session, centre_id)
    candidates: list[tuple[uuid.UUID, uuid.UUID]] = []
    for line_id, value_date, payer, settlement_id, owed_at, due_on, name, name_en in rows:
        owed_on = owed_at.astimezone(ZoneInfo(zone)).date()
        if not owed_on <= value_date <= due_on + timedelta(days=DATE_WINDOW_DAYS):
            continue
        if _normal(payer) not in {_normal(name), _normal(name_en)}:
            continue
        candidates.append((line_id, settlement_id))
    per_line: dict[uuid.UUID, int] = defaultdict(int)
    per_settlement: dict[uuid.UUID, int] = defaultdict(int)
    for line_id, settlement_id in candidates:
        per_line[line_id] += 1
        per_settlement[settlement_id] += 1
    made = 0
    for line_id, settlement_id in candidates:
        if per_line[line_id] != 1 or per_settlement[settlement_id] != 1:
            continue
        line = await _fresh_line(session, line_id)
        settlement = await _open_settlement(session, settlement_id)
        if line is None or settlement is None or settlement.outstanding != line.amount:
            continue
        made += await _try(
            session, centre_id, Plan(MatchRule.amount_window, [line], receipts=[(settlement, line.amount)]), user_id
        )
    return made


async def count_unmatched(session: AsyncSession, centre_id: uuid.UUID, start: date, end: date) -> int:
    """Unmatched lines of the centre with a value date in [start, end)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(StatementLine)
            .where(_unmatched(centre_id, None), StatementLine.value_date >= start, StatementLine.value_date < end)
        )
        or 0
    )
