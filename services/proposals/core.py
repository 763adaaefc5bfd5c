"""Proposals: centres and institutes answer a problem; the SME compares them and accepts one.

Visibility (`visible_proposals`): the proposing organisation's members and the posting SME's
members; another centre never sees a proposal (404). One live (submitted or accepted) proposal
per organisation per problem; a revision replaces the current terms and keeps every earlier
version in `proposal_revisions`.

Accepting locks the problem row (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions start
with BEGIN IMMEDIATE and so already serialise writers), so of two concurrent accepts on one
problem exactly one wins; a partial unique index on accepted proposals holds the line too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.contracts import Contract
from models.enums import (
    ContractType,
    ProposalStatus,
)
from models.problems import Problem
from models.proposals import Proposal, ProposalRevision
from models.service_requests import ServiceRequest
from services import problems, service_requests
from services.actors import Actor
from services.errors import Conflict, NotFound
from services.pagination import Page, SortKey, paginate

ProposalSort = Literal["price", "-price", "duration", "-duration", "newest", "oldest"]


class ProposalNotFound(NotFound):
    title = "Proposal not found"
    slug = "proposal-not-found"


class ProposalAlreadyLive(Conflict):
    title = "Your organisation already has a live proposal on this problem; revise it instead"
    slug = "proposal-already-live"


class ProposalNotPending(Conflict):
    title = "The proposal is no longer pending (withdrawn, accepted or declined)"
    slug = "proposal-not-pending"


class ProposalLapsed(Conflict):
    title = "The proposal's validity date has passed"
    slug = "proposal-lapsed"


@dataclass(frozen=True)
class MilestoneTerms:
    title: str
    amount: int
    currency: str
    due_offset_days: int


@dataclass(frozen=True)
class ProposalTerms:
    """What a proposal offers; every revision is a complete set of terms."""

    approach: str
    price_amount: int
    currency: str
    duration_days: int
    milestones: Sequence[MilestoneTerms]
    contract_type: ContractType
    valid_until: datetime
    attachments: Sequence[problems.AttachmentLink] = ()


def visible_proposals(actor: Actor) -> Select[Proposal]:
    """Proposals of the actor's own organisations, and every proposal on the actor's SME's problems
    and service requests."""
    stmt = select(Proposal).options(
        selectinload(Proposal.revisions).selectinload(ProposalRevision.milestones),
        selectinload(Proposal.provider_org),
    )
    if actor.is_platform_admin:
        return stmt
    orgs = list(actor.working_org_ids)
    return (
        stmt.outerjoin(Problem, Problem.id == Proposal.problem_id)
        .outerjoin(ServiceRequest, ServiceRequest.id == Proposal.service_request_id)
        .where(
            or_(
                Proposal.provider_org_id.in_(orgs),
                Problem.sme_org_id.in_(orgs),
                ServiceRequest.sme_org_id.in_(orgs),
            )
        )
    )


@dataclass(frozen=True)
class ProposalView:
    proposal: Proposal
    contract_id: uuid.UUID | None

    @property
    def current(self) -> ProposalRevision:
        return self.proposal.revisions[-1]


async def contract_ids_of(session: AsyncSession, proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not proposal_ids:
        return {}
    rows = await session.execute(
        select(Contract.proposal_id, Contract.id).where(Contract.proposal_id.in_(proposal_ids))
    )
    return {pid: cid for pid, cid in rows.all() if pid is not None}


async def reload(session: AsyncSession, proposal_id: uuid.UUID) -> ProposalView:
    proposal = await session.scalar(
        select(Proposal)
        .options(
            selectinload(Proposal.revisions).selectinload(ProposalRevision.milestones),
            selectinload(Proposal.provider_org),
        )
        .where(Proposal.id == proposal_id)
        .execution_options(populate_existing=True)
    )
    assert proposal is not None
    return ProposalView(proposal, (await contract_ids_of(session, [proposal.id])).get(proposal.id))


async def get_row(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> Proposal:
    proposal = await session.scalar(visible_proposals(actor).where(Proposal.id == proposal_id))
    if proposal is None:
        raise ProposalNotFound()
    return proposal


async def get(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> ProposalView:
    """One proposal the actor may see, else 404."""
    proposal = await get_row(session, actor, proposal_id)
    return ProposalView(proposal, (await contract_ids_of(session, [proposal.id])).get(proposal.id))


async def list_for_problem(
    session: AsyncSession,
    actor: Actor,
    problem_id: uuid.UUID,
    *,
    status: ProposalStatus | None,
    sort: ProposalSort,
    limit: int,
    cursor: str | None,
) -> Page[ProposalView]:
    """The SME sees every proposal on its problem; a provider sees only its own organisations'."""
    problem = await problems.get_problem(session, actor, problem_id)
    stmt = visible_proposals(actor).where(Proposal.problem_id == problem.id)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    keys = {
        "price": [SortKey(Proposal.price_amount), SortKey(Proposal.id)],
        "-price": [SortKey(Proposal.price_amount, descending=True), SortKey(Proposal.id)],
        "duration": [SortKey(Proposal.duration_days), SortKey(Proposal.id)],
        "-duration": [SortKey(Proposal.duration_days, descending=True), SortKey(Proposal.id)],
        "newest": [SortKey(Proposal.id, descending=True)],
        "oldest": [SortKey(Proposal.id)],
    }[sort]
    page = await paginate(session, stmt, keys, limit=limit, cursor=cursor)
    contract_ids = await contract_ids_of(session, [p.id for p in page.items])
    return Page(items=[ProposalView(p, contract_ids.get(p.id)) for p in page.items], next_cursor=page.next_cursor)


async def list_revisions(
    session: AsyncSession, actor: Actor, proposal_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ProposalRevision]:
    """Every version of a visible proposal, oldest first."""
    proposal = await get_row(session, actor, proposal_id)
    stmt = (
        select(ProposalRevision)
        .options(selectinload(ProposalRevision.milestones))
        .where(ProposalRevision.proposal_id == proposal.id)
    )
    return await paginate(
        session, stmt, [SortKey(ProposalRevision.revision), SortKey(ProposalRevision.id)], limit=limit, cursor=cursor
    )


async def list_for_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ProposalView]:
    """Proposals answering a visible service request, newest first."""
    request = await service_requests.get(session, actor, request_id)
    stmt = visible_proposals(actor).where(Proposal.service_request_id == request.id)
    page = await paginate(session, stmt, [SortKey(Proposal.id, descending=True)], limit=limit, cursor=cursor)
    contract_ids = await contract_ids_of(session, [p.id for p in page.items])
    return Page(items=[ProposalView(p, contract_ids.get(p.id)) for p in page.items], next_cursor=page.next_cursor)
