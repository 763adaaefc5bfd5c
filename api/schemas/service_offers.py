"""Service offers on the wire."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from api.schemas.catalogue import (
    HeadlinePrice,
    ListingChanges,
    ListingCommon,
    ListingRead,
    Price,
    price_change,
    price_input,
)
from models.enums import (
    PriceModel,
    ServiceKind,
)
from services import service_offers
from services.catalogue import required


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

    def to_input(self) -> service_offers.ServiceOfferInput:
        return service_offers.ServiceOfferInput(
            listing=self.listing_input(),
            owner_org_id=self.owner_org_id,
            service_kind=self.service_kind,
            price_model=self.price_model,
            price=price_input(self.price),
            lead_time_days=self.lead_time_days,
            deliverables=self.deliverables,
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
    def not_null_fields(cls) -> tuple[str, ...]:
        return (*super().not_null_fields(), "service_kind", "price_model", "deliverables")

    def to_changes(self) -> service_offers.ServiceOfferChanges:
        given = self.given()
        return service_offers.ServiceOfferChanges(
            listing=self.listing_changes(),
            service_kind=required(self.service_kind),
            price_model=required(self.price_model),
            price=price_change(given.price),
            lead_time_days=given.lead_time_days,
            deliverables=required(self.deliverables),
        )


class ServiceOfferRead(ListingRead):
    service_kind: ServiceKind
    price_model: PriceModel
    price: HeadlinePrice = Field(validation_alias="price_amount")
    lead_time_days: int | None
    deliverables: list[str]
