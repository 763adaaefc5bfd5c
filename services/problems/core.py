"""Technical problems posted by SMEs: visibility by confidentiality tier, redaction, derived status,
posting, editing and closing, and the state changes proposals ask for (`mark_in_review`, `reopen`,
`award`): every change of a problem's state is made here.

Visibility (`visible_problems`): the posting SME's members see their problems; every signed-in
user sees `public` ones; centre and institute staff see `nda` ones (title, field and summary;
the details once their organisation has accepted the NDA); only invited providers see an
`invite_only` problem (an invitation of a centre extends to its institutes). Anything else: 404.

Expiry is derived at read time: a problem still `open` or `in_review` whose deadline has passed
is `expired` everywhere (responses, filters, and writes, which answer 409), without a job.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy import Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.enums import (
    PROVIDER_KINDS,
    PROVIDER_ROLES,
    SME_ROLES,
    ConfidentialityTier,
    OrganisationKind,
    TechField,
)
from models.enums import ProblemStatus as S
from models.organisations import Organisation
from models.problems import NdaAcceptance, Problem, ProblemInvitation
from models.proposals import Proposal
from services import clock, notifications, proposals  # proposals imports problems too; used at call time
from services.actors import Actor
from services.errors import Conflict, Forbidden, Invalid, NotFound, RoleNotAllowed
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate

ACCEPTING = (S.open, S.in_review)


class ProblemNotFound(NotFound):
    title = "Problem not found"
    slug = "problem-not-found"


class ProblemNotOpen(Conflict):
    title = "The problem is no longer open (awarded, closed or expired)"
    slug = "problem-not-open"


class ProblemAlreadyAwarded(Conflict):
    title = "The problem has already been awarded"
    slug = "problem-already-awarded"


class NdaRequired(Forbidden):
    title = "Your organisation must accept the problem's NDA first"
    slug = "nda-required"


class NdaNotApplicable(Conflict):
    title = "This problem has no NDA to accept"
    slug = "nda-not-applicable"


class NdaAlreadyAccepted(Conflict):
    title = "Your organisation has already accepted this NDA"
    slug = "nda-already-accepted"


class NotInviteOnly(Conflict):
    title = "Only invite-only problems take invitations"
    slug = "not-invite-only"


class AlreadyInvited(Conflict):
    title = "This organisation is already invited"
    slug = "already-invited"


class QuestionNotFound(NotFound):
    title = "Question not found"
    slug = "question-not-found"


class QuestionAlreadyAnswered(Conflict):
    title = "The question has already been answered"
    slug = "question-already-answered"


@dataclass(frozen=True)
class Budget:
    """What the SME expects to pay: minor units of one currency, `min_amount` <= `max_amount`."""

    min_amount: int
    max_amount: int
    currency: str


@dataclass(frozen=True)
class AttachmentLink:
    """A file kept in the organisation's document store, referenced by its URL."""

    name: str
    url: str
    media_type: str | None = None
    size_bytes: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The form stored in the row's JSON column."""
        return asdict(self)

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> AttachmentLink:
        return cls(stored["name"], stored["url"], stored.get("media_type"), stored.get("size_bytes"))


@dataclass(frozen=True)
class ProblemInput:
    """A problem as the SME posts it."""

    title: str
    summary: str
    description: str
    technical_field: TechField
    budget: Budget
    deadline: datetime
    confidentiality: ConfidentialityTier
    desired_outcome: str | None = None
    attachments: Sequence[AttachmentLink] = ()
    nda_terms: str | None = None
    anonymous: bool = False
    invited_organisation_ids: Sequence[uuid.UUID] = ()
    organisation_id: uuid.UUID | None = None


