"""Proposals, their revisions and milestones on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import InputModel, Instant, Money, MoneyIn, OutputModel, with_attrs
from api.schemas.problems import AttachmentLink, AttachmentLinkRead, OrganisationRef
from models.enums import ContractType, ProposalStatus
from models.proposals import ProposalMilestone, ProposalRevision
from services import proposals


class MilestoneInput(InputModel):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    amount: MoneyIn = Field(description="Positive; the amounts of all milestones sum to the price")
    due_offset_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        description="Days after the contract starts; non-decreasing and at most `duration_days`"
    )

    def to_terms(self) -> proposals.MilestoneTerms:
        return proposals.MilestoneTerms(self.title, self.amount.amount, self.amount.currency, self.due_offset_days)


class ProposalTerms(InputModel):
    approach: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    price: MoneyIn = Field(description="Total price; the milestone amounts must add up to it exactly")
    duration_days: Annotated[int, Field(ge=1, le=3650)] = Field(description="Timeline: days from start to the end")
    milestones: Annotated[list[MilestoneInput], Field(min_length=1, max_length=50)]
    contract_type: ContractType = Field(description="Suggested Civil Code contract type")
    valid_until: Instant = Field(description="The offer holds until then (must be in the future)")
    attachments: Annotated[list[AttachmentLink], Field(max_length=20)] = Field(default_factory=list)

    def to_terms(self) -> proposals.ProposalTerms:
        return proposals.ProposalTerms(
            approach=self.approach,
            price_amount=self.price.amount,
            currency=self.price.currency,
            duration_days=self.duration_days,
            milestones=[m.to_terms() for m in self.milestones],
            contract_type=self.contract_type,
            valid_until=self.valid_until,
            attachments=[a.to_link() for a in self.attachments],
        )


class ProposalCreate(ProposalTerms):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The centre or institute proposing; needed only when you work for several"
    )


class ProposalRevise(ProposalTerms):
    note: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        default=None, description="What changed, for the SME"
    )


class MilestoneRead(OutputModel):
    seq: int
    title: str
    amount: Money
    due_offset_days: int

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, ProposalMilestone):
            return with_attrs(data, amount=Money(amount=data.amount, currency=data.currency))
        return data


class ProposalRevisionRead(OutputModel):
    revision: int
    approach: str
    price: Money
    duration_days: int
    contract_type: ContractType
    valid_until: datetime
    attachments: list[AttachmentLinkRead]
    milestones: list[MilestoneRead]
    note: str | None
    created_by: uuid.UUID
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, ProposalRevision):
            return with_attrs(data, price=Money(amount=data.price_amount, currency=data.currency))
        return data


class ProposalRead(OutputModel):
    """A proposal with its current terms (revision `revision`); the history is at `/proposals/{id}/revisions`."""

    id: uuid.UUID
    problem_id: uuid.UUID | None = Field(description="The problem answered, or null for a service request")
    service_request_id: uuid.UUID | None = Field(default=None, description="The service request answered")
    provider: OrganisationRef
    status: ProposalStatus
    revision: int
    approach: str
    price: Money
    duration_days: int
    contract_type: ContractType
    valid_until: datetime
    attachments: list[AttachmentLinkRead]
    milestones: list[MilestoneRead]
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    decided_at: datetime | None
    contract_id: uuid.UUID | None = Field(default=None, description="The draft contract, once accepted")

    @model_validator(mode="before")
    @classmethod
    def _from_view(cls, data: Any) -> Any:
        """The proposal's row, with its current revision's milestones and its draft contract."""
        if isinstance(data, proposals.ProposalView):
            p = data.proposal
            return with_attrs(
                p,
                provider=p.provider_org,
                price=Money(amount=p.price_amount, currency=p.currency),
                milestones=data.current.milestones,
                contract_id=data.contract_id,
            )
        return data
