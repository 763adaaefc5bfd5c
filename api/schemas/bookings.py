"""Wire shapes of instrument bookings, trainings, the waitlist and the calendar link."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, model_validator

from api.schemas.common import InputModel, Instant, Money, OutputModel
from models.bookings import Booking
from models.enums import BookingState, ChargeKind, CustomerTier, MembershipTier, RateUnit, WaitlistState
from services.bookings import MAX_WEEKLY_OCCURRENCES, BookingInput, BookingView, Plan


class BookingCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "instrument_id": "0192f3a0-5b7c-7d2e-8f10-3a4b5c6d7e8f",
                    "start_at": "2027-01-12T09:00:00+08:00",
                    "end_at": "2027-01-12T11:00:00+08:00",
                    "purpose": "正极材料截面形貌观察",
                }
            ]
        }
    )

    instrument_id: uuid.UUID
    start_at: Instant | None = Field(default=None, description="Slot start, RFC 3339 with offset")
    end_at: Instant | None = Field(default=None, description="Slot end (exclusive), RFC 3339 with offset")
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

    def to_input(self) -> BookingInput:
        return BookingInput(
            instrument_id=self.instrument_id,
            start_at=self.start_at,
            end_at=self.end_at,
            sample_count=self.sample_count,
            weekly_occurrences=self.weekly_occurrences,
            customer_org_id=self.customer_org_id,
            user_id=self.user_id,
            purpose=self.purpose,
        )


class PriceSnapshot(OutputModel):
    customer_tier: CustomerTier
    unit: RateUnit
    unit_rate: Money = Field(description="Per hour or per sample, before the membership discount")
    membership_tier: MembershipTier | None
    discount_bps: int
    min_billed_quantity: int = Field(description="Minutes (hourly rate) or samples billed at least")
    booked_quantity: int = Field(description="Minutes of the slot, or samples asked for")
    quoted: Money

    @model_validator(mode="before")
    @classmethod
    def _from_booking(cls, data: Any) -> Any:
        """The snapshot columns of a booking, its amounts as Money."""
        if not isinstance(data, Booking):
            return data
        return {
            "customer_tier": data.customer_tier,
            "unit": data.unit,
            "unit_rate": Money(amount=data.unit_rate_amount, currency=data.currency),
            "membership_tier": data.membership_tier,
            "discount_bps": data.discount_bps,
            "min_billed_quantity": data.min_billed_quantity,
            "booked_quantity": data.booked_quantity,
            "quoted": Money(amount=data.quoted_amount, currency=data.currency),
        }


class CancellationPolicy(OutputModel):
    free_cancellation_hours: int
    cancellation_fee_bps: int
    no_show_fee_bps: int


class Charge(OutputModel):
    kind: ChargeKind
    amount: Money
    charged_at: datetime


def _money(amount: int | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


# Wire objects a booking's flat columns are grouped into (the rest are read by name).
_GROUPED = frozenset({"instrument", "price", "cancellation_policy", "final_charge", "cancellation_fee", "charge"})


class BookedInstrumentRead(OutputModel):
    id: uuid.UUID
    title: str
    centre_id: uuid.UUID
    centre_name: str


class BookingRead(OutputModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    instrument: BookedInstrumentRead = Field(
        description="The instrument's title and centre, so a list of bookings needs no call per booking"
    )
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
    final_charge: Money | None = Field(description="null until the booking is completed")
    cancellation_fee: Money | None = Field(
        description="null unless the booking was cancelled or marked a no-show; then always Money: the cancellation "
        "or no-show fee, `amount: 0` when it was free"
    )
    charge: Charge | None = Field(description="What the booking owes (usage, cancellation or no-show fee)")
    decision_reason: str | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_booking(cls, data: Any) -> Any:
        """A booking's columns, with the price, the policy, the amounts and the charge grouped."""
        if not isinstance(data, BookingView):
            return data
        instrument, data = data.instrument, data.booking
        charge = None
        if data.charge_kind is not None:
            charge = {
                "kind": data.charge_kind,
                "amount": _money(data.charge_amount, data.currency),
                "charged_at": data.charged_at,
            }
        return {name: getattr(data, name) for name in cls.model_fields if name not in _GROUPED} | {
            "instrument": instrument,
            "price": data,
            "cancellation_policy": data,
            "final_charge": _money(data.final_amount, data.currency),
            "cancellation_fee": _money(data.cancellation_fee_amount, data.currency),
            "charge": charge,
        }


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

    @model_validator(mode="before")
    @classmethod
    def _from_plan(cls, data: Any) -> Any:
        """A checked, priced plan: its amounts as Money, the instrument's cancellation policy."""
        if not isinstance(data, Plan):
            return data
        currency = data.currency
        return {
            "instrument_id": data.instrument.id,
            "customer_org_id": data.customer.id,
            "customer_tier": data.customer_tier,
            "unit": data.unit,
            "unit_rate": Money(amount=data.unit_rate, currency=currency),
            "membership_tier": data.membership_tier,
            "discount_bps": data.discount_bps,
            "min_billed_quantity": data.min_billed_quantity,
            "initial_state": data.initial_state,
            "occurrences": [
                {
                    "start_at": o.start_at,
                    "end_at": o.end_at,
                    "sample_count": o.sample_count,
                    "booked_quantity": o.booked_quantity,
                    "amount": Money(amount=o.amount, currency=currency),
                }
                for o in data.occurrences
            ],
            "total": Money(amount=data.total, currency=currency),
            "cancellation_policy": data.instrument,
        }


class RejectBody(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class CancelBody(InputModel):
    reason: str | None = Field(default=None, max_length=500)


class CompleteBody(InputModel):
    actual_minutes: StrictInt | None = Field(default=None, ge=1, le=100_000, description="Hourly bookings")
    actual_samples: StrictInt | None = Field(default=None, ge=1, le=10_000, description="Per-sample bookings")


class TrainingCreate(InputModel):
    user_id: uuid.UUID
    trained_at: Instant | None = Field(default=None, description="Default: now")
    expires_at: Instant | None = Field(default=None, description="None: does not expire")
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
    start_at: Instant
    end_at: Instant
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


class BookingFeedLink(OutputModel):
    organisation_id: uuid.UUID
    url: str = Field(description="The secret feed URL; shown once, store it in the calendar app")
    created_at: datetime
