"""Submitting, revising and withdrawing proposals: terms checked, every revision kept, the SME told."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ProposalStatus
from models.problems import Problem
from models.proposals import Proposal, ProposalMilestone, ProposalRevision
from models.service_requests import ServiceRequest
from services import clock, notifications, problems, service_requests
from services.actors import Actor
from services.errors import Invalid, RoleNotAllowed
from services.money import format_money
from services.notifications import Notice
from services.proposals.core import (
    ProposalAlreadyLive,
    ProposalNotPending,
    ProposalTerms,
    ProposalView,
    get_row,
    reload,
)


def _validate_terms(terms: ProposalTerms, now: datetime) -> None:
    """Milestones add up to the price in its currency, fall within the timeline, in order."""
    if terms.price_amount <= 0:
        raise Invalid("the price must be positive", loc=["body", "price", "amount"])
    for i, m in enumerate(terms.milestones):
        if m.currency != terms.currency:
            raise Invalid("milestones must be in the price's currency", loc=["body", "milestones", i, "amount"])
        if m.amount <= 0:
            raise Invalid("milestone amounts must be positive", loc=["body", "milestones", i, "amount"])
        if m.due_offset_days > terms.duration_days:
            raise Invalid("a milestone falls after the timeline ends", loc=["body", "milestones", i, "due_offset_days"])
        if i and m.due_offset_days < terms.milestones[i - 1].due_offset_days:
            raise Invalid("milestones must be in due order", loc=["body", "milestones", i, "due_offset_days"])
    total = sum(m.amount for m in terms.milestones)
    if total != terms.price_amount:
        raise Invalid(
            f"milestone amounts sum to {total}, not the price {terms.price_amount}", loc=["body", "milestones"]
        )
    if terms.valid_until <= now:
        raise Invalid("valid_until must be in the future", loc=["body", "valid_until"])


def _apply_terms(proposal: Proposal, terms: ProposalTerms) -> None:
    proposal.approach = terms.approach
    proposal.price_amount = terms.price_amount
    proposal.currency = terms.currency
    proposal.duration_days = terms.duration_days
    proposal.contract_type = terms.contract_type
    proposal.valid_until = terms.valid_until.astimezone(UTC)
    proposal.attachments = [a.as_json() for a in terms.attachments]


async def _write_revision(
    session: AsyncSession, actor: Actor, proposal: Proposal, terms: ProposalTerms, note: str | None
) -> None:
    revision = ProposalRevision(
        proposal_id=proposal.id,
        revision=proposal.revision,
        created_by=actor.user_id,
        approach=proposal.approach,
        price_amount=proposal.price_amount,
        currency=proposal.currency,
        duration_days=proposal.duration_days,
        contract_type=proposal.contract_type,
        valid_until=proposal.valid_until,
        attachments=proposal.attachments,
        note=note,
    )
    session.add(revision)
    await session.flush()
    session.add_all(
        ProposalMilestone(
            revision_id=revision.id,
            seq=seq,
            title=m.title,
            amount=m.amount,
            currency=m.currency,
            due_offset_days=m.due_offset_days,
        )
        for seq, m in enumerate(terms.milestones, start=1)
    )
    await session.flush()


async def submit(
    session: AsyncSession,
    actor: Actor,
    problem_id: uuid.UUID,
    data: ProposalTerms,
    *,
    organisation_id: uuid.UUID | None,
) -> ProposalView:
    """A centre or institute proposes; the problem moves to in review and the SME's staff are notified."""
    problem = await problems.get_problem(session, actor, problem_id, lock=True)
    # Visibility first: what the caller cannot see is 404 whatever its role (issue 12 item 5).
    org_id = actor.acting_org(actor.provider_org_ids(), organisation_id, "centre or institute staff")
    now = clock.now()
    problems.require_accepting(problem, now)
    await problems.require_may_propose(session, problem, org_id)
    _validate_terms(data, now)
    live = await session.scalar(
        select(Proposal.id).where(
            Proposal.problem_id == problem.id,
            Proposal.provider_org_id == org_id,
            Proposal.status.in_([ProposalStatus.submitted, ProposalStatus.accepted]),
        )
    )
    if live:
        raise ProposalAlreadyLive()
    proposal = Proposal(
        problem_id=problem.id, provider_org_id=org_id, created_by=actor.user_id, status=ProposalStatus.submitted
    )
    proposal.revision = 1
    _apply_terms(proposal, data)
    session.add(proposal)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent submit by the same organisation won
        raise ProposalAlreadyLive() from exc
    await _write_revision(session, actor, proposal, data, None)
    await problems.mark_in_review(session, problem)
    await notifications.send(
        session,
        Notice.proposal_received,
        about=problem.title,
        subject_id=proposal.id,
        organisation_ids=[problem.sme_org_id],
        price=format_money(data.price_amount, data.currency),
        days=data.duration_days,
    )
    return await reload(session, proposal.id)


