"""Accepting a proposal: the problem or service request is awarded under its row lock, the other
live proposals are declined, and a draft contract is written from the terms."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import Contract
from models.enums import (
    ContractSource,
    ProposalStatus,
    ServiceRequestStatus,
)
from models.enums import ProblemStatus as S
from models.proposals import Proposal
from services import clock, contracts, notifications, problems, service_requests
from services.actors import Actor
from services.notifications import Notice
from services.proposals.core import ProblemAlreadyAwarded, ProposalLapsed, ProposalNotPending, get_row, reload
from services.proposals.submitting import Parent


def _mark_accepted(proposal: Proposal, now: datetime) -> None:
    """A pending, still valid proposal becomes accepted (409 otherwise)."""
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    if proposal.valid_until <= now:
        raise ProposalLapsed()
    proposal.status = ProposalStatus.accepted
    proposal.decided_at = now


async def _draft_from_proposal(
    session: AsyncSession,
    actor: Actor,
    proposal: Proposal,
    parent: Parent,
    *,
    source: ContractSource,
    service_request_id: uuid.UUID | None = None,
) -> Contract:
    """The draft contract an accepted proposal starts (its parties, type, value and milestones),
    and the notice to the proposing organisation."""
    current = proposal.revisions[-1]
    contract = await contracts.create_draft(
        session,
        actor,
        contract_type=proposal.contract_type,
        title=parent.title,
        provider_org_id=proposal.provider_org_id,
        client_org_id=parent.sme_org_id,
        value_amount=proposal.price_amount,
        currency=proposal.currency,
        source=source,
        proposal_id=proposal.id,
        service_request_id=service_request_id,
        milestones=[
            contracts.MilestoneInput(m.title, m.amount, m.currency, m.due_offset_days) for m in current.milestones
        ],
    )
    await notifications.send(
        session,
        Notice.proposal_accepted,
        about=parent.title,
        subject_id=contract.id,
        organisation_ids=[proposal.provider_org_id],
    )
    return contract


async def accept(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> Contract:
    """The SME accepts a proposal: the problem is awarded, the other live proposals are declined,
    and a draft contract is written with the proposal's parties, type, value and milestones."""
    proposal = await get_row(session, actor, proposal_id)
    if proposal.service_request_id is not None:
        return await _accept_for_request(session, actor, proposal)
    problem = await problems.get_problem(session, actor, proposal.problem_id, lock=True)  # type: ignore[arg-type]
    problems.require_owner_staff(actor, problem)
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the problem's lock
    now = clock.now()
    if problem.status is S.awarded:
        raise ProblemAlreadyAwarded()
    problems.require_accepting(problem, now)
    _mark_accepted(proposal, now)
    problem.status = S.awarded
    problem.awarded_at = now
    problem.awarded_org_id = proposal.provider_org_id
    others = (
        await session.scalars(
            select(Proposal)
            .where(Proposal.problem_id == problem.id, Proposal.id != proposal.id)
            .where(Proposal.status == ProposalStatus.submitted)
        )
    ).all()
    for other in others:
        other.status = ProposalStatus.declined
        other.decided_at = now
    await session.flush()
    contract = await _draft_from_proposal(
        session,
        actor,
        proposal,
        Parent(problem.sme_org_id, problem.title, problem=problem),
        source=ContractSource.proposal,
    )
    for other in others:
        await notifications.send(
            session,
            Notice.proposal_declined,
            about=problem.title,
            subject_id=other.id,
            organisation_ids=[other.provider_org_id],
        )
    return contract


async def _accept_for_request(session: AsyncSession, actor: Actor, proposal: Proposal) -> Contract:
    """The SME accepts the proposal answering its service request: the request is accepted and a
    draft contract is written from the proposal (source: the service request)."""
    request = await service_requests.lock_for_client(session, actor, proposal.service_request_id)  # type: ignore[arg-type]
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the request's lock
    now = clock.now()
    _mark_accepted(proposal, now)
    request.status = ServiceRequestStatus.accepted
    request.decided_by = actor.user_id
    request.decided_at = now
    await session.flush()
    return await _draft_from_proposal(
        session,
        actor,
        proposal,
        Parent(request.sme_org_id, request.offer_title, request=request),
        source=ContractSource.service_request,
        service_request_id=request.id,
    )
