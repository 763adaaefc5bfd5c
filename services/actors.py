"""Who is calling: the user and their memberships, loaded once per request.

Tenant scoping everywhere starts from an Actor: the organisations it belongs to, and for staff
of a centre HQ, that centre's institutes too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ADMIN_ROLES, PROVIDER_KINDS, PROVIDER_ROLES, OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services.errors import Invalid, RoleNotAllowed


@dataclass(frozen=True)
class MembershipView:
    organisation_id: uuid.UUID
    kind: OrganisationKind
    role: Role
    parent_id: uuid.UUID | None


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    email: str
    full_name: str
    is_platform_admin: bool
    memberships: tuple[MembershipView, ...]
    # Institutes whose parent centre the actor belongs to (HQ staff act for them too).
    child_institutes: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # institute -> centre
    # The sign-in session the access token belongs to (None for the CLI and jobs).
    session_id: uuid.UUID | None = None

    def role_in(self, organisation_id: uuid.UUID) -> Role | None:
        for m in self.memberships:
            if m.organisation_id == organisation_id:
                return m.role
        return None

    @property
    def organisation_ids(self) -> frozenset[uuid.UUID]:
        """Organisations whose private data the actor may read: own ones and their institutes."""
        return frozenset(m.organisation_id for m in self.memberships) | frozenset(self.child_institutes)

    @property
    def private_org_ids(self) -> frozenset[uuid.UUID]:
        """Organisations whose private records (contracts, bookings, proposals, problems, service
        requests) the actor may read: those where it holds a role other than `evaluator`, and the
        institutes of such a centre. Evaluators review what they are shown; they read nothing private
        of their organisation (docs/security.md, "Roles' reach")."""
        working = {m.organisation_id for m in self.memberships if m.role is not Role.evaluator}
        return frozenset(working) | frozenset(i for i, centre in self.child_institutes.items() if centre in working)

    @property
    def working_org_ids(self) -> frozenset[uuid.UUID]:
        """Organisations whose dealings in progress (proposals, service requests) the actor may read:
        those where it holds a role other than `evaluator` or `finance`, and the institutes of such a
        centre. Finance reads the money (bookings, contracts, settlements), not the negotiations
        (docs/security.md, "Roles' reach")."""
        working = {m.organisation_id for m in self.memberships if m.role not in (Role.evaluator, Role.finance)}
        return frozenset(working) | frozenset(i for i, centre in self.child_institutes.items() if centre in working)

    def finance_org_ids(self) -> set[uuid.UUID]:
        """Centres where the actor is `finance`, and their institutes: finance reads the bookings and
        contracts of all of them, as it reads their ledger."""
        return self.orgs_with([Role.finance], PROVIDER_KINDS)

    def orgs_with(self, roles: Iterable[Role], kinds: Iterable[OrganisationKind] | None = None) -> set[uuid.UUID]:
        """Organisations where the actor holds one of `roles`; a centre HQ role extends to its institutes."""
        roles = frozenset(roles)
        kinds = frozenset(kinds) if kinds is not None else frozenset(OrganisationKind)
        direct = {m.organisation_id: m.kind for m in self.memberships if m.role in roles}
        found = {org for org, kind in direct.items() if kind in kinds}
        if OrganisationKind.institute in kinds:
            found |= {inst for inst, centre in self.child_institutes.items() if centre in direct}
        return found

    def provider_org_ids(self) -> set[uuid.UUID]:
        """Centres and institutes the actor may act for as staff."""
        return self.orgs_with(PROVIDER_ROLES, PROVIDER_KINDS)

    def admin_org_ids(self) -> set[uuid.UUID]:
        """Organisations the actor administers (manager or admin role; HQ managers also institutes)."""
        return self.orgs_with(ADMIN_ROLES)

    def sme_ids(self, roles: Iterable[Role] = (Role.sme_member, Role.sme_admin)) -> set[uuid.UUID]:
        return self.orgs_with(roles, [OrganisationKind.sme])

    def is_provider_staff(self) -> bool:
        return bool(self.provider_org_ids())

    def acting_org(
        self, candidates: set[uuid.UUID], requested: uuid.UUID | None, what: str, *, field: str = "organisation_id"
    ) -> uuid.UUID:
        """The organisation the actor acts for among `candidates`: the one requested (403 unless one
        of them), else the actor's only direct membership among them (HQ staff act for the centre
        unless they name an institute; 422 at the body's `field` when several fit and none is named)."""
        if requested is not None:
            if requested not in candidates:
                raise RoleNotAllowed(f"you do not act for that organisation as {what}")
            return requested
        if not candidates:
            raise RoleNotAllowed(f"only {what} may do this")
        direct = {m.organisation_id for m in self.memberships} & candidates
        if len(direct) != 1:
            raise Invalid("you act for several organisations; say which one", loc=["body", field])
        return next(iter(direct))

    def require_provider_staff(self) -> set[uuid.UUID]:
        """The provider organisations of the actor, or 403 for anyone else."""
        orgs = self.provider_org_ids()
        if not orgs:
            raise RoleNotAllowed("only centre or institute staff may do this")
        return orgs


async def load_actor(session: AsyncSession, user: User) -> Actor:
    """Build the actor from the user's memberships (one query, plus one for HQ institutes)."""
    rows = (
        await session.execute(
            select(Membership.organisation_id, Membership.role, Organisation.kind, Organisation.parent_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.user_id == user.id)
        )
    ).all()
    memberships = tuple(
        MembershipView(organisation_id=r.organisation_id, kind=r.kind, role=r.role, parent_id=r.parent_id) for r in rows
    )
    centre_ids = [m.organisation_id for m in memberships if m.kind is OrganisationKind.centre]
    children: dict[uuid.UUID, uuid.UUID] = {}
    if centre_ids:
        result = await session.execute(
            select(Organisation.id, Organisation.parent_id).where(Organisation.parent_id.in_(centre_ids))
        )
        children = {row.id: row.parent_id for row in result}
    return Actor(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_platform_admin=user.is_platform_admin,
        memberships=memberships,
        child_institutes=children,
    )
