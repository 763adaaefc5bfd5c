"""Card payments: a PaymentIntent for what a settlement still owes, and refunds of payments."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from api.deps import (
    API_PREFIX,
    BEARER,
    CurrentActor,
    CurrentReadActor,
    DatabaseDep,
    RequiredIdempotencyDep,
    SessionDep,
    StripeDep,
)
from api.errors import Responses, problem, problems_doc
from api.schemas.card_payments import PaymentIntentRead, RefundCreate, RefundRead
from services import card_payments, settlements
from services.card_payments import intents
from services.card_payments import refunds as card_refunds
from services.errors import Invalid, RoleNotAllowed
from services.ledger import access
from services.settlements import refunds
from services.stripe_gateway import CardPaymentsNotConfigured, StripeRefused, StripeUnavailable

router = APIRouter(prefix=API_PREFIX, tags=["settlements"])

STRIPE: Responses = {503: problems_doc(CardPaymentsNotConfigured, StripeUnavailable)}


@router.post(
    "/settlements/{settlement_id}/payment-intents",
    operation_id="createPaymentIntent",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentIntentRead,
    openapi_extra=BEARER,
    responses={
        **STRIPE,
        403: problem(RoleNotAllowed),
        404: problem(settlements.SettlementNotFound),
        409: problems_doc(settlements.SettlementClosed, intents.PaymentAlreadySucceeded, StripeRefused),
    },
)
async def create_payment_intent(
    settlement_id: uuid.UUID, actor: CurrentReadActor, db: DatabaseDep, stripe: StripeDep
) -> PaymentIntentRead:
    """A Stripe PaymentIntent for what the settlement still owes (members of the organisation that owes
    it); confirm it with the client secret. Asking again returns the same intent until the amount owed
    changes (a voucher or another payment), which cancels it and makes a new one."""
    return PaymentIntentRead.of(await card_payments.start(db, stripe, actor, settlement_id))


@router.post(
    "/payments/{payment_id}/refunds",
    operation_id="refundPayment",
    status_code=status.HTTP_201_CREATED,
    response_model=RefundRead,
    responses={
        **STRIPE,
        403: problem(access.FinanceOnly),
        404: problem(refunds.PaymentNotFound),
        409: problems_doc(refunds.RefundTooLarge, refunds.PaymentReversed, card_refunds.NotRefundable, StripeRefused),
        422: problem(Invalid),
    },
)
async def refund_payment(
    payment_id: uuid.UUID,
    body: RefundCreate,
    actor: CurrentActor,
    session: SessionDep,
    stripe: StripeDep,
    idem: RequiredIdempotencyDep,
) -> Response:
    """Finance refunds part or all of a payment, never beyond what it brought in: a card payment through
    Stripe, a bank transfer as recorded by finance. The settlement owes the refund again, and the
    payment's revenue shares are taken back pro rata."""

    async def run() -> RefundRead:
        refund = await card_refunds.refund(
            session, actor, stripe, payment_id, amount=body.amount.amount, reason=body.reason
        )
        return RefundRead.of(refund)

    return await idem.run(run, RefundRead)
