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
)
from models.enums import (
    PriceModel,
    ServiceKind,
)


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
    price: HeadlinePrice = Field(validation_alias="price_amount")
    lead_time_days: int | None
    deliverables: list[str]