class Unset(Enum):
    """A field a PATCH did not send: what is stored stays as it is."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class ProblemChanges:
    """Changes to an open problem: a field left UNSET is untouched; `desired_outcome` may be cleared
    with None. The tier, NDA text and anonymity are fixed at posting, so they are not here."""

    title: str | Unset = UNSET
    summary: str | Unset = UNSET
    description: str | Unset = UNSET
    desired_outcome: str | Unset | None = UNSET
    technical_field: TechField | Unset = UNSET
    budget: Budget | Unset = UNSET
    deadline: datetime | Unset = UNSET
    attachments: Sequence[AttachmentLink] | Unset = UNSET


# Status, derived at read time


def effective_status(problem: Problem, now: datetime | None = None) -> S:
    """The stored status, except that an unawarded problem past its deadline is expired."""
    if problem.status in ACCEPTING and problem.deadline <= (now or clock.now()):
        return S.expired
    return problem.status


def status_clause(status: S, now: datetime) -> ColumnElement[bool]:
    """SQL for "the effective status is `status`"."""
    if status is S.expired:
        return or_(Problem.status == S.expired, and_(Problem.status.in_(ACCEPTING), Problem.deadline <= now))
    if status in ACCEPTING:
        return and_(Problem.status == status, Problem.deadline > now)
    return Problem.status == status


def require_accepting(problem: Problem, now: datetime | None = None) -> None:
    """409 unless the problem still takes proposals, questions and changes."""
    status = effective_status(problem, now)
    if status not in ACCEPTING:
        raise ProblemNotOpen(f"the problem is {status.value}")


def require_awardable(problem: Problem, now: datetime | None = None) -> None:
    """409 unless the problem may still be awarded: not awarded yet, and open or in review."""
    if problem.status is S.awarded:
        raise ProblemAlreadyAwarded()
    require_accepting(problem, now)


# Who may see what


def invitation_scope(actor: Actor) -> set[uuid.UUID]:
    """Organisations whose invitation lets the actor see a problem: its provider organisations and
    the parent centres of the institutes it works for."""
    scope = actor.provider_org_ids()
    scope |= {
        m.parent_id
        for m in actor.memberships
        if m.kind is OrganisationKind.institute and m.role in PROVIDER_ROLES and m.parent_id is not None
    }
    return scope


def invited_clause(org_ids: Sequence[uuid.UUID] | set[uuid.UUID]) -> ColumnElement[bool]:
    return exists(
        select(ProblemInvitation.id).where(
            ProblemInvitation.problem_id == Problem.id, ProblemInvitation.organisation_id.in_(list(org_ids))
        )
    )


def visible_problems(actor: Actor) -> Select[Problem]:
    """Problems the actor may know exist (with at least title, field and summary)."""
    stmt = select(Problem)
    if actor.is_platform_admin:
        return stmt
    conditions: list[ColumnElement[bool]] = [
        Problem.sme_org_id.in_(list(actor.private_org_ids)),
        Problem.confidentiality == ConfidentialityTier.public,
    ]
    if actor.is_provider_staff():
        conditions.append(Problem.confidentiality == ConfidentialityTier.nda)
        conditions.append(
            and_(Problem.confidentiality == ConfidentialityTier.invite_only, invited_clause(invitation_scope(actor)))
        )
    return stmt.where(or_(*conditions))


@dataclass(frozen=True)
class ProblemView:
    """A problem as one actor may see it, already redacted: what the actor may not see is None
    (attachments empty). The details of an `nda` problem stay hidden from a provider until its
    organisation accepts the NDA; the SME's name while it is hidden from the actor."""

    id: uuid.UUID
    title: str
    summary: str
    technical_field: TechField
    confidentiality: ConfidentialityTier
    status: S  # effective: expired once the deadline has passed
    deadline: datetime
    nda_terms: str | None
    anonymous: bool
    details_visible: bool
    nda_accepted: bool  # by one of the actor's organisations
    is_owner: bool
    sme: Organisation | None
    description: str | None
    desired_outcome: str | None
    budget: Budget | None
    attachments: tuple[AttachmentLink, ...]
    created_at: datetime
    updated_at: datetime
    awarded_at: datetime | None
    closed_at: datetime | None


