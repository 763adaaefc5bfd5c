"""Card payments with Stripe: each PaymentIntent we asked for, each webhook event received, card
disputes and payouts. Money itself moves in the ledger (entries naming these as their source)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, enum_column, stamped_at
from models.enums import DisputeStatus, IntentStatus, StripeEventStatus


class PaymentIntentAttempt(IdMixin, Base):
    """One PaymentIntent for a settlement. Its idempotency key (`payment_intent:{settlement}:{attempt}`)
    is committed before Stripe is called, so a retry after any crash asks Stripe with the same key."""

    __tablename__ = "payment_intent_attempts"
    __table_args__ = (UniqueConstraint("settlement_id", "attempt"),)

    settlement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("settlements.id", ondelete="RESTRICT"))
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[IntentStatus] = mapped_column(enum_column(IntentStatus, "intent_status"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")


class StripeEvent(IdMixin, Base):
    """Each webhook event, stored once (its id is unique) before it is applied."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[StripeEventStatus] = mapped_column(enum_column(StripeEventStatus, "stripe_event_status"))
    detail: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = stamped_at()
    applied_at: Mapped[datetime | None]


class CardDispute(IdMixin, Base):
    """A card holder's dispute of a payment: the funds Stripe withdrew, and how it ended."""

    __tablename__ = "card_disputes"

    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus, "dispute_status"))
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")


class StripePayout(IdMixin, Base):
    """A Stripe payout to the bank, split by centre from its balance transactions."""

    __tablename__ = "stripe_payouts"

    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # paid / failed
    created_at: Mapped[datetime] = stamped_at()
    updated_at: Mapped[datetime] = stamped_at("update")
