"""Card money as Stripe reports it, recorded once whatever order or how often it is reported.

Every handler reads the object's current state from Stripe (the event only says what to look at),
then brings our records up to that state: a succeeded intent becomes a card payment (Dr Stripe
clearing / Cr receivable) with Stripe's fee (Dr payment fees / Cr Stripe clearing) and the revenue
allocation; each refund at Stripe becomes a refund; a dispute withdraws, reinstates or loses funds;
a payout moves each centre's share of it from Stripe clearing to its bank. Each record is unique on
Stripe's id, so a repeated or late event changes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.card_payments import CardDispute, PaymentIntentAttempt, StripePayout
from models.enums import AccountPurpose, DisputeStatus, EntrySource, IntentStatus, PaymentChannel, RefundStatus
from models.ledger import BankAccount, JournalEntry
from models.organisations import Organisation
from models.settlements import Payment, Refund, Settlement
from services import clock, notifications
from services.errors import DomainError
from services.ledger import bank_accounts, chart, entries
from services.ledger.chart import AccountSpec
from services.notifications import Notice
from services.settlements import payments as receipts
from services.settlements import refunds
from services.stripe_gateway import BalanceTransaction, Charge, Intent, StripeGateway


@dataclass(frozen=True)
class Outcome:
    """What applying an event did: `applied` (money moved, or nothing was left to move), `flagged`
    (it disagrees with our records: stored, not applied, finance told), or `ignored`."""

    status: str
    detail: str = ""


APPLIED, FLAGGED, IGNORED = "applied", "flagged", "ignored"


async def clearing(session: AsyncSession, centre_id: uuid.UUID, currency: str):
    return await chart.account(session, centre_id, currency, AccountSpec(AccountPurpose.stripe_clearing))


async def _flag(session: AsyncSession, settlement: Settlement | None, detail: str) -> Outcome:
    if settlement is not None:
        await notifications.send(
            session,
            Notice.card_payment_flagged,
            about=settlement.number,
            subject_id=settlement.id,
            organisation_ids=[settlement.centre_id],
            text=detail,
        )
    return Outcome(FLAGGED, detail)


async def record_fee(session: AsyncSession, centre_id: uuid.UUID, bt: BalanceTransaction | None) -> None:
    """Stripe's fee on one balance transaction, once: Dr payment fees / Cr Stripe clearing."""
    if bt is None or bt.fee == 0:
        return
    fees = await chart.account(session, centre_id, bt.currency, AccountSpec(AccountPurpose.payment_fees))
    await entries.post(
        session,
        centre_id=centre_id,
        source=EntrySource.payment_fee,
        source_ref=bt.id,
        description=f"Stripe 手续费 / Stripe fee ({bt.type} {bt.source})",
        lines=[entries.debit(fees, bt.fee), entries.credit(await clearing(session, centre_id, bt.currency), bt.fee)],
    )


async def _card_payment(session: AsyncSession, charge_id: str) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.channel == PaymentChannel.card, Payment.external_ref == charge_id)
    )


async def record_intent(session: AsyncSession, intent: Intent) -> Outcome:
    """A succeeded intent as a card payment on its settlement (once), unless it disagrees with what we
    asked for or with what is still owed."""
    charge = intent.charge
    if intent.status != "succeeded" or charge is None:
        return Outcome(IGNORED, f"the intent is {intent.status}")
    existing = await _card_payment(session, charge.id)
    if existing is not None:
        await record_fee(session, existing.centre_id, charge.balance_transaction)
        return Outcome(APPLIED, "already recorded")
    attempt = await session.scalar(select(PaymentIntentAttempt).where(PaymentIntentAttempt.stripe_id == intent.id))
    settlement_id = attempt.settlement_id if attempt else _uuid(intent.metadata.get("settlement_id"))
    settlement = (
        await session.scalar(select(Settlement).where(Settlement.id == settlement_id).with_for_update())
        if settlement_id
        else None
    )
    if settlement is None:
        return await _flag(session, None, f"{intent.id} names no settlement of ours")
    problem = _disagreement(attempt, settlement, charge)
    if problem:
        return await _flag(session, settlement, f"{charge.id}: {problem}")
    receipt = receipts.Receipt(
        channel=PaymentChannel.card,
        amount=charge.amount,
        currency=charge.currency,
        account=await clearing(session, settlement.centre_id, charge.currency),
        booked_at=clock.now(),
        value_date=clock.now().date(),
        description=f"银行卡支付 / card payment {charge.id}",
        external_ref=charge.id,
    )
    payment = await receipts.receive(session, settlement, receipt)
    if attempt is not None:
        attempt.status = IntentStatus.succeeded
    await record_fee(session, payment.centre_id, charge.balance_transaction)
    return Outcome(APPLIED, f"{payment.amount} {payment.currency} on {settlement.number}")


