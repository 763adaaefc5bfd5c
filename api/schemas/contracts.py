"""Contracts on the wire (drafts for now; the contracts area adds parties, IP terms, signatures)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from api.schemas.common import Money, OutputModel
from models.enums import ContractSource, ContractStatus, ContractType, MilestoneStatus


class ContractMilestoneRead(OutputModel):
    id: uuid.UUID
    seq: int
    title: str
    amount: Money
    due_offset_days: int | None = Field(description="Days after the contract starts")
    status: MilestoneStatus


class ContractRead(OutputModel):
    id: uuid.UUID
    contract_type: ContractType
    status: ContractStatus
    title: str
    provider_org_id: uuid.UUID = Field(description="The centre or institute")
    client_org_id: uuid.UUID = Field(description="The SME")
    value: Money
    source: ContractSource
    proposal_id: uuid.UUID | None
    service_request_id: uuid.UUID | None
    pilot_result_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    milestones: list[ContractMilestoneRead]
