"""Catalogue on the wire: pilot-scale results, instruments, service offers, memberships, search."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StrictInt, StringConstraints, model_validator

from api.schemas.common import BasisPoints, InputModel, Money, OutputModel
from models import codes
from models.enums import (
    CustomerTier,
    ListingKind,
    ListingStatus,
    MembershipTier,
    OperationMode,
    PatentStatus,
    PriceModel,
    RateUnit,
    ServiceKind,
    TechField,
    TransferMode,
)
from services.pagination import DEFAULT_LIMIT, MAX_LIMIT


def _check_patent(value: str) -> str:
    number = codes.normalise_patent_number(value)
    reason = codes.patent_number_problem(number)
    if reason:
        raise ValueError(f"patent number {reason}")
    return number


def _not_negative(money: Money | None) -> Money | None:
    if money is not None and money.amount < 0:
        raise ValueError("a price cannot be negative")
    return money


Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TitleEn = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Abstract = Annotated[str, StringConstraints(min_length=1, max_length=10000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Keyword = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Price = Annotated[Money, AfterValidator(_not_negative)]
PatentNumber = Annotated[
    str,
    AfterValidator(_check_patent),
    Field(
        description="CNIPA number: CN (application) or ZL (patent) + 12 digits (8 before 2003) + '.' + check digit "
        "(digits × 2,3,4,5,6,7,8,9,2,3,4,5 summed mod 11; 10 is X)",
        examples=["ZL202310123456.6"],
    ),
]
Trl = Annotated[StrictInt, Field(ge=1, le=9, description="Technology readiness level 1-9")]
ClockTime = Annotated[
    str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"), Field(examples=["08:30", "24:00"])
]


class Measurement(InputModel):
    name: Short
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    unit: Annotated[str, StringConstraints(max_length=30)] | None = None


class MeasurementRead(OutputModel):
    name: str
    value: str
    unit: str | None = None


class IpAsset(InputModel):
    number: PatentNumber
    status: PatentStatus
    title: Annotated[str, StringConstraints(max_length=200)] | None = None


class IpAssetRead(OutputModel):
    number: str
    status: PatentStatus
    title: str | None = None


class ListingCommon(InputModel):
    title: Title
    title_en: TitleEn | None = None
    abstract: Abstract
    abstract_en: Abstract | None = Field(default=None, description="English abstract (searched too)")
    fields: list[TechField] = Field(min_length=1, max_length=3, description="Technical fields (1-3)")
    keywords: list[Keyword] = Field(default_factory=list, max_length=10)
    contact_name: Short | None = None
    contact_email: EmailStr | None = None
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9\- ]{5,20}$")] | None = None


class ListingChanges(InputModel):
    title: Title | None = None
    title_en: TitleEn | None = None
    abstract: Abstract | None = None
    abstract_en: Abstract | None = None
    fields: list[TechField] | None = Field(default=None, min_length=1, max_length=3)
    keywords: list[Keyword] | None = Field(default=None, max_length=10)
    contact_name: Short | None = None
    contact_email: EmailStr | None = None
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9\- ]{5,20}$")] | None = None

    @model_validator(mode="after")
    def _required_stay_set(self):
        for name in self.required_fields():
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    @classmethod
    def required_fields(cls) -> tuple[str, ...]:
        return ("title", "abstract", "fields", "keywords")


class ListingRead(OutputModel):
    id: uuid.UUID
    kind: ListingKind
    status: ListingStatus
    owner_org_id: uuid.UUID
    centre_id: uuid.UUID
    title: str
    title_en: str | None
    abstract: str
    abstract_en: str | None
    fields: list[TechField]
    keywords: list[str]
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    published_at: datetime | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


# Pilot-scale results


class PilotResultCreate(ListingCommon):
    owner_org_id: uuid.UUID | None = Field(
        default=None, description="The owning centre or institute; defaults to the caller's only one"
    )
    trl: Trl
    pilot_scale: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Scale of the pilot run, e.g. 50 吨/年 中试线"
    )
    key_metrics: list[Measurement] = Field(default_factory=list, max_length=30)
    ip_assets: list[IpAsset] = Field(default_factory=list, max_length=50)
    transfer_modes: list[TransferMode] = Field(min_length=1)
    asking_price: Price | None = Field(default=None, description="Absent or null: negotiable (面议)")
    price_negotiable: bool = False


class PilotResultUpdate(ListingChanges):
    trl: Trl | None = None
    pilot_scale: Annotated[str, StringConstraints(max_length=200)] | None = None
    key_metrics: list[Measurement] | None = Field(default=None, max_length=30)
    ip_assets: list[IpAsset] | None = Field(default=None, max_length=50)
    transfer_modes: list[TransferMode] | None = Field(default=None, min_length=1)
    asking_price: Price | None = None
    price_negotiable: bool | None = None

    @classmethod
    def required_fields(cls) -> tuple[str, ...]:
        return (*super().required_fields(), "trl", "key_metrics", "ip_assets", "transfer_modes", "price_negotiable")


class PilotResultRead(ListingRead):
    trl: int
    pilot_scale: str | None
    key_metrics: list[MeasurementRead]
    ip_assets: list[IpAssetRead]
    transfer_modes: list[TransferMode]
    asking_price: Money | None = Field(validation_alias="price")
    price_negotiable: bool


# Instruments


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


class OpeningHoursRead(OutputModel):
    weekday: int
    opens: str
    closes: str


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
    sme_rate: Money | None = Field(validation_alias="price", description="The SME rate shown in search")
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


# Service offers


class ServiceOfferCreate(ListingCommon):
    owner_org_id: uuid.UUID | None = Field(
        default=None, description="The owning centre or institute; defaults to the caller's only one"
    )
    service_kind: ServiceKind
    price_model: PriceModel
    price: Price | None = Field(default=None, description="Fixed price, or the hourly rate; none for quote")
    lead_time_days: Annotated[StrictInt, Field(ge=0, le=3650)] | None = None
    deliverables: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=30
    )


class ServiceOfferUpdate(ListingChanges):
    service_kind: ServiceKind | None = None
    price_model: PriceModel | None = None
    price: Price | None = None
    lead_time_days: Annotated[StrictInt, Field(ge=0, le=3650)] | None = None
    deliverables: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=30
    )

    @classmethod
    def required_fields(cls) -> tuple[str, ...]:
        return (*super().required_fields(), "service_kind", "price_model", "deliverables")


class ServiceOfferRead(ListingRead):
    service_kind: ServiceKind
    price_model: PriceModel
    price: Money | None
    lead_time_days: int | None
    deliverables: list[str]


# Attachments


class AttachmentRead(OutputModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


# SME memberships


class SmeMembershipCreate(InputModel):
    sme_id: uuid.UUID
    tier: MembershipTier
    valid_from: date
    valid_until: date | None = Field(default=None, description="Last day (inclusive); open-ended when absent")


class SmeMembershipRead(OutputModel):
    id: uuid.UUID
    centre_id: uuid.UUID
    sme_id: uuid.UUID
    tier: MembershipTier
    valid_from: date
    valid_until: date | None
    created_at: datetime


# Search


class SearchParams(BaseModel):
    """The query string of `GET /catalogue/search`, validated as one model (FastAPI solves one
    parameter instead of twelve; each still appears as its own query parameter in OpenAPI)."""

    q: str | None = Field(None, max_length=200, description="Words in Chinese or English; every word must match")
    kind: ListingKind | None = Field(None, description="Only this kind of listing")
    field: TechField | None = Field(None, description="Only listings in this technical field")
    region: str | None = Field(
        None,
        pattern=r"^\d{2}(\d{2}){0,2}$",
        description="GB/T 2260 code or prefix: 32, 3205, 320500 or 320000",
    )
    centre_id: uuid.UUID | None = Field(None, description="Listings of this centre and its institutes")
    trl_min: int | None = Field(None, ge=1, le=9, description="Pilot-scale results with at least this TRL")
    price_max: int | None = Field(
        None, ge=0, description="Highest price in minor units (listings without a price are left out)"
    )
    currency: str = Field("CNY", pattern="^[A-Z]{3}$", description="Currency of price_max")
    transfer_mode: TransferMode | None = Field(None, description="Results offering this transfer mode")
    sort: Literal["relevance", "newest", "price"] = Field(
        "relevance", description="relevance (newest without q), newest, or price ascending (no price last)"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")


class SearchHit(OutputModel):
    id: uuid.UUID
    kind: ListingKind
    title: str
    title_en: str | None
    abstract: str = Field(description="The first 280 characters")
    abstract_en: str | None
    fields: list[TechField]
    price: Money | None = Field(description="Asking price, offer price or SME rate; null when negotiable")
    trl: int | None = Field(description="Pilot-scale results only")
    owner_org_id: uuid.UUID
    owner_name: str
    centre_id: uuid.UUID
    region: str
    published_at: datetime
    rank: int | None = Field(
        default=None,
        description="Relevance tier when sorted by relevance with q: 2 = every query word is in a title, "
        "1 = found in the other texts; null otherwise",
    )