def is_owner(actor: Actor, problem: Problem) -> bool:
    return actor.is_platform_admin or problem.sme_org_id in actor.private_org_ids


def _redacted(
    problem: Problem, *, now: datetime, owner: bool, nda_accepted: bool, shown_to_winner: bool, sme: Organisation | None
) -> ProblemView:
    """The view of a problem for an actor who owns it (or not), has accepted its NDA (or not), won it (or not)."""
    p = problem
    details = owner or p.confidentiality is not ConfidentialityTier.nda or nda_accepted
    sme_shown = owner or shown_to_winner or (details and not p.anonymous)
    return ProblemView(
        id=p.id,
        title=p.title,
        summary=p.summary,
        technical_field=p.technical_field,
        confidentiality=p.confidentiality,
        status=effective_status(p, now),
        deadline=p.deadline,
        nda_terms=p.nda_terms,
        anonymous=p.anonymous,
        details_visible=details,
        nda_accepted=nda_accepted,
        is_owner=owner,
        sme=sme if sme_shown else None,
        description=p.description if details else None,
        desired_outcome=p.desired_outcome if details else None,
        budget=Budget(p.budget_min_amount, p.budget_max_amount, p.currency) if details else None,
        attachments=tuple(AttachmentLink.from_json(a) for a in p.attachments) if details else (),
        created_at=p.created_at,
        updated_at=p.updated_at,
        awarded_at=p.awarded_at,
        closed_at=p.closed_at,
    )


async def views_of(session: AsyncSession, actor: Actor, problems: Sequence[Problem]) -> list[ProblemView]:
    """Views for a batch of problems: NDA acceptances and SME names in two queries."""
    if not problems:
        return []
    ids = [p.id for p in problems]
    provider_orgs = actor.provider_org_ids()
    accepted: set[uuid.UUID] = set()
    if provider_orgs:
        accepted = set(
            (
                await session.scalars(
                    select(NdaAcceptance.problem_id).where(
                        NdaAcceptance.problem_id.in_(ids), NdaAcceptance.organisation_id.in_(list(provider_orgs))
                    )
                )
            ).all()
        )
    orgs = {
        o.id: o
        for o in await session.scalars(
            select(Organisation).where(Organisation.id.in_({p.sme_org_id for p in problems}))
        )
    }
    now = clock.now()
    return [
        _redacted(
            p,
            now=now,
            owner=is_owner(actor, p),
            nda_accepted=p.id in accepted,
            shown_to_winner=p.awarded_org_id is not None and p.awarded_org_id in actor.organisation_ids,
            sme=orgs.get(p.sme_org_id),
        )
        for p in problems
    ]


async def view_of(session: AsyncSession, actor: Actor, problem: Problem) -> ProblemView:
    return (await views_of(session, actor, [problem]))[0]


async def get_problem(session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, lock: bool = False) -> Problem:
    """A visible problem row, else 404; `lock` takes its row lock (SELECT ... FOR UPDATE) for a state change."""
    stmt = visible_problems(actor).where(Problem.id == problem_id)
    if lock:
        stmt = stmt.with_for_update(of=Problem).execution_options(populate_existing=True)
    problem = await session.scalar(stmt)
    if problem is None:
        raise ProblemNotFound()
    return problem


