"""会员制: centres grant SMEs a membership tier for a period; instruments discount per tier.

Centre staff (HQ centre_staff / centre_manager) grant and list their centre's memberships; an
SME's members see their own organisation's memberships. Periods of one SME at one centre never
overlap, so at most one tier applies on any day.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import PROVIDER_ROLES, MembershipTier, OrganisationKind
from models.organisations import Organisation
from models.sme_memberships import SmeMembership
from services.actors import Actor
from services.errors import Conflict, Invalid, RoleNotAllowed
from services.organisations import OrganisationNotFound
from services.pagination import Page, SortKey, paginate


class MembershipOverlap(Conflict):
    title = "The SME already holds a membership with this centre in that period"
    slug = "membership-overlap"


def _is_centre_staff(actor: Actor, centre_id: uuid.UUID) -> bool:
    return actor.is_platform_admin or centre_id in actor.orgs_with(PROVIDER_ROLES, [OrganisationKind.centre])


async def _centre(session: AsyncSession, centre_id: uuid.UUID) -> Organisation:
    # Centres are public (their listings name them), so a missing one is the only 404 here.
    centre = await session.get(Organisation, centre_id)
    if centre is None or centre.kind is not OrganisationKind.centre:
        raise OrganisationNotFound("no centre with this id")
    return centre


def visible_memberships(actor: Actor, centre_id: uuid.UUID) -> Select[SmeMembership]:
    """A centre's memberships the actor may read: all for its staff, else the actor's own SMEs'."""
    stmt = select(SmeMembership).where(SmeMembership.centre_id == centre_id)
    if _is_centre_staff(actor, centre_id):
        return stmt
    return stmt.where(SmeMembership.sme_id.in_(actor.sme_ids()))


async def grant(
    session: AsyncSession,
    actor: Actor,
    centre_id: uuid.UUID,
    *,
    sme_id: uuid.UUID,
    tier: MembershipTier,
    valid_from: date,
    valid_until: date | None,
) -> SmeMembership:
    """Give an SME a tier with the centre for [valid_from, valid_until] (open-ended without an end)."""
    centre = await _centre(session, centre_id)
    if not _is_centre_staff(actor, centre.id):
        raise RoleNotAllowed("only the centre's staff grant memberships")
    # Lock the SME's row so two concurrent grants cannot both pass the overlap check (PostgreSQL;
    # SQLite transactions already take the write lock up front).
    sme = await session.scalar(select(Organisation).where(Organisation.id == sme_id).with_for_update())
    if sme is None or sme.kind is not OrganisationKind.sme:
        raise Invalid("memberships are for SMEs", loc=["body", "sme_id"])
    if valid_until is not None and valid_until < valid_from:
        raise Invalid("the membership ends before it starts", loc=["body", "valid_until"])
    overlapping = await session.scalar(
        select(SmeMembership.id)
        .where(SmeMembership.centre_id == centre.id, SmeMembership.sme_id == sme.id)
        .where(or_(SmeMembership.valid_until.is_(None), SmeMembership.valid_until >= valid_from))
        .where(SmeMembership.valid_from <= valid_until if valid_until is not None else true())
        .limit(1)
    )
    if overlapping is not None:
        raise MembershipOverlap()
    membership = SmeMembership(
        centre_id=centre.id,
        sme_id=sme.id,
        tier=tier,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=actor.user_id,
    )
    session.add(membership)
    await session.flush()
    return membership


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    centre_id: uuid.UUID,
    *,
    sme_id: uuid.UUID | None,
    active_on: date | None,
    limit: int,
    cursor: str | None,
) -> Page[SmeMembership]:
    """Memberships at a centre the actor may read, newest period first."""
    await _centre(session, centre_id)
    stmt = visible_memberships(actor, centre_id)
    if sme_id is not None:
        stmt = stmt.where(SmeMembership.sme_id == sme_id)
    if active_on is not None:
        stmt = stmt.where(
            SmeMembership.valid_from <= active_on,
            or_(SmeMembership.valid_until.is_(None), SmeMembership.valid_until >= active_on),
        )
    keys = [SortKey(SmeMembership.created_at, descending=True), SortKey(SmeMembership.id, descending=True)]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def active_tier(
    session: AsyncSession, centre_id: uuid.UUID, sme_id: uuid.UUID, on: date
) -> MembershipTier | None:
    """The SME's tier at the centre on a day, or None (used to price bookings)."""
    return await session.scalar(
        select(SmeMembership.tier).where(
            SmeMembership.centre_id == centre_id,
            SmeMembership.sme_id == sme_id,
            SmeMembership.valid_from <= on,
            or_(SmeMembership.valid_until.is_(None), SmeMembership.valid_until >= on),
        )
    )
