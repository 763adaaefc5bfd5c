"""Contracts: who sees them, and the draft an accepted proposal starts.

Only the draft exists for now (issue 4); signing, IP terms, amendments and milestone delivery
come with the contracts area, which extends these functions and tables.
Visibility: the parties (members of the provider or client organisation, HQ staff for their
institutes) see a contract; everyone else gets 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.contracts import Contract, ContractMilestone
from models.enums import ContractSource, ContractStatus, ContractType, MilestoneStatus
from services.actors import Actor
from services.errors import NotFound
from services.pagination import Page, SortKey, paginate


class ContractNotFound(NotFound):
    title = "Contract not found"
    slug = "contract-not-found"


@dataclass(frozen=True)
class MilestoneInput:
    title: str
    amount: int
    currency: str
    due_offset_days: int | None


def visible_contracts(actor: Actor) -> Select[tuple[Contract]]:
    """Contracts the actor is a party to (platform admins see all)."""
    stmt = select(Contract).options(selectinload(Contract.milestones))
    if actor.is_platform_admin:
        return stmt
    orgs = list(actor.organisation_ids)
    return stmt.where(or_(Contract.provider_org_id.in_(orgs), Contract.client_org_id.in_(orgs)))


async def get(session: AsyncSession, actor: Actor, contract_id: uuid.UUID) -> Contract:
    """One contract the actor is a party to, else 404."""
    contract = await session.scalar(visible_contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise ContractNotFound()
    return contract


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    status: ContractStatus | None,
    contract_type: ContractType | None,
    limit: int,
    cursor: str | None,
) -> Page[Contract]:
    """A page of the actor's contracts, newest first."""
    stmt = visible_contracts(actor)
    if status is not None:
        stmt = stmt.where(Contract.status == status)
    if contract_type is not None:
        stmt = stmt.where(Contract.contract_type == contract_type)
    return await paginate(session, stmt, [SortKey(Contract.id, descending=True)], limit=limit, cursor=cursor)


async def create_draft(
    session: AsyncSession,
    *,
    created_by: uuid.UUID,
    contract_type: ContractType,
    title: str,
    provider_org_id: uuid.UUID,
    client_org_id: uuid.UUID,
    value_amount: int,
    currency: str,
    source: ContractSource,
    milestones: Sequence[MilestoneInput],
    proposal_id: uuid.UUID | None = None,
    service_request_id: uuid.UUID | None = None,
    pilot_result_id: uuid.UUID | None = None,
) -> Contract:
    """Write a draft contract and its milestones (the caller has checked who may do this)."""
    contract = Contract(
        contract_type=contract_type,
        status=ContractStatus.draft,
        title=title[:200],
        provider_org_id=provider_org_id,
        client_org_id=client_org_id,
        value_amount=value_amount,
        currency=currency,
        source=source,
        proposal_id=proposal_id,
        service_request_id=service_request_id,
        pilot_result_id=pilot_result_id,
        created_by=created_by,
    )
    session.add(contract)
    await session.flush()
    session.add_all(
        ContractMilestone(
            contract_id=contract.id,
            seq=seq,
            title=m.title,
            amount=m.amount,
            currency=m.currency,
            due_offset_days=m.due_offset_days,
            status=MilestoneStatus.pending,
        )
        for seq, m in enumerate(milestones, start=1)
    )
    await session.flush()
    return await session.scalar(
        select(Contract)
        .options(selectinload(Contract.milestones))
        .where(Contract.id == contract.id)
        .execution_options(populate_existing=True)
    )