async def get(session: AsyncSession, actor: Actor, problem_id: uuid.UUID) -> ProblemView:
    """One problem as the actor may see it, else 404."""
    return await view_of(session, actor, await get_problem(session, actor, problem_id))


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    status: S | None,
    confidentiality: ConfidentialityTier | None,
    technical_field: TechField | None,
    organisation_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[ProblemView]:
    """A page of visible problems, newest first, with the filters applied to the effective status."""
    stmt = visible_problems(actor)
    if status is not None:
        stmt = stmt.where(status_clause(status, clock.now()))
    if confidentiality is not None:
        stmt = stmt.where(Problem.confidentiality == confidentiality)
    if technical_field is not None:
        stmt = stmt.where(Problem.technical_field == technical_field)
    if organisation_id is not None:
        stmt = stmt.where(Problem.sme_org_id == organisation_id)
        if organisation_id not in actor.organisation_ids and not actor.is_platform_admin:
            # Filtering by a hidden SME would reveal who posted an anonymous or NDA problem.
            stmt = stmt.where(Problem.anonymous.is_(false()), Problem.confidentiality != ConfidentialityTier.nda)
    page = await paginate(session, stmt, [SortKey(Problem.id, descending=True)], limit=limit, cursor=cursor)
    return Page(items=await views_of(session, actor, page.items), next_cursor=page.next_cursor)


def require_owner_staff(actor: Actor, problem: Problem) -> None:
    """403 unless the actor is SME staff of the problem's organisation."""
    if problem.sme_org_id not in actor.sme_ids(SME_ROLES):
        raise RoleNotAllowed("only the posting SME's staff may do this")


async def require_providers(session: AsyncSession, org_ids: Sequence[uuid.UUID], loc: list[str | int]) -> None:
    found = set(
        (
            await session.scalars(
                select(Organisation.id).where(
                    Organisation.id.in_(list(org_ids)), Organisation.kind.in_(list(PROVIDER_KINDS))
                )
            )
        ).all()
    )
    missing = [str(o) for o in org_ids if o not in found]
    if missing:
        raise Invalid(f"not centres or institutes: {', '.join(missing)}", loc=loc)


def _check_deadline(deadline: datetime) -> None:
    if deadline <= clock.now():
        raise Invalid("the deadline must be in the future", loc=["body", "deadline"])


async def create(session: AsyncSession, actor: Actor, data: ProblemInput) -> ProblemView:
    """Post a problem for the SME the actor works for; invited providers are notified."""
    sme_id = actor.acting_org(actor.sme_ids(SME_ROLES), data.organisation_id, "SME staff")
    _check_deadline(data.deadline)
    tier = data.confidentiality
    if (tier is ConfidentialityTier.nda) != (data.nda_terms is not None):
        raise Invalid("nda_terms are required for the nda tier and only for it", loc=["body", "nda_terms"])
    if data.invited_organisation_ids and tier is not ConfidentialityTier.invite_only:
        raise Invalid("only invite-only problems have invitations", loc=["body", "invited_organisation_ids"])
    invited = list(dict.fromkeys(data.invited_organisation_ids))
    await require_providers(session, invited, ["body", "invited_organisation_ids"])
    problem = Problem(
        sme_org_id=sme_id,
        created_by=actor.user_id,
        title=data.title,
        summary=data.summary,
        description=data.description,
        desired_outcome=data.desired_outcome,
        technical_field=data.technical_field,
        budget_min_amount=data.budget.min_amount,
        budget_max_amount=data.budget.max_amount,
        currency=data.budget.currency,
        deadline=data.deadline.astimezone(UTC),
        attachments=[a.as_json() for a in data.attachments],
        confidentiality=tier,
        nda_terms=data.nda_terms,
        anonymous=data.anonymous,
        status=S.open,
    )
    session.add(problem)
    await session.flush()
    for org_id in invited:
        await add_invitation(session, actor, problem, org_id)
    return await view_of(session, actor, problem)


