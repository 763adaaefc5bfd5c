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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.contracts import Contract
from models.enums import (
    PROVIDER_ROLES,
    SME_ROLES,
    ConfidentialityTier,
    ContractSource,
    ContractType,
    ProposalStatus,
    ServiceRequestStatus,
)
from models.enums import ProblemStatus as S
from models.organisations import Organisation
from models.problems import NdaAcceptance, Problem, ProblemInvitation, Proposal, ProposalMilestone, ProposalRevision
from models.service_requests import ServiceRequest
from services import clock, contracts, problems, service_requests
from services.actors import Actor
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.money import CURRENCIES
from services.notifications import notify
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


class ProblemAlreadyAwarded(Conflict):
    title = "The problem has already been awarded"
    slug = "problem-already-awarded"


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
    milestones: list[MilestoneTerms]
    contract_type: ContractType
    valid_until: datetime
    attachments: list[dict] = field(default_factory=list)


def visible_proposals(actor: Actor) -> Select[tuple[Proposal]]:
    """Proposals of the actor's own organisations, and every proposal on the actor's SME's problems
    and service requests."""
    stmt = select(Proposal).options(
        selectinload(Proposal.revisions).selectinload(ProposalRevision.milestones),
        selectinload(Proposal.provider_org),
    )
    if actor.is_platform_admin:
        return stmt
    orgs = list(actor.organisation_ids)
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


