"""Shared instruments on the wire: rate cards, booking rules, opening hours, blackouts, availability."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StrictInt, StringConstraints

from api.schemas.catalogue import (
    HeadlinePrice,
    ListingChanges,
    ListingCommon,
    ListingRead,
    Measurement,
    MeasurementRead,
    Price,
    Short,
)
from api.schemas.common import BasisPoints, InputModel, OutputModel
from models.enums import (
    CustomerTier,
    MembershipTier,
    OperationMode,
    RateUnit,
)

ClockTime = Annotated[
    str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"), Field(examples=["08:30", "24:00"])
]


class RateIn(InputModel):
    tier: CustomerTier
    unit: RateUnit
    price: Price


class RateRead(OutputModel):
    tier: CustomerTier
    unit: RateUnit
    amount: int
    currency: str


class DiscountIn(InputModel):
    tier: MembershipTier
    discount_bps: BasisPoints


class DiscountRead(OutputModel):
    tier: MembershipTier
    discount_bps: int


class OpeningHoursIn(InputModel):
    weekday: Annotated[StrictInt, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
    opens: ClockTime
    closes: ClockTime


def _clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# A time of day from minutes since midnight (the `*_minute` columns): 510 -> "08:30", 1440 -> "24:00".
ClockTimeRead = Annotated[str, BeforeValidator(_clock_time)]


class OpeningHoursRead(OutputModel):
    weekday: int
    opens: ClockTimeRead = Field(validation_alias="opens_minute")
    closes: ClockTimeRead = Field(validation_alias="closes_minute")


class BookingRules(InputModel):
    min_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] = 30
    max_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] = 480
    lead_time_hours: Annotated[StrictInt, Field(ge=0, le=8760, description="Book at least this long ahead")] = 24
    max_advance_days: Annotated[StrictInt, Field(ge=1, le=730, description="Book at most this far ahead")] = 60
    requires_confirmation: bool = Field(default=True, description="Staff confirm each booking")
    operation_mode: OperationMode = OperationMode.operator_assisted
    training_required: bool = False
    free_cancellation_hours: Annotated[
        StrictInt, Field(ge=0, le=8760, description="Cancel free of charge until this many hours before the start")
    ] = 24
    cancellation_fee_bps: BasisPoints = Field(default=5000, description="Fee for a later cancellation")
    no_show_fee_bps: BasisPoints = 10000


class InstrumentCreate(ListingCommon, BookingRules):
    owner_org_id: uuid.UUID | None = Field(
        default=None, description="The owning centre or institute; defaults to the caller's only one"
    )
    model: Short | None = None
    maker: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    category: Short
    location: Annotated[str, StringConstraints(max_length=200)] | None = None
    specifications: list[Measurement] = Field(default_factory=list, max_length=50)
    rates: list[RateIn] = Field(default_factory=list, max_length=8)
    membership_discounts: list[DiscountIn] = Field(default_factory=list, max_length=3)
    opening_hours: list[OpeningHoursIn] | None = Field(
        default=None, max_length=50, description="Weekly hours in the centre's time zone; default Mon-Fri 09:00-17:00"
    )


class InstrumentUpdate(ListingChanges):
    model: Short | None = None
    maker: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    category: Short | None = None
    location: Annotated[str, StringConstraints(max_length=200)] | None = None
    specifications: list[Measurement] | None = Field(default=None, max_length=50)
    rates: list[RateIn] | None = Field(default=None, max_length=8, description="Replaces the rate card")
    membership_discounts: list[DiscountIn] | None = Field(default=None, max_length=3)
    opening_hours: list[OpeningHoursIn] | None = Field(default=None, max_length=50)
    min_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] | None = None
    max_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] | None = None
    lead_time_hours: Annotated[StrictInt, Field(ge=0, le=8760)] | None = None
    max_advance_days: Annotated[StrictInt, Field(ge=1, le=730)] | None = None
    requires_confirmation: bool | None = None
    operation_mode: OperationMode | None = None
    training_required: bool | None = None
    free_cancellation_hours: Annotated[StrictInt, Field(ge=0, le=8760)] | None = None
    cancellation_fee_bps: BasisPoints | None = None
    no_show_fee_bps: BasisPoints | None = None

    @classmethod
    def required_fields(cls) -> tuple[str, ...]:
        return (
            *super().required_fields(),
            "category",
            "specifications",
            "rates",
            "membership_discounts",
            "opening_hours",
            *BookingRules.model_fields,
        )


class InstrumentRead(ListingRead):
    model: str | None
    maker: str | None
    category: str
    location: str | None
    specifications: list[MeasurementRead]
    timezone: str = Field(description="The centre's IANA time zone; opening hours are local to it")
    sme_rate: HeadlinePrice = Field(validation_alias="price_amount", description="The SME rate shown in search")
    rates: list[RateRead]
    membership_discounts: list[DiscountRead] = Field(validation_alias="discounts")
    opening_hours: list[OpeningHoursRead]
    min_booking_minutes: int
    max_booking_minutes: int
    lead_time_hours: int
    max_advance_days: int
    requires_confirmation: bool
    operation_mode: OperationMode
    training_required: bool
    free_cancellation_hours: int
    cancellation_fee_bps: int
    no_show_fee_bps: int


class BlackoutCreate(InputModel):
    starts_at: datetime = Field(description="RFC 3339 with offset")
    ends_at: datetime = Field(description="RFC 3339 with offset; the blackout is [starts_at, ends_at)")
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class BlackoutRead(OutputModel):
    id: uuid.UUID
    instrument_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    created_at: datetime


class Interval(OutputModel):
    start: datetime
    end: datetime


class Availability(OutputModel):
    instrument_id: uuid.UUID
    timezone: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    free: list[Interval] = Field(description="Free half-open UTC intervals, sorted and merged")