async def update(session: AsyncSession, actor: Actor, problem_id: uuid.UUID, changes: ProblemChanges) -> ProblemView:
    """Change an open problem (the SME's staff); fields left unset stay as they are."""
    problem = await get_problem(session, actor, problem_id, lock=True)
    require_owner_staff(actor, problem)
    require_accepting(problem)
    if not isinstance(changes.deadline, Unset):
        _check_deadline(changes.deadline)
        problem.deadline = changes.deadline.astimezone(UTC)
    if not isinstance(changes.title, Unset):
        problem.title = changes.title
    if not isinstance(changes.summary, Unset):
        problem.summary = changes.summary
    if not isinstance(changes.description, Unset):
        problem.description = changes.description
    if not isinstance(changes.desired_outcome, Unset):
        problem.desired_outcome = changes.desired_outcome
    if not isinstance(changes.technical_field, Unset):
        problem.technical_field = changes.technical_field
    if not isinstance(changes.budget, Unset):
        problem.budget_min_amount = changes.budget.min_amount
        problem.budget_max_amount = changes.budget.max_amount
        problem.currency = changes.budget.currency
    if not isinstance(changes.attachments, Unset):
        problem.attachments = [a.as_json() for a in changes.attachments]
    await session.flush()
    return await view_of(session, actor, problem)


async def close(session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, reason: str | None) -> ProblemView:
    """Close an open problem without an award; live proposals are declined and their authors told."""
    problem = await get_problem(session, actor, problem_id, lock=True)
    require_owner_staff(actor, problem)
    require_accepting(problem)
    problem.status = S.closed
    problem.closed_at = clock.now()
    problem.close_reason = reason
    await session.flush()
    await proposals.decline_live(session, problem=problem, notice=Notice.proposal_declined_problem_closed)
    return await view_of(session, actor, problem)


# State changes asked for by proposals (which hold the problem's row lock, see `get_problem`)


async def mark_in_review(session: AsyncSession, problem: Problem) -> None:
    """A proposal arrived: an open problem is now in review (one already in review stays so)."""
    if problem.status is S.open:
        problem.status = S.in_review
        await session.flush()


async def reopen(session: AsyncSession, problem: Problem) -> None:
    """No proposal is left to review: a problem in review is open again."""
    if problem.status is S.in_review:
        problem.status = S.open
        await session.flush()


async def award(session: AsyncSession, problem: Problem, proposal: Proposal) -> None:
    """The problem goes to the organisation of the proposal the SME accepted; 409 unless it is
    still awardable (see `require_awardable`)."""
    if proposal.problem_id != problem.id:
        raise ValueError("the proposal answers another problem")
    now = clock.now()
    require_awardable(problem, now)
    problem.status = S.awarded
    problem.awarded_at = now
    problem.awarded_org_id = proposal.provider_org_id
    await session.flush()


# Invitations and NDA acceptances, shared with services.problems.access


async def add_invitation(session: AsyncSession, actor: Actor, problem: Problem, org_id: uuid.UUID) -> ProblemInvitation:
    invitation = ProblemInvitation(problem_id=problem.id, organisation_id=org_id, invited_by=actor.user_id)
    session.add(invitation)
    await session.flush()
    await notifications.send(
        session,
        Notice.problem_invited,
        about=problem.title,
        subject_id=problem.id,
        organisation_ids=[org_id],
        deadline=f"{problem.deadline:%Y-%m-%d}",
    )
    return invitation


async def require_details(session: AsyncSession, actor: Actor, problem: Problem) -> None:
    """403 for a provider that has not accepted the NDA of an nda-tier problem."""
    if problem.confidentiality is not ConfidentialityTier.nda or is_owner(actor, problem):
        return
    view = await view_of(session, actor, problem)
    if not view.nda_accepted:
        raise NdaRequired()


async def require_may_propose(session: AsyncSession, problem: Problem, org_id: uuid.UUID) -> None:
    """403 unless the proposing organisation itself may answer: for an `nda` problem it accepted the
    NDA; for an `invite_only` one it (or its centre) is invited."""
    if problem.confidentiality is ConfidentialityTier.nda:
        accepted = await session.scalar(
            select(NdaAcceptance.id).where(
                NdaAcceptance.problem_id == problem.id, NdaAcceptance.organisation_id == org_id
            )
        )
        if not accepted:
            raise NdaRequired()
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
