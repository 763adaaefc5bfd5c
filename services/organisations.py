"""Organisations, their members, and who may see them.

Visibility: members see their organisation; staff of a centre HQ also see its institutes;
platform admins see all. Anything else is 404, so another tenant's existence is never revealed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ADMIN_ROLES, ROLES_BY_KIND, CentreCategory, InvitationStatus, OrganisationKind, Role
from models.organisations import Membership, MembershipInvitation, Organisation, User
from services import clock
from services.actors import Actor
from services.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound, RoleNotAllowed
from services.ledger import chart
from services.pagination import Page, SortKey, paginate
from services.security import PasswordHasher
from services.settings import Settings


class OrganisationNotFound(NotFound):
    title = "Organisation not found"
    slug = "organisation-not-found"


class MemberNotFound(NotFound):
    title = "Member not found"
    slug = "member-not-found"


class InvitationNotFound(NotFound):
    title = "No such invitation"
    slug = "invitation-not-found"


class InvitationAnswered(Conflict):
    """Answering or withdrawing an invitation that is no longer pending (accepted, declined or
    withdrawn; the detail says which)."""

    title = "The invitation is no longer pending"
    slug = "invitation-answered"


class LastAdmin(Conflict):
    title = "An organisation must keep at least one administrator"
    slug = "last-admin"


@dataclass(frozen=True)
class OrganisationInput:
    kind: OrganisationKind
    name: str
    uscc: str
    region: str
    name_en: str | None = None
    parent_id: uuid.UUID | None = None
    centre_category: CentreCategory | None = None
    timezone: str = "Asia/Shanghai"
    description: str | None = None


def visible_organisations(actor: Actor) -> Select[Organisation]:
    """Organisations whose private profile the actor may read."""
    stmt = select(Organisation)
    if actor.is_platform_admin:
        return stmt
    return stmt.where(Organisation.id.in_(actor.organisation_ids))


async def get(session: AsyncSession, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    """One visible organisation, else 404."""
    org = await session.scalar(visible_organisations(actor).where(Organisation.id == organisation_id))
    if org is None:
        raise OrganisationNotFound()
    return org


async def list_visible(
    session: AsyncSession, actor: Actor, *, kind: OrganisationKind | None, limit: int, cursor: str | None
) -> Page[Organisation]:
    """A page of the organisations the actor may see."""
    stmt = visible_organisations(actor)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    return await paginate(session, stmt, [SortKey(Organisation.id)], limit=limit, cursor=cursor)


def _may_administer(actor: Actor, org: Organisation) -> bool:
    return actor.is_platform_admin or org.id in actor.admin_org_ids()


async def create(session: AsyncSession, actor: Actor, data: OrganisationInput) -> Organisation:
    """Platform admins create any organisation; a centre manager creates institutes of their centre."""
    if not actor.is_platform_admin:
        if data.kind is not OrganisationKind.institute or data.parent_id is None:
            raise RoleNotAllowed("only platform administrators create organisations of this kind")
        if actor.role_in(data.parent_id) is not Role.centre_manager:
            raise RoleNotAllowed("only a manager of the parent centre may create its institutes")
    if data.kind is OrganisationKind.institute:
        if data.parent_id is None:
            raise Invalid("an institute needs its parent centre", loc=["body", "parent_id"])
        parent = await session.get(Organisation, data.parent_id)
        if parent is None or parent.kind is not OrganisationKind.centre:
            raise Invalid("the parent must be a centre", loc=["body", "parent_id"])
    elif data.parent_id is not None:
        raise Invalid("only institutes have a parent", loc=["body", "parent_id"])
    if data.centre_category is not None and data.kind is not OrganisationKind.centre:
        raise Invalid("only centres have a category", loc=["body", "centre_category"])
    if await session.scalar(select(Organisation.id).where(Organisation.uscc == data.uscc)):
        raise AlreadyExists("an organisation with this unified social credit code already exists")
    org = Organisation(
        kind=data.kind,
        name=data.name,
        name_en=data.name_en,
        uscc=data.uscc,
        region=data.region,
        parent_id=data.parent_id,
        centre_category=data.centre_category
        or (CentreCategory.comprehensive if data.kind is OrganisationKind.centre else None),
        timezone=data.timezone,
        description=data.description,
        verified=actor.is_platform_admin,
    )
    session.add(org)
    await session.flush()
    if org.kind is OrganisationKind.centre:
        await chart.open_chart(session, org.id)  # a centre's ledger starts with its CNY chart
    return org


async def update(session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, changes: dict) -> Organisation:
    """Change the profile; only platform admins change `verified`."""
    org = await get(session, actor, organisation_id)
    if not _may_administer(actor, org):
        raise RoleNotAllowed("only the organisation's administrators may change it")
    if "verified" in changes and not actor.is_platform_admin:
        raise RoleNotAllowed("only platform administrators verify organisations")
    if "uscc" in changes and changes["uscc"] != org.uscc:
        taken = await session.scalar(select(Organisation.id).where(Organisation.uscc == changes["uscc"]))
        if taken:
            raise AlreadyExists("an organisation with this unified social credit code already exists")
    if "centre_category" in changes and org.kind is not OrganisationKind.centre:
        raise Invalid("only centres have a category", loc=["body", "centre_category"])
    for field, value in changes.items():
        setattr(org, field, value)
    await session.flush()
    return org


# Members


async def list_members(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[tuple[Membership, User]]:
    """Members of a visible organisation."""
    await get(session, actor, organisation_id)
    stmt = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id)
    )
    return await paginate(
        session,
        stmt,
        [SortKey(Membership.id, getter=lambda row: row.Membership.id)],
        limit=limit,
        cursor=cursor,
        scalars=False,
    )


@dataclass(frozen=True)
class MemberInput:
    email: str
    role: Role
    full_name: str | None = None
    initial_password: str | None = None


async def invite_member(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, data: MemberInput, passwords: PasswordHasher
) -> MembershipInvitation:
    """Invite an e-mail address to a role (administrators). The answer is the same pending
    invitation whether or not an account has that e-mail, so nothing about an account is revealed;
    the membership exists once the account accepts (`accept_invitation`). When no account has the
    e-mail and a name and initial password are given, the account is created for the person (who
    signs in with it, accepts, and changes the password)."""
    org = await get(session, actor, organisation_id)
    if not _may_administer(actor, org):
        raise RoleNotAllowed("only the organisation's administrators may add members")
    if data.role not in ROLES_BY_KIND[org.kind]:
        allowed = ", ".join(sorted(r.value for r in ROLES_BY_KIND[org.kind]))
        raise Invalid(
            f"role {data.role.value} is not available in a {org.kind.value}; use one of {allowed}", loc=["body", "role"]
        )
    email = data.email.lower()
    # The hash is computed whether or not it is used, so the answer takes as long either way.
    initial_hash = await passwords.hash_async(data.initial_password) if data.initial_password else None
    pending = await session.scalar(
        select(MembershipInvitation).where(
            MembershipInvitation.organisation_id == org.id,
            MembershipInvitation.email == email,
            MembershipInvitation.status == InvitationStatus.pending,
        )
    )
    if pending is not None:
        pending.role = data.role
        await session.flush()
        return pending
    user = await session.scalar(select(User).where(User.email == email))
    if user is None and data.full_name and initial_hash:
        session.add(User(email=email, full_name=data.full_name, password_hash=initial_hash))
    invitation = MembershipInvitation(organisation_id=org.id, email=email, role=data.role, invited_by=actor.user_id)
    session.add(invitation)
    await session.flush()
    return invitation


def visible_invitations(actor: Actor) -> Select[MembershipInvitation]:
    """Invitations addressed to the actor's e-mail."""
    return select(MembershipInvitation).where(MembershipInvitation.email == actor.email.lower())


