"""Organisations and their members."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import problem
from api.schemas.common import Page
from api.schemas.organisations import (
    MemberCreate,
    MemberInvitationRead,
    MemberRead,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    member_read,
)
from models.enums import OrganisationKind
from services import organisations
from services.errors import AlreadyExists, Invalid, RoleNotAllowed
from services.security import PasswordHasher

router = APIRouter(prefix=f"{API_PREFIX}/organisations", tags=["organisations"])


def get_passwords(request: Request) -> PasswordHasher:
    return request.app.state.auth.passwords


@router.get("", operation_id="listOrganisations", response_model=Page[OrganisationRead])
async def list_organisations(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[OrganisationKind | None, Query(description="Only organisations of this kind")] = None,
) -> Page[OrganisationRead]:
    """Organisations the caller belongs to (and, for centre HQ staff, its institutes)."""
    result = await organisations.list_visible(session, actor, kind=kind, limit=page.limit, cursor=page.cursor)
    return Page[OrganisationRead](
        items=[OrganisationRead.model_validate(o) for o in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createOrganisation",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationRead,
    responses={403: problem(RoleNotAllowed), 409: problem(AlreadyExists), 422: problem(Invalid)},
)
async def create_organisation(
    body: OrganisationCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create an organisation. Platform administrators create any kind; a centre manager creates
    institutes of their own centre. SMEs register themselves through `/auth/register`."""
    data = organisations.OrganisationInput(**body.model_dump())
    return await idem.run(
        lambda: organisations.create(session, actor, data),
        OrganisationRead,
        location=lambda org: f"/api/v1/organisations/{org.id}",
    )


@router.get(
    "/{organisation_id}",
    operation_id="getOrganisation",
    response_model=OrganisationRead,
    responses={404: problem(organisations.OrganisationNotFound)},
)
async def get_organisation(organisation_id: uuid.UUID, actor: CurrentActor, session: SessionDep):
    """One organisation the caller may see; anything else is 404."""
    return await organisations.get(session, actor, organisation_id)


@router.patch(
    "/{organisation_id}",
    operation_id="updateOrganisation",
    response_model=OrganisationRead,
    responses={403: problem(RoleNotAllowed), 404: problem(organisations.OrganisationNotFound)},
)
async def update_organisation(
    organisation_id: uuid.UUID, body: OrganisationUpdate, actor: CurrentActor, session: SessionDep
):
    """Change the profile (organisation administrators); `verified` is for platform administrators."""
    return await organisations.update(session, actor, organisation_id, body.model_dump(exclude_unset=True))


@router.get(
    "/{organisation_id}/members",
    operation_id="listOrganisationMembers",
    response_model=Page[MemberRead],
    responses={404: problem(organisations.OrganisationNotFound)},
)
async def list_members(organisation_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep):
    """Members of an organisation the caller may see, with their roles."""
    result = await organisations.list_members(session, actor, organisation_id, limit=page.limit, cursor=page.cursor)
    return Page[MemberRead](
        items=[member_read(membership, user) for membership, user in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{organisation_id}/members",
    operation_id="addOrganisationMember",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MemberInvitationRead,
    responses={
        403: problem(RoleNotAllowed),
        404: problem(organisations.OrganisationNotFound),
        422: problem(Invalid),
    },
)
async def add_member(
    organisation_id: uuid.UUID,
    body: MemberCreate,
    actor: CurrentActor,
    session: SessionDep,
    passwords: Annotated[PasswordHasher, Depends(get_passwords)],
) -> MemberInvitationRead:
    """Invite a person by e-mail to a role (administrators only): 202 with a pending invitation, the
    same answer whether or not an account has that e-mail. The person becomes a member by accepting
    it (`POST /me/invitations/{id}/accept`). With `full_name` and `initial_password`, an e-mail that
    has no account gets one, which signs in with that password to accept."""
    data = organisations.MemberInput(
        email=str(body.email), role=body.role, full_name=body.full_name, initial_password=body.initial_password
    )
    invitation = await organisations.invite_member(session, actor, organisation_id, data, passwords)
    return MemberInvitationRead.model_validate(invitation)


@router.get(
    "/{organisation_id}/invitations",
    response_model=Page[MemberInvitationRead],
    responses={403: problem(RoleNotAllowed), 404: problem(organisations.OrganisationNotFound)},
    operation_id="listOrganisationInvitations",
)
async def list_invitations(
    organisation_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[MemberInvitationRead]:
    """The organisation's pending invitations (administrators)."""
    result = await organisations.organisation_invitations(
        session, actor, organisation_id, limit=page.limit, cursor=page.cursor
    )
    return Page[MemberInvitationRead](
        items=[MemberInvitationRead.model_validate(i) for i in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{organisation_id}/invitations/{invitation_id}/withdraw",
    response_model=MemberInvitationRead,
    responses={
        403: problem(RoleNotAllowed),
        404: problem(organisations.InvitationNotFound),
        409: problem(organisations.InvitationAnswered),
    },
    operation_id="withdrawOrganisationInvitation",
)
async def withdraw_invitation(
    organisation_id: uuid.UUID, invitation_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> MemberInvitationRead:
    """Withdraw a pending invitation (the organisation's administrators): its status becomes
    `withdrawn`, the invitee no longer sees it at `/me/invitations` and accepting or declining it
    answers 409 `invitation-answered`. Withdrawing one that is no longer pending (accepted, declined,
    already withdrawn) answers 409 as well; an invitation of another organisation is 404."""
    invitation = await organisations.withdraw_invitation(session, actor, organisation_id, invitation_id)
    return MemberInvitationRead.model_validate(invitation)


@router.delete(
    "/{organisation_id}/members/{user_id}",
    operation_id="removeOrganisationMember",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: problem(RoleNotAllowed),
        404: problem(organisations.MemberNotFound),
        409: problem(organisations.LastAdmin),
    },
)
async def remove_member(
    organisation_id: uuid.UUID, user_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> None:
    """Remove a member (administrators; anyone may leave). The last administrator stays."""
    await organisations.remove_member(session, actor, organisation_id, user_id)
