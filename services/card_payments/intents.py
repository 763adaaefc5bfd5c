"""PaymentIntents: an SME pays what is still owed on a settlement by card.

Each attempt's Stripe idempotency key (`payment_intent:{settlement}:{attempt}`) is committed in a
transaction of its own before Stripe is called, under the settlement's row lock: a crash between
the call and saving Stripe's answer, or a retry, or a concurrent request, asks Stripe again with the
same key and gets the same intent. A new attempt (and key) is made only when the amount still owed
has changed (a voucher applied, a partial payment); the open one is cancelled at Stripe first.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.card_payments import PaymentIntentAttempt
from models.enums import IntentStatus, SettlementStatus
from models.settlements import Settlement
from services import settlements
from services.actors import Actor
from services.db import Database
from services.errors import Conflict, DomainError, RoleNotAllowed
from services.stripe_gateway import CardPaymentsNotConfigured, StripeGateway

log = logging.getLogger(__name__)

LIVE = (IntentStatus.creating, IntentStatus.open)


class PaymentAlreadySucceeded(Conflict):
    title = "A card payment for this settlement succeeded and is being recorded; check again shortly"
    slug = "card-payment-pending"


@dataclass(frozen=True)
class StartedIntent:
    """What the client needs to confirm the payment with Stripe's SDK."""

    attempt: PaymentIntentAttempt
    stripe_id: str
    client_secret: str
    status: str


def idempotency_key(settlement_id: uuid.UUID, attempt: int) -> str:
    return f"payment_intent:{settlement_id}:{attempt}"


async def _claim(
    db: Database, actor: Actor, settlement_id: uuid.UUID
) -> tuple[Settlement, PaymentIntentAttempt, list[str]]:
    """The attempt to create or resume, committed before Stripe is called, and the Stripe ids of
    attempts it replaces (to cancel there)."""
    async with db.session_scope() as session:
        settlement = await settlements.get(session, actor, settlement_id, lock=True)
        if settlement.debtor_org_id not in {m.organisation_id for m in actor.memberships}:
            raise RoleNotAllowed("only members of the organisation that owes it pay a settlement by card")
        if settlement.status in (SettlementStatus.paid, SettlementStatus.written_off) or settlement.outstanding <= 0:
            raise settlements.SettlementClosed(f"{settlement.number} is {settlement.status.value}")
        attempts = (
            await session.scalars(
                select(PaymentIntentAttempt)
                .where(PaymentIntentAttempt.settlement_id == settlement.id)
                .order_by(PaymentIntentAttempt.attempt.desc())
            )
        ).all()
        if any(a.status is IntentStatus.succeeded for a in attempts):
            raise PaymentAlreadySucceeded()
        live = [a for a in attempts if a.status in LIVE]
        for a in live:
            if a.amount == settlement.outstanding and a.currency == settlement.currency:
                session.expunge_all()
                return settlement, a, []
        replaced = []
        for a in live:  # the amount owed changed: these must not be paid any more
            a.status = IntentStatus.canceled
            if a.stripe_id:
                replaced.append(a.stripe_id)
        number = (attempts[0].attempt if attempts else 0) + 1
        attempt = PaymentIntentAttempt(
            settlement_id=settlement.id,
            attempt=number,
            idempotency_key=idempotency_key(settlement.id, number),
            amount=settlement.outstanding,
            currency=settlement.currency,
            status=IntentStatus.creating,
            requested_by=actor.user_id,
        )
        session.add(attempt)
        await session.flush()
        session.expunge_all()
    return settlement, attempt, replaced


async def start(db: Database, gateway: StripeGateway, actor: Actor, settlement_id: uuid.UUID) -> StartedIntent:
    """A PaymentIntent for what is still owed (after vouchers and earlier payments), for a member of
    the settlement's debtor; the same one on a retry while the amount owed is unchanged. It runs its
    own transactions (the caller holds none): the attempt is committed before Stripe is called."""
    if not gateway.configured:
        raise CardPaymentsNotConfigured()
    settlement, attempt, replaced = await _claim(db, actor, settlement_id)
    for stripe_id in replaced:
        await gateway.cancel_intent(stripe_id)
    intent = await gateway.create_intent(
        amount=attempt.amount,
        currency=attempt.currency,
        idempotency_key=attempt.idempotency_key,
        description=f"{settlement.number} {settlement.description}",
        metadata={
            "settlement_id": str(settlement.id),
            "settlement_number": settlement.number,
            "source": settlement.source.value,
            "source_id": str(settlement.source_id),
            "contract_id": str(settlement.contract_id or ""),
            "centre_id": str(settlement.centre_id),
            "attempt": str(attempt.attempt),
        },
    )
    async with db.session_scope() as s:
        row = await s.get(PaymentIntentAttempt, attempt.id)
        assert row is not None
        if row.stripe_id is None:
            row.stripe_id = intent.id
        if row.status is IntentStatus.creating:
            row.status = IntentStatus.open
        attempt = row
    return StartedIntent(attempt, intent.id, intent.client_secret or "", intent.status)


async def remainder_changed(session: AsyncSession, settlement: Settlement) -> list[str]:
    """The amount owed changed outside a card payment (a voucher redemption, a bank transfer): open
    attempts must not be paid any more. They are cancelled here, in the caller's transaction; the
    caller then cancels the returned Stripe intents with `cancel_at_stripe` (a payment of one that
    still arrives is flagged for finance, not applied)."""
    live = (
        await session.scalars(
            select(PaymentIntentAttempt).where(
                PaymentIntentAttempt.settlement_id == settlement.id, PaymentIntentAttempt.status.in_(LIVE)
            )
        )
    ).all()
    for attempt in live:
        attempt.status = IntentStatus.canceled
    await session.flush()
    return [a.stripe_id for a in live if a.stripe_id]


async def cancel_at_stripe(gateway: StripeGateway, stripe_ids: list[str]) -> None:
    """Cancel intents at Stripe, best effort: one that cannot be cancelled (already paid, Stripe
    unreachable) is caught by the webhook, which flags a payment of a cancelled attempt."""
    for stripe_id in stripe_ids:
        try:
            await gateway.cancel_intent(stripe_id)
        except DomainError as exc:
            log.warning("could not cancel payment intent %s at Stripe: %s", stripe_id, exc)
