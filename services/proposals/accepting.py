"""Deciding on proposals: accepting one (its problem is awarded or its service request accepted,
under that row's lock, the other pending proposals are declined, and a draft contract is written
from the terms), and declining the pending ones when their problem or request is decided."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import Contract
from models.enums import ContractSource, ProposalStatus
from models.problems import Problem
from models.proposals import Proposal
from models.service_requests import ServiceRequest
from services import clock, contracts, notifications, problems, service_requests
from services.actors import Actor
from services.notifications import Notice
from services.proposals.core import ProposalLapsed, ProposalNotPending, get_row, reload
from services.proposals.submitting import Parent


def _mark_accepted(proposal: Proposal, now: datetime) -> None:
    """A pending, still valid proposal becomes accepted (409 otherwise)."""
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    if proposal.valid_until <= now:
        raise ProposalLapsed()
    proposal.status = ProposalStatus.accepted
    proposal.decided_at = now


async def decline_live(
    session: AsyncSession,
    *,
    problem: Problem | None = None,
    request: ServiceRequest | None = None,
    keep: Proposal | None = None,
    notice: Notice | None = None,
) -> list[Proposal]:
    """Decline the pending proposals on a problem or a service request (all but `keep`); with a
    `notice`, each proposing organisation is told once. The caller holds the parent's row lock, under
    which the proposals are read afresh."""
    if problem is not None and request is None:
        parent, about = Proposal.problem_id == problem.id, problem.title
    elif request is not None and problem is None:
        parent, about = Proposal.service_request_id == request.id, request.offer_title
    else:
        raise ValueError("name a problem or a service request")
    stmt = select(Proposal).where(parent, Proposal.status == ProposalStatus.submitted)
    if keep is not None:
        stmt = stmt.where(Proposal.id != keep.id)
    pending = list((await session.scalars(stmt.order_by(Proposal.id).execution_options(populate_existing=True))).all())
    now = clock.now()
    for proposal in pending:
        proposal.status = ProposalStatus.declined
        proposal.decided_at = now
    await session.flush()
    if notice is not None:
        # One pending proposal per organisation and parent (a partial unique index), so one notice each.
        for proposal in pending:
            await notifications.send(
                session, notice, about=about, subject_id=proposal.id, organisation_ids=[proposal.provider_org_id]
            )
    return pending


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
    assert proposal.problem_id is not None  # a proposal answers a problem or a service request
    problem = await problems.get_problem(session, actor, proposal.problem_id, lock=True)
    problems.require_owner_staff(actor, problem)
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the problem's lock
    now = clock.now()
    problems.require_awardable(problem, now)  # the problem's 409s come before the proposal's
    _mark_accepted(proposal, now)
    await problems.award(session, problem, proposal)
    await decline_live(session, problem=problem, keep=proposal, notice=Notice.proposal_declined)
    return await _draft_from_proposal(
        session,
        actor,
        proposal,
        Parent(problem.sme_org_id, problem.title, problem=problem),
        source=ContractSource.proposal,
    )


async def _accept_for_request(session: AsyncSession, actor: Actor, proposal: Proposal) -> Contract:
    """The SME accepts the proposal answering its service request: the request is accepted and a
    draft contract is written from the proposal (source: the service request)."""
    assert proposal.service_request_id is not None
    request = await service_requests.lock_for_client(session, actor, proposal.service_request_id)
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the request's lock
    _mark_accepted(proposal, clock.now())
    await service_requests.accept_with_proposal(session, actor, request, proposal)
    return await _draft_from_proposal(
        session,
        actor,
        proposal,
        Parent(request.sme_org_id, request.offer_title, request=request),
        source=ContractSource.service_request,
        service_request_id=request.id,
    )
