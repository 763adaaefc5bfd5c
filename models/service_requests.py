"""An SME's request for a centre's service offer (contract R&D, testing, consulting)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import PriceModel, ServiceKind, ServiceRequestStatus


class ServiceRequest(IdMixin, TimestampMixin, Base):
    """What the SME asked for, with a snapshot of the offer's terms at the time of asking."""

    __tablename__ = "service_requests"
    __table_args__ = (
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("offer_price_amount IS NULL OR offer_price_amount >= 0", name="price_not_negative"),
        Index("ix_service_requests_provider_status", "provider_org_id", "status"),
    )

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_offers.id", ondelete="RESTRICT"), index=True)
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    sme_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[ServiceRequestStatus] = mapped_column(
        enum_column(ServiceRequestStatus, "service_request_status"), default=ServiceRequestStatus.submitted
    )
    message: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(Integer)
    needed_by: Mapped[date | None] = mapped_column(Date)
    # The offer as it stood when asked: later edits of the offer do not change this request.
    offer_title: Mapped[str] = mapped_column(String(200))
    service_kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind, "service_kind"))
    price_model: Mapped[PriceModel] = mapped_column(enum_column(PriceModel, "price_model"))
    offer_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