async def _contract_ids(session: AsyncSession, proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not proposal_ids:
        return {}
    rows = await session.execute(
        select(Contract.proposal_id, Contract.id).where(Contract.proposal_id.in_(proposal_ids))
    )
    return {pid: cid for pid, cid in rows.all()}


async def _reload(session: AsyncSession, proposal_id: uuid.UUID) -> ProposalView:
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
    return ProposalView(proposal, (await _contract_ids(session, [proposal.id])).get(proposal.id))


async def _get_row(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> Proposal:
    proposal = await session.scalar(visible_proposals(actor).where(Proposal.id == proposal_id))
    if proposal is None:
        raise ProposalNotFound()
    return proposal


async def get(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> ProposalView:
    """One proposal the actor may see, else 404."""
    proposal = await _get_row(session, actor, proposal_id)
    return ProposalView(proposal, (await _contract_ids(session, [proposal.id])).get(proposal.id))


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
    contract_ids = await _contract_ids(session, [p.id for p in page.items])
    return Page(items=[ProposalView(p, contract_ids.get(p.id)) for p in page.items], next_cursor=page.next_cursor)


async def list_revisions(
    session: AsyncSession, actor: Actor, proposal_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ProposalRevision]:
    """Every version of a visible proposal, oldest first."""
    proposal = await _get_row(session, actor, proposal_id)
    stmt = (
        select(ProposalRevision)
        .options(selectinload(ProposalRevision.milestones))
        .where(ProposalRevision.proposal_id == proposal.id)
    )
    return await paginate(
        session, stmt, [SortKey(ProposalRevision.revision), SortKey(ProposalRevision.id)], limit=limit, cursor=cursor
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
    proposal.attachments = list(terms.attachments)


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


async def _may_propose(session: AsyncSession, problem: Problem, org_id: uuid.UUID) -> None:
    """The proposing organisation itself must have accepted the NDA / been invited (or its centre)."""
    if problem.confidentiality is ConfidentialityTier.nda:
        accepted = await session.scalar(
            select(NdaAcceptance.id).where(
                NdaAcceptance.problem_id == problem.id, NdaAcceptance.organisation_id == org_id
            )
        )
        if not accepted:
            raise problems.NdaRequired()
    elif problem.confidentiality is ConfidentialityTier.invite_only:
        org = await session.get(Organisation, org_id)
        scope = [org_id] + ([org.parent_id] if org is not None and org.parent_id else [])
        invited = await session.scalar(
            select(ProblemInvitation.id).where(
                ProblemInvitation.problem_id == problem.id, ProblemInvitation.organisation_id.in_(scope)
            )
        )
        if not invited:
            raise RoleNotAllowed("that organisation is not invited to this problem")


async def submit(
    session: AsyncSession,
    actor: Actor,
    problem_id: uuid.UUID,
    data: ProposalTerms,
    *,
    organisation_id: uuid.UUID | None,
) -> ProposalView:
    """A centre or institute proposes; the problem moves to in review and the SME's staff are notified."""
    org_id = problems.acting_org(actor, actor.provider_org_ids(), organisation_id, "centre or institute staff")
    problem = await problems.get_problem(session, actor, problem_id, lock=True)
    now = clock.now()
    problems.require_accepting(problem, now)
    await _may_propose(session, problem, org_id)
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
    if problem.status is S.open:
        problem.status = S.in_review
    await notify(
        session,
        kind="proposal.received",
        title=f"收到新方案：{problem.title}",
        body=f"报价 {_display(data.price_amount, data.currency)}，周期 {data.duration_days} 天。"
        "A new proposal was received.",
        organisation_ids=[problem.sme_org_id],
        roles=SME_ROLES,
        subject_type="proposal",
        subject_id=proposal.id,
    )
    return await _reload(session, proposal.id)


def _display(amount: int, currency: str) -> str:
    """`1234500, CNY` -> `12345.00 CNY` without floats."""
    exponent = CURRENCIES.get(currency, 2)
    if exponent == 0:
        return f"{amount} {currency}"
    whole, part = divmod(amount, 10**exponent)
    return f"{whole}.{part:0{exponent}d} {currency}"


def _require_author_staff(actor: Actor, proposal: Proposal) -> None:
    if proposal.provider_org_id not in actor.provider_org_ids():
        raise RoleNotAllowed("only the proposing organisation's staff may do this")


@dataclass
class _Parent:
    """What a proposal answers: a problem or a service request (exactly one is set)."""

    sme_org_id: uuid.UUID
    title: str
    problem: Problem | None = None
    request: ServiceRequest | None = None

    def require_open(self, now: datetime) -> None:
        if self.problem is not None:
            problems.require_accepting(self.problem, now)
        else:
            service_requests.require_open(self.request)  # type: ignore[arg-type]


async def _lock_parent(session: AsyncSession, actor: Actor, proposal: Proposal) -> _Parent:
    """Lock the proposal's problem or service request row, so state changes on it serialise."""
    if proposal.service_request_id is not None:
        request = await service_requests.get(session, actor, proposal.service_request_id, lock=True)
        return _Parent(request.sme_org_id, request.offer_title, request=request)
    problem = await problems.get_problem(session, actor, proposal.problem_id, lock=True)  # type: ignore[arg-type]
    return _Parent(problem.sme_org_id, problem.title, problem=problem)


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
    request.status = ServiceRequestStatus.quoted
    await service_requests.notify_client(
        session,
        request,
        "service_request.answered",
        "服务申请已报价",
        f"报价 {_display(data.price_amount, data.currency)}，周期 {data.duration_days} 天。"
        "The provider sent a proposal.",
        "proposal",
        proposal.id,
    )
    return await _reload(session, proposal.id)


async def revise(
    session: AsyncSession, actor: Actor, proposal_id: uuid.UUID, data: ProposalTerms, *, note: str | None
) -> ProposalView:
    """Replace a pending proposal's terms with a new revision; earlier ones stay in the history."""
    proposal = await _get_row(session, actor, proposal_id)
    _require_author_staff(actor, proposal)
    parent = await _lock_parent(session, actor, proposal)
    proposal = (await _reload(session, proposal.id)).proposal  # re-read under the parent's lock
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    now = clock.now()
    parent.require_open(now)
    _validate_terms(data, now)
    proposal.revision += 1
    _apply_terms(proposal, data)
    await session.flush()
    await _write_revision(session, actor, proposal, data, note)
    await notify(
        session,
        kind="proposal.revised",
        title=f"方案已修订（第 {proposal.revision} 版）：{parent.title}",
        body=note or "A proposal was revised.",
        organisation_ids=[parent.sme_org_id],
        roles=SME_ROLES,
        subject_type="proposal",
        subject_id=proposal.id,
    )
    return await _reload(session, proposal.id)


async def withdraw(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> ProposalView:
    """The proposing organisation takes back a pending proposal."""
    proposal = await _get_row(session, actor, proposal_id)
    _require_author_staff(actor, proposal)
    parent = await _lock_parent(session, actor, proposal)
    proposal = (await _reload(session, proposal.id)).proposal  # re-read under the parent's lock
    if proposal.status is not ProposalStatus.submitted:
        raise ProposalNotPending()
    proposal.status = ProposalStatus.withdrawn
    proposal.withdrawn_at = clock.now()
    await session.flush()
    if parent.request is not None:
        if parent.request.status is ServiceRequestStatus.quoted:
            parent.request.status = ServiceRequestStatus.submitted  # waiting for an answer again
    else:
        problem = parent.problem
        assert problem is not None
        pending = await session.scalar(
            select(Proposal.id).where(Proposal.problem_id == problem.id, Proposal.status == ProposalStatus.submitted)
        )
        if pending is None and problem.status is S.in_review:
            problem.status = S.open  # nothing left to review
    await notify(
        session,
        kind="proposal.withdrawn",
        title=f"方案已撤回：{parent.title}",
        body="一家创新中心/研究院撤回了方案。A proposal was withdrawn.",
        organisation_ids=[parent.sme_org_id],
        roles=SME_ROLES,
        subject_type="proposal",
        subject_id=proposal.id,
    )
    return await _reload(session, proposal.id)


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
    parent: _Parent,
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
    await notify(
        session,
        kind="proposal.accepted",
        title=f"方案已被采纳：{parent.title}",
        body="采纳了贵单位的方案，已生成合同草稿。Your proposal was accepted; a draft contract is ready.",
        organisation_ids=[proposal.provider_org_id],
        roles=PROVIDER_ROLES,
        subject_type="contract",
        subject_id=contract.id,
    )
    return contract


async def accept(session: AsyncSession, actor: Actor, proposal_id: uuid.UUID) -> Contract:
    """The SME accepts a proposal: the problem is awarded, the other live proposals are declined,
    and a draft contract is written with the proposal's parties, type, value and milestones."""
    proposal = await _get_row(session, actor, proposal_id)
    if proposal.service_request_id is not None:
        return await _accept_for_request(session, actor, proposal)
    problem = await problems.get_problem(session, actor, proposal.problem_id, lock=True)  # type: ignore[arg-type]
    problems.require_owner_staff(actor, problem)
    proposal = (await _reload(session, proposal.id)).proposal  # re-read under the problem's lock
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
        _Parent(problem.sme_org_id, problem.title, problem=problem),
        source=ContractSource.proposal,
    )
    for other in others:
        await notify(
            session,
            kind="proposal.declined",
            title=f"方案未被采纳：{problem.title}",
            body="发布方已采纳其他方案。Another proposal was accepted.",
            organisation_ids=[other.provider_org_id],
            roles=PROVIDER_ROLES,
            subject_type="proposal",
            subject_id=other.id,
        )
    return contract


async def _accept_for_request(session: AsyncSession, actor: Actor, proposal: Proposal) -> Contract:
    """The SME accepts the proposal answering its service request: the request is accepted and a
    draft contract is written from the proposal (source: the service request)."""
    request = await service_requests.lock_for_client(session, actor, proposal.service_request_id)  # type: ignore[arg-type]
    proposal = (await _reload(session, proposal.id)).proposal  # re-read under the request's lock
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
        _Parent(request.sme_org_id, request.offer_title, request=request),
        source=ContractSource.service_request,
        service_request_id=request.id,
    )


async def list_for_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ProposalView]:
    """Proposals answering a visible service request, newest first."""
    request = await service_requests.get(session, actor, request_id)
    stmt = visible_proposals(actor).where(Proposal.service_request_id == request.id)
    page = await paginate(session, stmt, [SortKey(Proposal.id, descending=True)], limit=limit, cursor=cursor)
    contract_ids = await _contract_ids(session, [p.id for p in page.items])
    return Page(items=[ProposalView(p, contract_ids.get(p.id)) for p in page.items], next_cursor=page.next_cursor)
