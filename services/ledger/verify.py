"""The ledger's auditor (`ttm ledger-verify`): recomputes what the ledger promises from the rows
themselves and lists every breach with the ids involved (docs/ledger.md, promises M1-M12).

It never trusts a stored total: balances are summed from postings, settlements' paid amounts from
their payments, and every owed booking and milestone must have exactly one settlement of its amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.bookings import Booking
from models.card_payments import StripeEvent
from models.contracts import ContractAmountOwed
from models.enums import (
    AccountPurpose,
    EntrySource,
    PaymentChannel,
    SettlementSource,
    SettlementStatus,
    StripeEventStatus,
    VoucherClaimStatus,
    VoucherRedemptionStatus,
)
from models.ledger import JournalEntry, LedgerAccount, Posting
from models.organisations import Organisation
from models.settlements import Payment, Settlement
from models.vouchers import Voucher, VoucherClaim, VoucherProgramme, VoucherRedemption


@dataclass
class Finding:
    check: str
    detail: str
    ids: list[str] = field(default_factory=list)


async def run(session: AsyncSession) -> list[Finding]:
    """Every breach found (an empty list: the ledger keeps its promises)."""
    found: list[Finding] = []
    for check in (
        _entries_balance,
        _ledger_sums_to_zero,
        _postings_match,
        _owed_are_settled,
        _settlements_add_up,
        _stripe_events_applied,
        _voucher_redemptions_recorded,
        _voucher_totals,
        _voucher_claims_recorded,
    ):
        found += await check(session)
    return found


async def _entries_balance(session: AsyncSession) -> list[Finding]:
    off = (
        await session.execute(
            select(Posting.entry_id, Posting.currency, func.sum(Posting.amount))
            .group_by(Posting.entry_id, Posting.currency)
            .having(func.sum(Posting.amount) != 0)
        )
    ).all()
    short = (
        (
            await session.execute(
                select(JournalEntry.id)
                .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
                .group_by(JournalEntry.id)
                .having(func.count(Posting.id) < 2)
            )
        )
        .scalars()
        .all()
    )
    orphans = (
        (
            await session.execute(
                select(Posting.id)
                .outerjoin(JournalEntry, JournalEntry.id == Posting.entry_id)
                .where(JournalEntry.id.is_(None))
            )
        )
        .scalars()
        .all()
    )
    out = [Finding("entry-balances", f"entry {e} is off by {s} {c}", [str(e)]) for e, c, s in off]
    out += [Finding("entry-balances", f"entry {e} has fewer than two postings", [str(e)]) for e in short]
    out += [Finding("entry-balances", f"posting {p} has no entry", [str(p)]) for p in orphans]
    return out


async def _ledger_sums_to_zero(session: AsyncSession) -> list[Finding]:
    rows = (
        await session.execute(
            select(Posting.centre_id, Posting.currency, func.sum(Posting.amount))
            .group_by(Posting.centre_id, Posting.currency)
            .having(func.sum(Posting.amount) != 0)
        )
    ).all()
    return [Finding("zero-sum", f"centre {c}'s ledger sums to {s} {cur}", [str(c)]) for c, cur, s in rows]


async def _postings_match(session: AsyncSession) -> list[Finding]:
    rows = (
        (
            await session.execute(
                select(Posting.id)
                .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
                .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                .where(
                    (LedgerAccount.currency != Posting.currency)
                    | (LedgerAccount.centre_id != Posting.centre_id)
                    | (JournalEntry.centre_id != Posting.centre_id)
                    | (JournalEntry.booked_at != Posting.booked_at)
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Finding("one-currency-per-account", f"posting {p} differs from its account or entry", [str(p)]) for p in rows
    ]


async def _owed_are_settled(session: AsyncSession) -> list[Finding]:
    out: list[Finding] = []
    customer, provider = aliased(Organisation), aliased(Organisation)
    customer_centre = func.coalesce(customer.parent_id, customer.id)
    provider_centre = func.coalesce(provider.parent_id, provider.id)
    bookings = (
        await session.execute(
            select(Booking.id, Booking.charge_amount, Settlement.id, Settlement.amount)
            .join(customer, customer.id == Booking.customer_org_id)
            .join(provider, provider.id == Booking.provider_org_id)
            .outerjoin(
                Settlement, and_(Settlement.source == SettlementSource.booking, Settlement.source_id == Booking.id)
            )
            .where(Booking.charge_amount > 0, customer_centre != provider_centre)
        )
    ).all()
    for booking_id, owed, settlement_id, amount in bookings:
        if settlement_id is None or amount != owed:
            out.append(
                Finding(
                    "owed-is-settled",
                    f"booking {booking_id} owes {owed} but its settlement is {amount}",
                    [str(booking_id), str(settlement_id)],
                )
            )
    milestones = (
        await session.execute(
            select(
                ContractAmountOwed.milestone_id, ContractAmountOwed.amount, Settlement.id, Settlement.amount
            ).outerjoin(
                Settlement,
                and_(
                    Settlement.source == SettlementSource.milestone,
                    Settlement.source_id == ContractAmountOwed.milestone_id,
                ),
            )
        )
    ).all()
    for milestone_id, owed, settlement_id, amount in milestones:
        if owed > 0 and (settlement_id is None or amount != owed):
            out.append(
                Finding(
                    "owed-is-settled",
                    f"milestone {milestone_id} owes {owed} but its settlement is {amount}",
                    [str(milestone_id), str(settlement_id)],
                )
            )
    return out


async def _settlements_add_up(session: AsyncSession) -> list[Finding]:
    out: list[Finding] = []
    paid = (
        select(Payment.settlement_id, func.sum(Payment.amount - Payment.refunded_amount).label("paid"))
        .where(Payment.reversed_by_entry_id.is_(None))
        .group_by(Payment.settlement_id)
        .subquery()
    )
    accrued = set(
        (
            await session.scalars(
                select(JournalEntry.source_ref).where(JournalEntry.source == EntrySource.settlement_accrual)
            )
        ).all()
    )
    rows = (
        await session.execute(
            select(Settlement, func.coalesce(paid.c.paid, 0)).outerjoin(paid, paid.c.settlement_id == Settlement.id)
        )
    ).all()
    outstanding: dict[tuple, int] = {}
    for s, payments in rows:
        if payments != s.paid_amount:
            out.append(
                Finding("settlement-paid", f"{s.number}: paid {s.paid_amount}, payments {payments}", [str(s.id)])
            )
        if str(s.id) not in accrued:
            out.append(Finding("settlement-accrued", f"{s.number} has no accrual entry", [str(s.id)]))
        if s.status not in (SettlementStatus.written_off,):
            key = (s.centre_id, s.currency)
            outstanding[key] = outstanding.get(key, 0) + s.amount - s.paid_amount - s.written_off_amount
    receivables = (
        await session.execute(
            select(LedgerAccount.centre_id, LedgerAccount.currency, func.coalesce(func.sum(Posting.amount), 0))
            .outerjoin(Posting, Posting.account_id == LedgerAccount.id)
            .where(LedgerAccount.purpose == AccountPurpose.receivable)
            .group_by(LedgerAccount.centre_id, LedgerAccount.currency)
        )
    ).all()
    ledger = {(c, cur): int(total) for c, cur, total in receivables}
    for key in set(ledger) | set(outstanding):
        if ledger.get(key, 0) != outstanding.get(key, 0):
            out.append(
                Finding(
                    "receivable-equals-open-settlements",
                    f"centre {key[0]} {key[1]}: receivable {ledger.get(key, 0)}, "
                    f"open settlements {outstanding.get(key, 0)}",
                    [str(key[0])],
                )
            )
    return out


async def _stripe_events_applied(session: AsyncSession) -> list[Finding]:
    """Each applied card payment event has its payment, each applied payout its entries."""
    out: list[Finding] = []
    applied = (
        await session.execute(
            select(StripeEvent.event_id, StripeEvent.type, StripeEvent.payload).where(
                StripeEvent.status == StripeEventStatus.applied,
                StripeEvent.type.in_(["payment_intent.succeeded", "payout.paid"]),
            )
        )
    ).all()
    charges = set(
        (await session.scalars(select(Payment.external_ref).where(Payment.channel == PaymentChannel.card))).all()
    )
    payouts = {
        ref.split(":", 1)[0]
        for ref in (
            await session.scalars(select(JournalEntry.source_ref).where(JournalEntry.source == EntrySource.payout))
        )
    }
    for event_id, kind, payload in applied:
        obj = (payload.get("data") or {}).get("object") or {}
        if kind == "payment_intent.succeeded":
            charge = obj.get("latest_charge")
            charge = charge.get("id") if isinstance(charge, dict) else charge
            if charge and charge not in charges:
                out.append(Finding("stripe-event-applied", f"{event_id}: no card payment for {charge}", [event_id]))
        elif obj.get("id") not in payouts:
            out.append(Finding("stripe-event-applied", f"{event_id}: payout {obj.get('id')} has no entry", [event_id]))
    return out


async def _voucher_redemptions_recorded(session: AsyncSession) -> list[Finding]:
    """Each redemption has one entry (its voucher payment's: Dr voucher receivable of its amount), and a
    cancelled or rejected one exactly one reversal of it; a standing one none."""
    out: list[Finding] = []
    rows = (
        await session.execute(
            select(VoucherRedemption, Payment).outerjoin(Payment, Payment.id == VoucherRedemption.payment_id)
        )
    ).all()
    recorded = {
        e.id: e
        for e in await session.scalars(
            select(JournalEntry)
            .join(Payment, Payment.entry_id == JournalEntry.id)
            .where(Payment.channel == PaymentChannel.voucher, JournalEntry.source == EntrySource.payment)
        )
    }
    debits: dict[object, int] = {
        entry_id: int(total)
        for entry_id, total in (
            await session.execute(
                select(Posting.entry_id, func.sum(Posting.amount))
                .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
                .where(LedgerAccount.purpose == AccountPurpose.voucher_receivable, Posting.amount > 0)
                .group_by(Posting.entry_id)
            )
        ).all()
    }
    reversals = {
        ref: rid
        for ref, rid in (
            await session.execute(
                select(JournalEntry.reverses_entry_id, JournalEntry.id).where(
                    JournalEntry.reverses_entry_id.is_not(None)
                )
            )
        ).all()
    }
    returned = (VoucherRedemptionStatus.cancelled, VoucherRedemptionStatus.rejected)
    for r, payment in rows:
        ids = [str(r.id)]
        if payment is None or payment.channel is not PaymentChannel.voucher or payment.amount != r.amount:
            out.append(
                Finding("voucher-redemption-entry", f"redemption {r.id} has no voucher payment of its amount", ids)
            )
            continue
        e = recorded.get(payment.entry_id)
        if e is None or e.source_ref != str(payment.id) or debits.get(e.id) != r.amount:
            out.append(
                Finding("voucher-redemption-entry", f"redemption {r.id}: no entry debiting voucher receivable", ids)
            )
            continue
        reversed_by = reversals.get(e.id)
        if r.status in returned and (reversed_by is None or payment.reversed_by_entry_id != reversed_by):
            out.append(
                Finding("voucher-redemption-entry", f"redemption {r.id} is {r.status.value} but not reversed", ids)
            )
        if r.status not in returned and (reversed_by is not None or payment.reversed_by_entry_id is not None):
            out.append(Finding("voucher-redemption-entry", f"redemption {r.id} stands but its entry is reversed", ids))
    return out


async def _voucher_totals(session: AsyncSession) -> list[Finding]:
    """Vouchers' balances and programmes' totals follow from the redemptions; each centre's voucher
    receivable equals its standing redemptions not yet paid by their issuer (M9)."""
    out: list[Finding] = []
    live = VoucherRedemption.status.in_(
        [VoucherRedemptionStatus.redeemed, VoucherRedemptionStatus.claimed, VoucherRedemptionStatus.paid]
    )
    used = (
        select(VoucherRedemption.voucher_id, func.sum(VoucherRedemption.amount).label("used"))
        .where(live)
        .group_by(VoucherRedemption.voucher_id)
        .subquery()
    )
    for v, spent in (
        await session.execute(
            select(Voucher, func.coalesce(used.c.used, 0)).outerjoin(used, used.c.voucher_id == Voucher.id)
        )
    ).all():
        if v.balance != v.face_value - spent:
            out.append(
                Finding("voucher-balance", f"voucher {v.id}: balance {v.balance}, redemptions {spent}", [str(v.id)])
            )
    redeemed = (
        select(VoucherRedemption.programme_id, func.sum(VoucherRedemption.amount).label("redeemed"))
        .where(live)
        .group_by(VoucherRedemption.programme_id)
        .subquery()
    )
    issued = (
        select(Voucher.programme_id, func.sum(Voucher.face_value).label("issued"))
        .group_by(Voucher.programme_id)
        .subquery()
    )
    for p, total, faces in (
        await session.execute(
            select(VoucherProgramme, func.coalesce(redeemed.c.redeemed, 0), func.coalesce(issued.c.issued, 0))
            .outerjoin(redeemed, redeemed.c.programme_id == VoucherProgramme.id)
            .outerjoin(issued, issued.c.programme_id == VoucherProgramme.id)
        )
    ).all():
        if p.redeemed_amount != total or p.issued_amount != faces:
            out.append(
                Finding(
                    "voucher-programme-totals",
                    f"programme {p.id}: redeemed {p.redeemed_amount} vs {total}, issued {p.issued_amount} vs {faces}",
                    [str(p.id)],
                )
            )
    unpaid = {
        (c, cur): int(t)
        for c, cur, t in (
            await session.execute(
                select(VoucherRedemption.centre_id, VoucherRedemption.currency, func.sum(VoucherRedemption.amount))
                .where(
                    VoucherRedemption.status.in_([VoucherRedemptionStatus.redeemed, VoucherRedemptionStatus.claimed])
                )
                .group_by(VoucherRedemption.centre_id, VoucherRedemption.currency)
            )
        ).all()
    }
    ledger = {
        (c, cur): int(t)
        for c, cur, t in (
            await session.execute(
                select(LedgerAccount.centre_id, LedgerAccount.currency, func.coalesce(func.sum(Posting.amount), 0))
                .outerjoin(Posting, Posting.account_id == LedgerAccount.id)
                .where(LedgerAccount.purpose == AccountPurpose.voucher_receivable)
                .group_by(LedgerAccount.centre_id, LedgerAccount.currency)
            )
        ).all()
    }
    for key in set(unpaid) | set(ledger):
        if unpaid.get(key, 0) != ledger.get(key, 0):
            out.append(
                Finding(
                    "voucher-receivable",
                    f"centre {key[0]} {key[1]}: voucher receivable {ledger.get(key, 0)}, "
                    f"unpaid redemptions {unpaid.get(key, 0)}",
                    [str(key[0])],
                )
            )
    return out


async def _voucher_claims_recorded(session: AsyncSession) -> list[Finding]:
    """A paid claim has one entry (source voucher_claim) crediting voucher receivable by its amount and
    every redemption in it paid; a rejected claim's redemptions are all rejected."""
    out: list[Finding] = []
    credited = {
        ref: int(-total)
        for ref, total in (
            await session.execute(
                select(JournalEntry.source_ref, func.sum(Posting.amount))
                .join(Posting, Posting.entry_id == JournalEntry.id)
                .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
                .where(
                    JournalEntry.source == EntrySource.voucher_claim,
                    LedgerAccount.purpose == AccountPurpose.voucher_receivable,
                )
                .group_by(JournalEntry.source_ref)
            )
        ).all()
    }
    states: dict[object, set[VoucherRedemptionStatus]] = {}
    for claim_id, status in (
        await session.execute(
            select(VoucherRedemption.claim_id, VoucherRedemption.status).where(VoucherRedemption.claim_id.is_not(None))
        )
    ).all():
        states.setdefault(claim_id, set()).add(status)
    for c in (await session.scalars(select(VoucherClaim))).all():
        ids = [str(c.id)]
        if c.status is VoucherClaimStatus.paid:
            if credited.get(str(c.id)) != c.amount:
                out.append(Finding("voucher-claim-entry", f"claim {c.id} is paid but has no entry of its amount", ids))
            if states.get(c.id) != {VoucherRedemptionStatus.paid}:
                out.append(Finding("voucher-claim-entry", f"claim {c.id} is paid but not all its redemptions", ids))
        elif str(c.id) in credited:
            out.append(Finding("voucher-claim-entry", f"claim {c.id} is {c.status.value} but has a payment entry", ids))
        if c.status is VoucherClaimStatus.rejected and states.get(c.id) != {VoucherRedemptionStatus.rejected}:
            out.append(Finding("voucher-claim-entry", f"claim {c.id} is rejected but its redemptions are not", ids))
    return out