def _disagreement(attempt: PaymentIntentAttempt | None, settlement: Settlement, charge: Charge) -> str | None:
    if attempt is None:
        return "no attempt of ours has this intent"
    if attempt.status is IntentStatus.canceled:
        return "the attempt was cancelled (the amount owed changed): refund it or apply it by hand"
    if charge.currency != settlement.currency:
        return f"charged in {charge.currency}, the settlement is in {settlement.currency}"
    if charge.amount != attempt.amount:
        return f"charged {charge.amount}, the intent asked for {attempt.amount}"
    if charge.amount > settlement.outstanding:
        return f"charged {charge.amount}, only {settlement.outstanding} is owed"
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def settle_intent(session: AsyncSession, gateway: StripeGateway, intent_id: str) -> Outcome:
    """payment_intent.succeeded: the intent as Stripe has it now."""
    return await record_intent(session, await gateway.retrieve_intent(intent_id))


async def intent_failed(session: AsyncSession, gateway: StripeGateway, intent_id: str, status: IntentStatus) -> Outcome:
    """payment_intent.payment_failed / .canceled: our attempt says so (the client may try again)."""
    attempt = await session.scalar(select(PaymentIntentAttempt).where(PaymentIntentAttempt.stripe_id == intent_id))
    if attempt is None:
        return Outcome(IGNORED, "not one of our intents")
    intent = await gateway.retrieve_intent(intent_id)
    if intent.status == "succeeded":  # a later success overtook this event
        return await record_intent(session, intent)
    if attempt.status in (IntentStatus.creating, IntentStatus.open):
        attempt.status = status
    return Outcome(APPLIED, f"attempt {attempt.attempt} {attempt.status.value}")


async def sync_charge(session: AsyncSession, gateway: StripeGateway, charge_id: str) -> Outcome:
    """charge.refunded (and any event naming a charge): its payment recorded, then every refund."""
    charge = await gateway.retrieve_charge(charge_id)
    payment = await _card_payment(session, charge.id)
    if payment is None:
        if charge.payment_intent is None:
            return await _flag(session, None, f"{charge.id} has no payment intent")
        outcome = await record_intent(session, await gateway.retrieve_intent(charge.payment_intent))
        payment = await _card_payment(session, charge.id)
        if payment is None:
            return outcome
    locked, settlement = await refunds.lock_payment(session, payment.id)
    known = set((await session.scalars(select(Refund.external_ref).where(Refund.payment_id == locked.id))).all())
    done = 0
    for r in charge.refunds:
        if r.id in known or r.status not in ("succeeded", "pending"):
            continue
        try:
            await refunds.give_back(
                session,
                locked,
                settlement,
                refunds.Giveback(
                    r.amount,
                    r.currency,
                    await clearing(session, locked.centre_id, r.currency),
                    f"银行卡退款 / card refund {r.id}",
                    external_ref=r.id,
                    status=RefundStatus(r.status),
                ),
            )
        except DomainError as exc:
            return await _flag(session, settlement, f"{r.id}: {exc.detail or exc.title}")
        done += 1
    return Outcome(APPLIED, f"{done} refund(s) recorded")


async def sync_dispute(session: AsyncSession, gateway: StripeGateway, dispute_id: str) -> Outcome:
    """charge.dispute.*: funds withdrawn (Dr disputed funds / Cr Stripe clearing) when it opens;
    reinstated when won; lost: the card holder has the money, so the settlement owes it again."""
    dispute = await gateway.retrieve_dispute(dispute_id)
    outcome = await sync_charge(session, gateway, dispute.charge)
    payment = await _card_payment(session, dispute.charge)
    if payment is None:
        return outcome
    locked, settlement = await refunds.lock_payment(session, payment.id)
    disputed = await chart.account(
        session, locked.centre_id, dispute.currency, AccountSpec(AccountPurpose.disputed_funds)
    )
    stripe_clearing = await clearing(session, locked.centre_id, dispute.currency)
    row = await session.scalar(select(CardDispute).where(CardDispute.stripe_id == dispute.id).with_for_update())
    if row is None:
        row = CardDispute(
            stripe_id=dispute.id,
            payment_id=locked.id,
            amount=dispute.amount,
            currency=dispute.currency,
            status=DisputeStatus.open,
        )
        session.add(row)
        await session.flush()
        await entries.post(
            session,
            centre_id=locked.centre_id,
            source=EntrySource.dispute,
            source_ref=f"{dispute.id}:withdrawn",
            description=f"{settlement.number} 银行卡争议，款项冻结 / dispute opened {dispute.id}",
            lines=[entries.debit(disputed, dispute.amount), entries.credit(stripe_clearing, dispute.amount)],
        )
    for bt in dispute.balance_transactions:
        await record_fee(session, locked.centre_id, bt)
    if row.status is DisputeStatus.open and dispute.status == "won":
        await entries.post(
            session,
            centre_id=locked.centre_id,
            source=EntrySource.dispute,
            source_ref=f"{dispute.id}:reinstated",
            description=f"{settlement.number} 争议胜诉，款项退回 / dispute won {dispute.id}",
            lines=[entries.debit(stripe_clearing, row.amount), entries.credit(disputed, row.amount)],
        )
        row.status = DisputeStatus.won
    elif row.status is DisputeStatus.open and dispute.status == "lost":
        await refunds.give_back(
            session,
            locked,
            settlement,
            refunds.Giveback(
                row.amount,
                row.currency,
                disputed,
                f"争议败诉 / dispute lost {dispute.id}",
                reason="card dispute lost",
                external_ref=dispute.id,
            ),
        )
        row.status = DisputeStatus.lost
    await session.flush()
    return Outcome(APPLIED, f"dispute {row.status.value}")


