"""Refunds finance asks for (`POST /payments/{id}/refunds`): full or partial, never beyond what the
payment brought in, under the payment's row lock (concurrent refunds beyond it are refused).

A card payment is refunded through Stripe: its refunds at Stripe are read and recorded first (one
made in the dashboard, or one whose answer was lost to a crash), then a new one is asked for with an
idempotency key made of our ids and what was refunded so far, so a retry after a crash asks Stripe
the same question and gets the same refund. A bank transfer is refunded by bank transfer, which
finance records here.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import PaymentChannel
from models.settlements import Refund, Settlement
from services.actors import Actor
from services.card_payments import charges
from services.errors import Conflict
from services.ledger import access
from services.settlements import refunds
from services.settlements.core import visible_settlements
from services.stripe_gateway import StripeGateway


class NotRefundable(Conflict):
    title = "This payment is not refunded here"
    slug = "payment-not-refundable"


async def refund(
    session: AsyncSession, actor: Actor, gateway: StripeGateway, payment_id: uuid.UUID, *, amount: int, reason: str
) -> Refund:
    """Refund part or all of a payment (the centre's finance)."""
    payment, settlement = await refunds.lock_payment(session, payment_id)
    # A payment is as visible as its settlement (its debtor, the provider's staff, the centre's
    # finance): 404 for the others, then 403 for those who see it but are not the centre's finance.
    if await session.scalar(visible_settlements(actor).where(Settlement.id == settlement.id)) is None:
        raise refunds.PaymentNotFound()
    access.require_of_visible(actor, payment.centre_id, write=True)
    if payment.channel is PaymentChannel.bank_transfer:
        return await refunds.refund_offline(
            session, payment, settlement, amount=amount, reason=reason, user_id=actor.user_id
        )
    if payment.channel is not PaymentChannel.card or payment.external_ref is None:
        raise NotRefundable("a voucher's share is returned by rejecting its claim")
    await charges.sync_charge(session, gateway, payment.external_ref)  # refunds made elsewhere first
    payment, settlement = await refunds.lock_payment(session, payment_id)
    assert payment.external_ref is not None
    left = payment.amount - payment.refunded_amount
    if amount > left:
        raise refunds.RefundTooLarge(
            f"{left} {payment.currency} of the payment is left to refund",
            refundable={"amount": left, "currency": payment.currency},
        )
    at_stripe = await gateway.create_refund(
        charge_id=payment.external_ref,
        amount=amount,
        idempotency_key=f"refund:{payment.id}:{payment.refunded_amount}:{amount}",
        metadata={"payment_id": str(payment.id), "settlement_id": str(settlement.id), "reason": reason[:400]},
    )
    return await refunds.give_back(
        session,
        payment,
        settlement,
        refunds.Giveback(
            amount,
            payment.currency,
            await charges.clearing(session, payment.centre_id, payment.currency),
            f"银行卡退款 / card refund {at_stripe.id}",
            reason=reason,
            external_ref=at_stripe.id,
            created_by=actor.user_id,
        ),
    )