async def my_invitations(session: AsyncSession, actor: Actor, *, limit: int, cursor: str | None) -> Page[Any]:
    """The caller's pending invitations with the inviting organisation (rows of both), oldest first."""
    stmt = (
        visible_invitations(actor)
        .add_columns(Organisation)
        .join(Organisation, Organisation.id == MembershipInvitation.organisation_id)
        .where(MembershipInvitation.status == InvitationStatus.pending)
    )
    return await paginate(
        session,
        stmt,
        [SortKey(MembershipInvitation.id, getter=lambda row: row.MembershipInvitation.id)],
        limit=limit,
        cursor=cursor,
        scalars=False,
    )


async def organisation_invitations(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[MembershipInvitation]:
    """The organisation's pending invitations (its administrators)."""
    org = await get(session, actor, organisation_id)
    if not _may_administer(actor, org):
        raise RoleNotAllowed("only the organisation's administrators see its invitations")
    stmt = select(MembershipInvitation).where(
        MembershipInvitation.organisation_id == org.id, MembershipInvitation.status == InvitationStatus.pending
    )
    return await paginate(session, stmt, [SortKey(MembershipInvitation.id)], limit=limit, cursor=cursor)


async def _pending_of(session: AsyncSession, actor: Actor, invitation_id: uuid.UUID) -> MembershipInvitation:
    invitation = await session.scalar(
        visible_invitations(actor).where(MembershipInvitation.id == invitation_id).with_for_update()
    )
    if invitation is None:
        raise InvitationNotFound()
    if invitation.status is not InvitationStatus.pending:
        raise InvitationAnswered(f"the invitation is already {invitation.status.value}")
    return invitation


async def accept_invitation(
    session: AsyncSession, actor: Actor, invitation_id: uuid.UUID
) -> tuple[Membership, Organisation]:
    """Accept an invitation addressed to the caller: the membership is created now."""
    invitation = await _pending_of(session, actor, invitation_id)
    if await session.scalar(
        select(Membership.id).where(
            Membership.user_id == actor.user_id, Membership.organisation_id == invitation.organisation_id
        )
    ):
        raise AlreadyExists("you are already a member; leave first to take another role")
    invitation.status = InvitationStatus.accepted
    invitation.responded_at = clock.now()
    membership = Membership(user_id=actor.user_id, organisation_id=invitation.organisation_id, role=invitation.role)
    session.add(membership)
    await session.flush()
    org = await session.get(Organisation, invitation.organisation_id)
    assert org is not None  # the foreign key holds
    return membership, org


async def decline_invitation(session: AsyncSession, actor: Actor, invitation_id: uuid.UUID) -> None:
    """Decline an invitation addressed to the caller; the organisation may invite again."""
    invitation = await _pending_of(session, actor, invitation_id)
    invitation.status = InvitationStatus.declined
    invitation.responded_at = clock.now()
    await session.flush()


async def withdraw_invitation(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, invitation_id: uuid.UUID
) -> MembershipInvitation:
    """Withdraw a pending invitation of the organisation (whoever may invite: its administrators).
    The invitee no longer sees it and can no longer accept or decline it (409); withdrawing one that
    is no longer pending is a 409 as well."""
    org = await get(session, actor, organisation_id)
    if not _may_administer(actor, org):
        raise RoleNotAllowed("only the organisation's administrators may withdraw its invitations")
    invitation = await session.scalar(
        select(MembershipInvitation)
        .where(MembershipInvitation.id == invitation_id, MembershipInvitation.organisation_id == org.id)
        .with_for_update()
    )
    if invitation is None:
        raise InvitationNotFound()
    if invitation.status is not InvitationStatus.pending:
        raise InvitationAnswered(f"the invitation is already {invitation.status.value}")
    invitation.status = InvitationStatus.withdrawn
    invitation.responded_at = clock.now()
    await session.flush()
    return invitation


async def remove_member(session: AsyncSession, actor: Actor, organisation_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Remove a membership; the last administrator cannot be removed."""
    org = await get(session, actor, organisation_id)
    if not _may_administer(actor, org) and user_id != actor.user_id:
        raise RoleNotAllowed("only the organisation's administrators may remove other members")
    membership = await session.scalar(
        select(Membership).where(Membership.organisation_id == org.id, Membership.user_id == user_id).with_for_update()
    )
    if membership is None:
        raise MemberNotFound()
    if membership.role in ADMIN_ROLES:
        admins = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organisation_id == org.id, Membership.role.in_(ADMIN_ROLES))
        )
        if (admins or 0) <= 1:
            raise LastAdmin()
    await session.delete(membership)
    await session.flush()


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Membership, Organisation]]:
    """A user's memberships with their organisations, by organisation name."""
    rows = (
        await session.execute(
            select(Membership, Organisation)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.user_id == user_id)
            .order_by(Organisation.name, Organisation.id)
        )
    ).all()
    return [(r.Membership, r.Organisation) for r in rows]


async def get_user_with_memberships(
    session: AsyncSession, actor: Actor
) -> tuple[User, list[tuple[Membership, Organisation]]]:
    """The caller's account and organisations (for /me)."""
    user = await session.get(User, actor.user_id)
    if user is None:
        raise Forbidden("account not found")
    return user, await memberships_of(session, user.id)


async def ensure_platform_admin(
    session: AsyncSession, settings: Settings, email: str, full_name: str, password: str
) -> bool:
    """Create a platform administrator or promote an existing user; True when created."""
    email = email.strip().lower()
    passwords = PasswordHasher(settings)
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        session.add(
            User(email=email, full_name=full_name, password_hash=passwords.hash(password), is_platform_admin=True)
        )
        await session.flush()
        return True
    user.is_platform_admin = True
    user.password_hash = passwords.hash(password)
    await session.flush()
    return False
