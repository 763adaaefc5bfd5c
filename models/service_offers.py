"""Service offers: contract R&D, testing and consulting, a listing kind."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import enum_column
from models.catalogue import Listing
from models.enums import (
    ListingKind,
    PriceModel,
    ServiceKind,
)


class ServiceOffer(Listing):
    __tablename__ = "service_offers"
    __table_args__: tuple[Any, ...] = (
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time_range"),
    )
    # Class configuration, which SQLAlchemy's typing declares an instance attribute.
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.service_offer}  # type: ignore[misc]

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    service_kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind, "service_kind"), index=True)
    price_model: Mapped[PriceModel] = mapped_column(enum_column(PriceModel, "price_model"))
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    deliverables: Mapped[list[str]] = mapped_column(JSON, default=list)
