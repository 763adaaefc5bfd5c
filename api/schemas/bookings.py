"""Wire shapes of instrument bookings, trainings, the waitlist and the calendar link."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, StrictInt

from api.schemas.common import InputModel, Money, OutputModel
from models.enums import BookingState, ChargeKind, CustomerTier, MembershipTier, RateUnit, WaitlistState

MAX_WEEKLY_OCCURRENCES = 26


class BookingCreate(InputModel):
    instrument_id: uuid.UUID
    start_at: datetime | None = Field(default=None, description="Slot start, RFC 3339 with offset")
    end_at: datetime | None = Field(default=None, description="Slot end (exclusive), RFC 3339 with offset")
    sample_count: StrictInt | None = Field(
        default=None, ge=1, le=10_000, description="Book per sample (priced by the per-sample rate); a slot is optional"
    )
    weekly_occurrences: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_WEEKLY_OCCURRENCES,
        description=f"Repeat the slot weekly this many times in all (at most {MAX_WEEKLY_OCCURRENCES}); "
        "created all or nothing",
    )
    customer_org_id: uuid.UUID | None = Field(
        default=None,
        description="The organisation booking (default: the caller's only SME); centre staff name the customer "
        "to book on its behalf",
    )
    user_id: uuid.UUID | None = Field(
        default=None, description="Staff booking on a customer's behalf: the customer's user who will use the slot"
    )
    purpose: str | None = Field(default=None, max_length=2000)


class PriceSnapshot(OutputModel):
    customer_tier: CustomerTier
    unit: RateUnit
    unit_rate: Money = Field(description="Per hour or per sample, before the membership discount")
    membership_tier: MembershipTier | None
    discount_bps: int
    min_billed_quantity: int = Field(description="Minutes (hourly rate) or samples billed at least")
    booked_quantity: int = Field(description="Minutes of the slot, or samples asked for")
    quoted: Money


class CancellationPolicy(OutputModel):
    free_cancellation_hours: int
    cancellation_fee_bps: int
    no_show_fee_bps: int


class Charge(OutputModel):
    kind: ChargeKind
    amount: Money
    charged_at: datetime


class BookingRead(OutputModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    provider_org_id: uuid.UUID
    centre_id: uuid.UUID
    customer_org_id: uuid.UUID
    user_id: uuid.UUID | None
    staff_user_id: uuid.UUID | None
    state: BookingState
    start_at: datetime | None
    end_at: datetime | None
    sample_count: int | None
    purpose: str | None
    series_id: uuid.UUID | None
    price: PriceSnapshot
    cancellation_policy: CancellationPolicy
    actual_quantity: int | None
    final_charge: Money | None
    cancellation_fee: Money | None
    charge: Charge | None = Field(description="What the booking owes (usage, cancellation or no-show fee)")
    decision_reason: str | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class QuoteOccurrence(OutputModel):
    start_at: datetime | None
    end_at: datetime | None
    sample_count: int | None
    booked_quantity: int
    amount: Money


class Quote(OutputModel):
    instrument_id: uuid.UUID
    customer_org_id: uuid.UUID
    customer_tier: CustomerTier
    unit: RateUnit
    unit_rate: Money
    membership_tier: MembershipTier | None
    discount_bps: int
    min_billed_quantity: int
    initial_state: BookingState = Field(description="requested (staff confirm) or confirmed at once")
    occurrences: list[QuoteOccurrence]
    total: Money
    cancellation_policy: CancellationPolicy


class RejectBody(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class CancelBody(InputModel):
    reason: str | None = Field(default=None, max_length=500)


class CompleteBody(InputModel):
    actual_minutes: StrictInt | None = Field(default=None, ge=1, le=100_000, description="Hourly bookings")
    actual_samples: StrictInt | None = Field(default=None, ge=1, le=10_000, description="Per-sample bookings")


class TrainingCreate(InputModel):
    user_id: uuid.UUID
    trained_at: datetime | None = Field(default=None, description="Default: now")
    expires_at: datetime | None = Field(default=None, description="None: does not expire")
    note: str | None = Field(default=None, max_length=500)


class TrainingRead(OutputModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    user_id: uuid.UUID
    trained_at: datetime
    expires_at: datetime | None
    note: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime


class WaitlistCreate(InputModel):
    start_at: datetime
    end_at: datetime
    customer_org_id: uuid.UUID | None = None


class WaitlistRead(OutputModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    customer_org_id: uuid.UUID
    user_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    state: WaitlistState
    notified_at: datetime | None
    created_at: datetime


class CalendarLink(OutputModel):
    instrument_id: uuid.UUID
    url: str = Field(description="The secret feed URL; shown once, store it in the calendar app")
    created_at: datetime
