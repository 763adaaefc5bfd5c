"""Shared instruments on the wire: rate cards, booking rules, opening hours, blackouts, availability."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt, StringConstraints, model_validator

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
from api.schemas.common import BasisPoints, InputModel, Instant, Money, OutputModel
from models.enums import (
    CustomerTier,
    MembershipTier,
    OperationMode,
    RateUnit,
)
from models.instruments import DEFAULT_RULES, BookingRules, InstrumentRate
from services import catalogue, instruments
from services.catalogue import UNSET, required

ClockTime = Annotated[
    str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"), Field(examples=["08:30", "24:00"])
]


class RateIn(InputModel):
    tier: CustomerTier
    unit: RateUnit
    price: Price

    def to_input(self) -> instruments.Rate:
        price = catalogue.Price(amount=self.price.amount, currency=self.price.currency)
        return instruments.Rate(tier=self.tier, unit=self.unit, price=price)


class RateRead(OutputModel):
    """A rate read back as it is written (`RateIn`): its tier, its unit and its price."""

    tier: CustomerTier
    unit: RateUnit
    price: Money

    @model_validator(mode="before")
    @classmethod
    def _from_rate(cls, data: Any) -> Any:
        if not isinstance(data, InstrumentRate):
            return data
        return {"tier": data.tier, "unit": data.unit, "price": Money(amount=data.amount, currency=data.currency)}


class DiscountIn(InputModel):
    tier: MembershipTier
    discount_bps: BasisPoints

    def to_input(self) -> instruments.Discount:
        return instruments.Discount(tier=self.tier, discount_bps=self.discount_bps)


def _minutes(clock_time: str) -> int:
    hours, _, minutes = clock_time.partition(":")
    return int(hours) * 60 + int(minutes)


class DiscountRead(OutputModel):
    tier: MembershipTier
    discount_bps: int


class OpeningHoursIn(InputModel):
    weekday: Annotated[StrictInt, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
    opens: ClockTime
    closes: ClockTime

    def to_input(self) -> instruments.OpeningHours:
        return instruments.OpeningHours(
            weekday=self.weekday, opens_minute=_minutes(self.opens), closes_minute=_minutes(self.closes)
        )


def _clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# A time of day from minutes since midnight (the `*_minute` columns): 510 -> "08:30", 1440 -> "24:00".
ClockTimeRead = Annotated[str, BeforeValidator(_clock_time)]


class OpeningHoursRead(OutputModel):
    weekday: int
    opens: ClockTimeRead = Field(validation_alias="opens_minute")
    closes: ClockTimeRead = Field(validation_alias="closes_minute")


_R = DEFAULT_RULES  # a new instrument's rules (models/instruments.py), the defaults below


class BookingRulesIn(InputModel):
    min_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] = _R.min_booking_minutes
    max_booking_minutes: Annotated[StrictInt, Field(ge=1, le=10080)] = _R.max_booking_minutes
    lead_time_hours: Annotated[StrictInt, Field(ge=0, le=8760, description="Book at least this long ahead")] = (
        _R.lead_time_hours
    )
    max_advance_days: Annotated[StrictInt, Field(ge=1, le=730, description="Book at most this far ahead")] = (
        _R.max_advance_days
    )
    requires_confirmation: bool = Field(default=_R.requires_confirmation, description="Staff confirm each booking")
    operation_mode: OperationMode = _R.operation_mode
    training_required: bool = _R.training_required
    free_cancellation_hours: Annotated[
        StrictInt, Field(ge=0, le=8760, description="Cancel free of charge until this many hours before the start")
    ] = _R.free_cancellation_hours
    cancellation_fee_bps: BasisPoints = Field(
        default=_R.cancellation_fee_bps, description="Fee for a later cancellation"
    )
    no_show_fee_bps: BasisPoints = _R.no_show_fee_bps

    def rules(self) -> BookingRules:
        return BookingRules(
            min_booking_minutes=self.min_booking_minutes,
            max_booking_minutes=self.max_booking_minutes,
            lead_time_hours=self.lead_time_hours,
            max_advance_days=self.max_advance_days,
            requires_confirmation=self.requires_confirmation,
            operation_mode=self.operation_mode,
            training_required=self.training_required,
            free_cancellation_hours=self.free_cancellation_hours,
            cancellation_fee_bps=self.cancellation_fee_bps,
            no_show_fee_bps=self.no_show_fee_bps,
        )


class InstrumentCreate(ListingCommon, BookingRulesIn):
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

    def to_input(self) -> instruments.InstrumentInput:
        return instruments.InstrumentInput(
            listing=self.listing_input(),
            owner_org_id=self.owner_org_id,
            model=self.model,
            maker=self.maker,
            category=self.category,
            location=self.location,
            specifications=[m.to_input() for m in self.specifications],
            rates=[r.to_input() for r in self.rates],
            membership_discounts=[d.to_input() for d in self.membership_discounts],
            opening_hours=(
                instruments.DEFAULT_OPENING_HOURS
                if self.opening_hours is None
                else [h.to_input() for h in self.opening_hours]
            ),
            rules=self.rules(),
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
    def not_null_fields(cls) -> tuple[str, ...]:
        return (
            *super().not_null_fields(),
            "category",
            "specifications",
            "rates",
            "membership_discounts",
            "opening_hours",
            *BookingRulesIn.model_fields,
        )

    def to_changes(self) -> instruments.InstrumentChanges:
        given = self.given()
        return instruments.InstrumentChanges(
            listing=self.listing_changes(),
            model=given.model,
            maker=given.maker,
            category=required(self.category),
            location=given.location,
            specifications=UNSET if self.specifications is None else [m.to_input() for m in self.specifications],
            rates=UNSET if self.rates is None else [r.to_input() for r in self.rates],
            membership_discounts=(
                UNSET if self.membership_discounts is None else [d.to_input() for d in self.membership_discounts]
            ),
            opening_hours=UNSET if self.opening_hours is None else [h.to_input() for h in self.opening_hours],
            rules=instruments.BookingRuleChanges(
                min_booking_minutes=required(self.min_booking_minutes),
                max_booking_minutes=required(self.max_booking_minutes),
                lead_time_hours=required(self.lead_time_hours),
                max_advance_days=required(self.max_advance_days),
                requires_confirmation=required(self.requires_confirmation),
                operation_mode=required(self.operation_mode),
                training_required=required(self.training_required),
                free_cancellation_hours=required(self.free_cancellation_hours),
                cancellation_fee_bps=required(self.cancellation_fee_bps),
                no_show_fee_bps=required(self.no_show_fee_bps),
            ),
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
    starts_at: Instant = Field(description="RFC 3339 with offset")
    ends_at: Instant = Field(description="RFC 3339 with offset; the blackout is [starts_at, ends_at)")
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
