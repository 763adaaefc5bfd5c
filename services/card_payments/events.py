"""Stripe's webhook: verify the signature over the raw body, store each event once, apply it.

An event is stored (its id unique) in a transaction of its own, then applied in another under the
stored row's lock, so a duplicate delivery, even a concurrent one, waits and finds it applied. An
event that fails to apply stays `received` and the answer is 503: Stripe delivers it again. What
an event means is read from Stripe's current state (services/card_payments/charges.py), so events
arriving late, twice or out of order all end in the same ledger.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.card_payments import StripeEvent
from models.enums import IntentStatus, StripeEventStatus
from services import clock
from services.card_payments import charges
from services.db import Database
from services.errors import Unavailable
from services.stripe_gateway import Event, StripeGateway

log = logging.getLogger(__name__)

HANDLED = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "payout.paid",
    "payout.failed",
)


class EventNotApplied(Unavailable):
    title = "The event could not be applied now; Stripe will deliver it again"
    slug = "stripe-event-retry"


async def receive(db: Database, gateway: StripeGateway, payload: bytes, signature: str | None) -> StripeEvent:
    """Verify, store once, apply; a repeat finds the stored event and changes nothing."""
    event = gateway.parse_event(payload, signature)
    async with db.session_scope() as session:
        if await session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id)) is None:
            try:
                async with session.begin_nested():
                    session.add(
                        StripeEvent(
                            event_id=event.id,
                            type=event.type,
                            object_id=event.object_id,
                            payload=event.payload,
                            status=StripeEventStatus.received,
                        )
                    )
                    await session.flush()
            except IntegrityError:
                pass  # a concurrent delivery stored it first
    try:
        async with db.session_scope() as session:
            row = await session.scalar(select(StripeEvent).where(StripeEvent.event_id == event.id).with_for_update())
            assert row is not None
            if row.status is not StripeEventStatus.received:
                return row
            outcome = await apply(session, gateway, event)
            row.status = StripeEventStatus(outcome.status)
            row.detail = outcome.detail[:1000] or None
            row.applied_at = clock.now()
            return row
    except Unavailable:
        raise
    except Exception as exc:
        log.exception("stripe event %s (%s) not applied", event.id, event.type)
        raise EventNotApplied(f"{event.type} {event.id}: {type(exc).__name__}") from exc


async def apply(session: AsyncSession, gateway: StripeGateway, event: Event) -> charges.Outcome:
    """What the event asks for, from the current state of the object it names."""
    obj = event.payload.get("data", {}).get("object", {})
    kind = event.type
    if kind == "payment_intent.succeeded":
        return await charges.settle_intent(session, gateway, obj["id"])
    if kind == "payment_intent.payment_failed":
        return await charges.intent_failed(session, gateway, obj["id"], IntentStatus.failed)
    if kind == "payment_intent.canceled":
        return await charges.intent_failed(session, gateway, obj["id"], IntentStatus.canceled)
    if kind in ("charge.refunded", "charge.refund.updated"):
        return await charges.sync_charge(session, gateway, obj["id"] if kind == "charge.refunded" else obj["charge"])
    if kind.startswith("charge.dispute."):
        return await charges.sync_dispute(session, gateway, obj["id"])
    if kind in ("payout.paid", "payout.failed"):
        return await charges.sync_payout(session, gateway, obj["id"])
    return charges.Outcome(charges.IGNORED, f"{kind} is not acted on")