def _require_author_staff(actor: Actor, proposal: Proposal) -> None:
    if proposal.provider_org_id not in actor.provider_org_ids():
        raise RoleNotAllowed("only the proposing organisation's staff may do this")


@dataclass
class Parent:
    """What a proposal answers: a problem or a service request (exactly one is set)."""

    sme_org_id: uuid.UUID
    title: str
    problem: Problem | None = None
    request: ServiceRequest | None = None

    def require_open(self, now: datetime) -> None:
        if self.problem is not None:
            problems.require_accepting(self.problem, now)
        else:
            assert self.request is not None  # exactly one of problem and request is set
            service_requests.require_open(self.request)


async def lock_parent(session: AsyncSession, actor: Actor, proposal: Proposal) -> Parent:
    """Lock the proposal's problem or service request row, so state changes on it serialise."""
    if proposal.service_request_id is not None:
        request = await service_requests.get(session, actor, proposal.service_request_id, lock=True)
        return Parent(request.sme_org_id, request.offer_title, request=request)
    assert proposal.problem_id is not None  # a proposal answers a problem or a service request
    problem = await problems.get_problem(session, actor, proposal.problem_id, lock=True)
    return Parent(problem.sme_org_id, problem.title, problem=problem)


async def submit_for_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, data: ProposalTerms
) -> ProposalView:
    """The provider answers a service request with a proposal (one live proposal per request);
    the request becomes `quoted` and the SME's staff are notified."""
    request = await service_requests.lock_for_provider(session, actor, request_id)
    _validate_terms(data, clock.now())
    live = await session.scalar(
        select(Proposal.id).where(
            Proposal.service_request_id == request.id,
            Proposal.status.in_([ProposalStatus.submitted, ProposalStatus.accepted]),
        )
    )
    if live:
        raise ProposalAlreadyLive("this request already has a live proposal; revise it instead")
    proposal = Proposal(
        service_request_id=request.id,
        provider_org_id=request.provider_org_id,
        created_by=actor.user_id,
        status=ProposalStatus.submitted,
    )
    proposal.revision = 1
    _apply_terms(proposal, data)
    session.add(proposal)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent answer won
        raise ProposalAlreadyLive() from exc
    await _write_revision(session, actor, proposal, data, None)
    await service_requests.mark_quoted(session, request)
    await service_requests.notify_client(
        session,
        request,
        Notice.service_request_answered,
        proposal.id,
        price=format_money(data.price_amount, data.currency),
        days=data.duration_days,
    )
    return await reload(session, proposal.id)


async def revise(
    session: AsyncSession, actor: Actor, proposal_id: uuid.UUID, data: ProposalTerms, *, note: str | None
) -> ProposalView:
    """Replace a pending proposal's terms with a new revision; earlier ones stay in the history."""
    proposal = await get_row(session, actor, proposal_id)
    _require_author_staff(actor, proposal)
    parent = await lock_parent(session, actor, proposal)
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the parent's lock
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    now = clock.now()
    parent.require_open(now)
    _validate_terms(data, now)
    proposal.revision += 1
    _apply_terms(proposal, data)
    await session.flush()
    await _write_revision(session, actor, proposal, data, note)
    await notifications.send(
        session,
        Notice.proposal_revised,
        about=parent.title,
        subject_id=proposal.id,
        organisation_ids=[parent.sme_org_id],
        text=note,
        revision=proposal.revision,
    )
    return await reload(session, proposal.id)


async def withdraw(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> ProposalView:
    """The proposing organisation takes back a pending proposal."""
    proposal = await get_row(session, actor, proposal_id)
    _require_author_staff(actor, proposal)
    parent = await lock_parent(session, actor, proposal)
    proposal = (await reload(session, proposal.id)).proposal  # re-read under the parent's lock
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    proposal.status = ProposalStatus.withdrawn
    proposal.withdrawn_at = clock.now()
    await session.flush()
    if parent.request is not None:
        await service_requests.reopen(session, parent.request)  # waiting for an answer again
    elif parent.problem is not None:
        pending = await session.scalar(
            select(Proposal.id).where(
                Proposal.problem_id == parent.problem.id, Proposal.status == ProposalStatus.submitted
            )
        )
        if pending is None:
            await problems.reopen(session, parent.problem)  # nothing left to review
    await notifications.send(
        session,
        Notice.proposal_withdrawn,
        about=parent.title,
        subject_id=proposal.id,
        organisation_ids=[parent.sme_org_id],
    )
    return await reload(session, proposal.id)
