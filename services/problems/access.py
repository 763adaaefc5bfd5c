"""Invitations to invite-only problems and acceptances of NDA terms."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ConfidentialityTier
from models.problems import NdaAcceptance, ProblemInvitation
from services import clock, notifications
from services.actors import Actor
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate
from services.problems.core import (
    AlreadyInvited,
    NdaAlreadyAccepted,
    NdaNotApplicable,
    NotInviteOnly,
    add_invitation,
    get_problem,
    invitation_scope,
    is_owner,
    require_accepting,
    require_owner_staff,
    require_providers,
)


async def invite(session: AsyncSession, actor: Actor, problem_id: uuid.UUID, org_id: uuid.UUID) -> ProblemInvitation:
    """Invite a centre or institute to an invite-only problem (the SME's staff)."""
    problem = await get_problem(session, actor, problem_id, lock=True)
    require_owner_staff(actor, problem)
    if problem.confidentiality is not ConfidentialityTier.invite_only:
        raise NotInviteOnly()
    require_accepting(problem)
    await require_providers(session, [org_id], ["body", "organisation_id"])
    taken = await session.scalar(
        select(ProblemInvitation.id).where(
            ProblemInvitation.problem_id == problem.id, ProblemInvitation.organisation_id == org_id
        )
    )
    if taken:
        raise AlreadyInvited()
    return await add_invitation(session, actor, problem, org_id)


async def list_invitations(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ProblemInvitation]:
    """Invitations of a problem: all for its SME, only their own organisations' for providers."""
    problem = await get_problem(session, actor, problem_id)
    stmt = select(ProblemInvitation).where(ProblemInvitation.problem_id == problem.id)
    if not is_owner(actor, problem):
        stmt = stmt.where(ProblemInvitation.organisation_id.in_(list(invitation_scope(actor))))
    return await paginate(session, stmt, [SortKey(ProblemInvitation.id)], limit=limit, cursor=cursor)


# NDA acceptances


async def accept_nda(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, organisation_id: uuid.UUID | None
) -> NdaAcceptance:
    """Record that the actor's centre or institute accepts the problem's NDA terms (who, when, which text)."""
    problem = await get_problem(session, actor, problem_id)
    # Visibility first: what the caller cannot see is 404 whatever its role (issue 12 item 5).
    org_id = actor.acting_org(actor.provider_org_ids(), organisation_id, "centre or institute staff")
    if problem.confidentiality is not ConfidentialityTier.nda or problem.nda_terms is None:
        raise NdaNotApplicable()
    taken = await session.scalar(
        select(NdaAcceptance.id).where(NdaAcceptance.problem_id == problem.id, NdaAcceptance.organisation_id == org_id)
    )
    if taken:
        raise NdaAlreadyAccepted()
    acceptance = NdaAcceptance(
        problem_id=problem.id,
        organisation_id=org_id,
        accepted_by=actor.user_id,
        accepted_at=clock.now(),
        terms_sha256=hashlib.sha256(problem.nda_terms.encode()).hexdigest(),
    )
    session.add(acceptance)
    await session.flush()
    await notifications.send(
        session,
        Notice.problem_nda_accepted,
        about=problem.title,
        subject_id=problem.id,
        organisation_ids=[problem.sme_org_id],
    )
    return acceptance


async def list_nda_acceptances(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[NdaAcceptance]:
    """Acceptances of a problem's NDA: all for its SME, only their own organisations' for providers."""
    problem = await get_problem(session, actor, problem_id)
    stmt = select(NdaAcceptance).where(NdaAcceptance.problem_id == problem.id)
    if not is_owner(actor, problem):
        stmt = stmt.where(NdaAcceptance.organisation_id.in_(list(actor.organisation_ids)))
    return await paginate(session, stmt, [SortKey(NdaAcceptance.id)], limit=limit, cursor=cursor)