async def _centre_of_transaction(
    session: AsyncSession, gateway: StripeGateway, bt: BalanceTransaction
) -> uuid.UUID | None:
    """Whose money a balance transaction is: the centre of the payment it comes from (recorded first
    if its event has not arrived yet)."""
    source = bt.source or ""
    if source.startswith("ch_") or bt.type in ("charge", "payment"):
        await sync_charge(session, gateway, source)
        payment = await _card_payment(session, source)
    elif source.startswith("re_") or bt.type == "refund":
        refund = await session.scalar(select(Refund).where(Refund.external_ref == source))
        payment = await session.get(Payment, refund.payment_id) if refund else None
    elif source.startswith("dp_") or bt.type == "adjustment":
        await sync_dispute(session, gateway, source)
        dispute = await session.scalar(select(CardDispute).where(CardDispute.stripe_id == source))
        payment = await session.get(Payment, dispute.payment_id) if dispute else None
    else:
        return None
    if payment is None:
        return None
    await record_fee(session, payment.centre_id, bt)
    return payment.centre_id


async def sync_payout(session: AsyncSession, gateway: StripeGateway, payout_id: str) -> Outcome:
    """payout.paid: each centre's share of the payout (the net of its balance transactions) moves
    from Stripe clearing to its bank account (Dr bank / Cr clearing); payout.failed reverses that."""
    payout = await gateway.retrieve_payout(payout_id)
    row = await session.scalar(select(StripePayout).where(StripePayout.stripe_id == payout.id).with_for_update())
    if row is None:
        row = StripePayout(stripe_id=payout.id, amount=payout.amount, currency=payout.currency, status="pending")
        session.add(row)
        await session.flush()
    booked = (
        await session.scalars(
            select(JournalEntry).where(
                JournalEntry.source == EntrySource.payout, JournalEntry.source_ref.like(f"{payout.id}:%")
            )
        )
    ).all()
    if payout.status == "failed":
        for entry in booked:
            if not entry.source_ref.endswith(":failed") and entry.reverses_entry_id is None:
                reversal = await session.scalar(
                    select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry.id)
                )
                if reversal is None:
                    await entries.reverse(
                        session,
                        await entries.load(session, entry.id),
                        description=f"Stripe 提现失败 / payout failed {payout.id}",
                        created_by=None,
                    )
        row.status = "failed"
        return Outcome(APPLIED, "payout failed")
    if payout.status != "paid":
        return Outcome(IGNORED, f"the payout is {payout.status}")
    if booked:
        row.status = "paid"
        return Outcome(APPLIED, "already booked")
    shares: dict[uuid.UUID, int] = defaultdict(int)
    async for bt in gateway.balance_transactions(payout=payout.id):
        if bt.type in ("payout", "payout_failure"):
            continue
        centre_id = await _centre_of_transaction(session, gateway, bt)
        if centre_id is None:
            return await _flag(session, None, f"{payout.id}: {bt.id} ({bt.type} {bt.source}) is none of ours")
        shares[centre_id] += bt.net
    for centre_id, amount in shares.items():
        if amount == 0:
            continue
        bank = await session.scalar(
            select(BankAccount)
            .where(BankAccount.centre_id == centre_id, BankAccount.currency == payout.currency)
            .order_by(BankAccount.created_at, BankAccount.id)
        )
        if bank is None:
            centre = await session.get(Organisation, centre_id)
            return await _flag(
                session,
                None,
                f"{payout.id}: {centre.name if centre else centre_id} has no {payout.currency} bank account",
            )
        await entries.post(
            session,
            centre_id=centre_id,
            source=EntrySource.payout,
            source_ref=f"{payout.id}:{centre_id}",
            description=f"Stripe 提现到账 / Stripe payout {payout.id}",
            lines=[
                entries.debit(await bank_accounts.ledger_account(session, bank), amount, memo=payout.id),
                entries.credit(await clearing(session, centre_id, payout.currency), amount),
            ],
        )
    row.status = "paid"
    return Outcome(APPLIED, f"{len(shares)} centre(s)")
