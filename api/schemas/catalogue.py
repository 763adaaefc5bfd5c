"""Catalogue on the wire: pilot-scale results, instruments, service offers, memberships, search."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
)

from api.schemas.common import InputModel, Money, MoneyIn, OutputModel, PatchModel
from models.enums import (
    ListingKind,
    ListingStatus,
    TechField,
    TransferMode,
)
from services import catalogue
from services.catalogue import UNSET, Unset, required
from services.money import MAX_AMOUNT
from services.pagination import DEFAULT_LIMIT, MAX_LIMIT


def _not_negative(money: Money | None) -> Money | None:
    if money is not None and money.amount < 0:
        raise ValueError("a price cannot be negative")
    return money


Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TitleEn = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Abstract = Annotated[str, StringConstraints(min_length=1, max_length=10000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Keyword = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Price = Annotated[MoneyIn, AfterValidator(_not_negative)]


def price_input(money: Money | None) -> catalogue.Price | None:
    """A wire price as the services take it."""
    return None if money is None else catalogue.Price(amount=money.amount, currency=money.currency)


def price_change(money: Money | Unset | None) -> catalogue.Price | Unset | None:
    """A PATCH body's price (`given()`) as the services take it: UNSET stays UNSET, null clears."""
    return money if money is UNSET else price_input(money)


def _headline_price(amount: int | None, info: ValidationInfo) -> dict[str, object] | None:
    return None if amount is None else {"amount": amount, "currency": info.data["price_currency"]}


# A listing's headline price as Money, or null when negotiable / quoted on request, read from the
# `price_amount` column and the `price_currency` field declared before it (ORM objects and Core rows).
HeadlinePrice = Annotated[Money | None, BeforeValidator(_headline_price)]
# The currency column behind a HeadlinePrice: read, never sent (excluded from the response and its schema).
PRICE_CURRENCY = Field(exclude=True)


class Measurement(InputModel):
    name: Short
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    unit: Annotated[str, StringConstraints(max_length=30)] | None = None

    def to_input(self) -> catalogue.Measurement:
        return catalogue.Measurement(name=self.name, value=self.value, unit=self.unit)


class MeasurementRead(OutputModel):
    name: str
    value: str
    unit: str | None = None


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

    def listing_input(self) -> catalogue.ListingInput:
        """The fields every kind shares, as the services take them."""
        return catalogue.ListingInput(
            title=self.title,
            title_en=self.title_en,
            abstract=self.abstract,
            abstract_en=self.abstract_en,
            fields=self.fields,
            keywords=self.keywords,
            contact_name=self.contact_name,
            contact_email=self.contact_email,
            contact_phone=self.contact_phone,
        )


class _Given:
    """A PATCH body read field by field: a field the request left out reads as UNSET."""

    __slots__ = ("_body",)

    def __init__(self, body: BaseModel) -> None:
        self._body = body

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._body, name)
        return value if name in self._body.model_fields_set else UNSET


class ListingChanges(PatchModel):
    title: Title | None = None
    title_en: TitleEn | None = None
    abstract: Abstract | None = None
    abstract_en: Abstract | None = None
    fields: list[TechField] | None = Field(default=None, min_length=1, max_length=3)
    keywords: list[Keyword] | None = Field(default=None, max_length=10)
    contact_name: Short | None = None
    contact_email: EmailStr | None = None
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9\- ]{5,20}$")] | None = None

    @classmethod
    def not_null_fields(cls) -> tuple[str, ...]:
        return ("title", "abstract", "fields", "keywords")

    def given(self) -> Self:
        """This body with each field the request left out reading as UNSET, for the fields that
        null clears (the others are `required(...)`: null is refused, so None means left out).
        Typed as the body, so a renamed field fails the type checker; its values go straight into
        the services' `*Changes`, whose fields take UNSET."""
        return cast(Self, _Given(self))

    def listing_changes(self) -> catalogue.ListingChanges:
        """The changes to the fields every kind shares, as the services take them."""
        given = self.given()
        return catalogue.ListingChanges(
            title=required(self.title),
            title_en=given.title_en,
            abstract=required(self.abstract),
            abstract_en=given.abstract_en,
            fields=required(self.fields),
            keywords=required(self.keywords),
            contact_name=given.contact_name,
            contact_email=given.contact_email,
            contact_phone=given.contact_phone,
        )


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
    price_currency: str = PRICE_CURRENCY


# Pilot-scale results


# Instruments


# Service offers


# Attachments


# SME memberships


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
        None, ge=0, le=MAX_AMOUNT, description="Highest price in minor units (listings without a price are left out)"
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
    price_currency: str = PRICE_CURRENCY
    price: HeadlinePrice = Field(
        validation_alias="price_amount", description="Asking price, offer price or SME rate; null when negotiable"
    )
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
