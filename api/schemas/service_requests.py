"""Service requests on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from api.schemas.common import InputModel, Money, OutputModel
from models.enums import PriceModel, ServiceKind, ServiceRequestStatus
from models.service_requests import ServiceRequest
from services import service_requests


class ServiceRequestCreate(InputModel):
    message: Annotated[str, StringConstraints(min_length=1, max_length=10000)] = Field(
        description="What the SME needs: samples, scope, constraints", examples=["需检测 3 批正极材料样品的循环寿命"]
    )
    quantity: Annotated[int, Field(ge=1, le=100000)] | None = Field(
        default=None, description="Units asked for (samples, engagements); a fixed price is multiplied by it"
    )
    needed_by: date | None = Field(default=None, description="When the SME needs the result")
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The requesting SME; needed only when you work for several"
    )

    def to_input(self) -> service_requests.RequestInput:
        return service_requests.RequestInput(
            message=self.message, quantity=self.quantity, needed_by=self.needed_by, organisation_id=self.organisation_id
        )


class ServiceRequestDecline(InputModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ServiceRequestRead(OutputModel):
    id: uuid.UUID
    offer_id: uuid.UUID
    offer_title: str = Field(description="The offer's title when it was requested")
    service_kind: ServiceKind
    price_model: PriceModel
    offer_price: Money | None = Field(description="The offer's price when requested; null for quote-on-request")
    lead_time_days: int | None
    provider_org_id: uuid.UUID
    sme_org_id: uuid.UUID
    requested_by: uuid.UUID
    status: ServiceRequestStatus
    message: str
    quantity: int | None
    needed_by: date | None
    decline_reason: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    contract_id: uuid.UUID | None = Field(default=None, description="The draft contract, once accepted")


def request_read(r: ServiceRequest, contract_id: uuid.UUID | None = None) -> ServiceRequestRead:
    return ServiceRequestRead(
        id=r.id,
        offer_id=r.offer_id,
        offer_title=r.offer_title,
        service_kind=r.service_kind,
        price_model=r.price_model,
        offer_price=None if r.offer_price_amount is None else Money(amount=r.offer_price_amount, currency=r.currency),
        lead_time_days=r.lead_time_days,
        provider_org_id=r.provider_org_id,
        sme_org_id=r.sme_org_id,
        requested_by=r.requested_by,
        status=r.status,
        message=r.message,
        quantity=r.quantity,
        needed_by=r.needed_by,
        decline_reason=r.decline_reason,
        decided_at=r.decided_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
        contract_id=contract_id,
    )
