"""Card payments on the wire: a PaymentIntent to confirm, refunds, the webhook's answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import InputModel, Money, MoneyIn, OutputModel
from models.enums import IntentStatus, RefundStatus, StripeEventStatus
from models.settlements import Refund
from services.card_payments import StartedIntent
from services.money import MAX_AMOUNT


class PaymentIntentRead(OutputModel):
    """Confirm it with Stripe's SDK (Stripe.js, the iOS or Android SDK) using `client_secret`; the
    settlement records the payment when Stripe tells the marketplace it succeeded."""

    settlement_id: uuid.UUID
    attempt: int = Field(
        description="1 for the first intent of this settlement; a new one when the amount owed changes"
    )
    payment_intent_id: str = Field(description="Stripe's PaymentIntent id (pi_…)")
    client_secret: str = Field(description="For the client's SDK only; never log or store it")
    amount: Money = Field(description="What is still owed after vouchers and earlier payments")
    status: IntentStatus
    stripe_status: str = Field(description="Stripe's status of the intent, e.g. requires_payment_method")

    @classmethod
    def of(cls, started: StartedIntent) -> PaymentIntentRead:
        a = started.attempt
        return cls(
            settlement_id=a.settlement_id,
            attempt=a.attempt,
            payment_intent_id=started.stripe_id,
            client_secret=started.client_secret,
            amount=Money(amount=a.amount, currency=a.currency),
            status=a.status,
            stripe_status=started.status,
        )


class RefundCreate(InputModel):
    amount: MoneyIn = Field(description="At most what is left of the payment (partial refunds allowed)")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _positive(self) -> RefundCreate:
        if not 0 < self.amount.amount <= MAX_AMOUNT:
            raise ValueError(f"amount must be between 1 and {MAX_AMOUNT} minor units")
        return self


class RefundRead(OutputModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount: Money
    status: RefundStatus
    reason: str | None
    external_ref: str | None = Field(description="Stripe's refund id (re_…) for a card payment")
    entry_id: uuid.UUID | None = Field(description="The journal entry that reversed the receipt")
    created_at: datetime

    @classmethod
    def of(cls, r: Refund) -> RefundRead:
        return cls(
            id=r.id,
            payment_id=r.payment_id,
            amount=Money(amount=r.amount, currency=r.currency),
            status=r.status,
            reason=r.reason,
            external_ref=r.external_ref,
            entry_id=r.entry_id,
            created_at=r.created_at,
        )


class WebhookAnswer(OutputModel):
    event_id: str
    type: str
    status: StripeEventStatus = Field(description="applied, flagged (stored, not applied; finance told) or ignored")
