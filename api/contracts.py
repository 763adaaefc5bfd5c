"""Contracts: the parties read their drafts (signing, IP terms and amendments come with the contracts area)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentActor, PageDep, SessionDep
from api.errors import problem
from api.schemas.common import Money, Page
from api.schemas.contracts import ContractMilestoneRead, ContractRead
from models.contracts import Contract
from models.enums import ContractStatus, ContractType
from services import contracts

router = APIRouter(prefix="/contracts", tags=["contracts"])


def contract_read(c: Contract) -> ContractRead:
    return ContractRead(
        id=c.id,
        contract_type=c.contract_type,
        status=c.status,
        title=c.title,
        provider_org_id=c.provider_org_id,
        client_org_id=c.client_org_id,
        value=Money(amount=c.value_amount, currency=c.currency),
        source=c.source,
        proposal_id=c.proposal_id,
        service_request_id=c.service_request_id,
        pilot_result_id=c.pilot_result_id,
        created_by=c.created_by,
        created_at=c.created_at,
        updated_at=c.updated_at,
        milestones=[
            ContractMilestoneRead(
                id=m.id,
                seq=m.seq,
                title=m.title,
                amount=Money(amount=m.amount, currency=m.currency),
                due_offset_days=m.due_offset_days,
                status=m.status,
            )
            for m in c.milestones
        ],
    )


@router.get("", response_model=Page[ContractRead])
async def list_contracts(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
    contract_type: Annotated[ContractType | None, Query()] = None,
) -> Page[ContractRead]:
    """Contracts the caller's organisations are a party to, newest first."""
    result = await contracts.list_visible(
        session, actor, status=status_, contract_type=contract_type, limit=page.limit, cursor=page.cursor
    )
    return Page[ContractRead](items=[contract_read(c) for c in result.items], next_cursor=result.next_cursor)


@router.get("/{contract_id}", response_model=ContractRead, responses={404: problem(contracts.ContractNotFound)})
async def get_contract(contract_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ContractRead:
    """One contract with its milestones; only its parties see it (404 for anyone else)."""
    return contract_read(await contracts.get(session, actor, contract_id))
