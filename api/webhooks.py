"""Stripe's webhook: no caller, no token; the signature over the raw body is the authentication
(apart from every other router on purpose: it opens its own transactions, services/card_payments/events.py)."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request

from api.deps import API_PREFIX, DatabaseDep, StripeDep
from api.errors import problems_doc
from api.schemas.card_payments import WebhookAnswer
from services.card_payments import events
from services.stripe_gateway import InvalidSignature, StripeUnavailable, WebhookNotConfigured

router = APIRouter(prefix=API_PREFIX, tags=["webhooks"])


@router.post(
    "/webhooks/stripe",
    operation_id="receiveStripeWebhook",
    response_model=WebhookAnswer,
    responses={
        400: problems_doc(InvalidSignature, WebhookNotConfigured),
        503: problems_doc(events.EventNotApplied, StripeUnavailable),
    },
)
async def stripe_webhook(
    request: Request,
    db: DatabaseDep,
    stripe: StripeDep,
    stripe_signature: str | None = Header(default=None, alias="Stripe-Signature"),
) -> WebhookAnswer:
    """Stripe's events, signed with the endpoint secret: each stored once and applied once, in any order
    (payments, fees, refunds, disputes, payouts move in the ledger); repeats answer 200 and change nothing."""
    row = await events.receive(db, stripe, await request.body(), stripe_signature)
    return WebhookAnswer(event_id=row.event_id, type=row.type, status=row.status)
