"""Service requests on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import Day, InputModel, Money, OutputModel, with_attrs
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
    needed_by: Day | None = Field(default=None, description="When the SME needs the result")
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

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        """A request's row (`contract_id` left null), or a view with the draft contract it led to."""
        contract_id = None
        if isinstance(data, service_requests.RequestView):
            data, contract_id = data.request, data.contract_id
        if isinstance(data, ServiceRequest):
            offer_price = (
                None
                if data.offer_price_amount is None
                else Money(amount=data.offer_price_amount, currency=data.currency)
            )
            return with_attrs(data, offer_price=offer_price, contract_id=contract_id)
        return data
