"""Registration, tokens (OAuth2 password flow), refresh, sign-out and the caller's profile."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import API_PREFIX, AuthDep, CurrentActor, PageDep, SessionDep, SettingsDep, client_address
from api.errors import problem, problems_doc
from api.schemas.auth import LogoutRequest, PasswordChange, RefreshRequest, RegisterRequest, TokenResponse, user_read
from api.schemas.common import Page
from api.schemas.organisations import MembershipRead, MyInvitationRead, UserRead
from services import organisations
from services.auth import Registration, UserNotFound
from services.errors import (
    AlreadyExists,
    Invalid,
    InvalidCredentials,
    InvalidToken,
    RoleNotAllowed,
    TooManyLoginAttempts,
    TooManyRegistrations,
)

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


@router.post(
    "/auth/register",
    operation_id="registerAccount",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={409: problem(AlreadyExists), 429: problem(TooManyRegistrations)},
)
async def register(
    request: Request, body: RegisterRequest, session: SessionDep, auth: AuthDep, settings: SettingsDep
) -> UserRead:
    """Create an account and a new SME organisation; the caller becomes the SME's administrator.

    The organisation starts unverified until a platform administrator checks it. Registrations are
    limited per client address (429 with Retry-After).
    """
    user = await auth.register(
        session,
        Registration(
            email=str(body.email),
            password=body.password,
            full_name=body.full_name,
            phone=body.phone,
            organisation_name=body.organisation.name,
            uscc=body.organisation.uscc,
            region=body.organisation.region,
        ),
        client=client_address(request, settings),
    )
    return user_read(user, await organisations.memberships_of(session, user.id))


@router.post(
    "/auth/token",
    operation_id="signIn",
    response_model=TokenResponse,
    responses={401: problem(InvalidCredentials), 429: problem(TooManyLoginAttempts)},
)
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    auth: AuthDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Sign in with e-mail (`username`) and password; returns an access and a refresh token.

    Failed attempts are limited per e-mail and per client address (429 with Retry-After).
    """
    pair = await auth.login(
        session,
        form.username,
        form.password[: settings.password_max_length + 1],
        client=client_address(request, settings),
        user_agent=request.headers.get("user-agent"),
    )
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post(
    "/auth/refresh", operation_id="refreshToken", response_model=TokenResponse, responses={401: problem(InvalidToken)}
)
async def refresh(body: RefreshRequest, session: SessionDep, auth: AuthDep) -> TokenResponse:
    """Exchange a refresh token for a new pair. Each refresh token works once; presenting a spent
    one again ends the whole sign-in session (every token descended from the same login)."""
    pair = await auth.refresh(session, body.refresh_token)
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post(
    "/auth/logout",
    operation_id="signOut",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: problem(InvalidToken)},
)
async def logout(body: LogoutRequest, actor: CurrentActor, session: SessionDep, auth: AuthDep) -> None:
    """End the sign-in session: its refresh tokens and access tokens stop working at once."""
    await auth.logout(session, body.refresh_token, actor)


@router.get("/me", operation_id="getMe", response_model=UserRead)
async def me(actor: CurrentActor, session: SessionDep) -> UserRead:
    """The signed-in user and the organisations they belong to, with their role in each."""
    user, rows = await organisations.get_user_with_memberships(session, actor)
    return user_read(user, rows)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        401: problems_doc(InvalidCredentials, InvalidToken),
        429: problem(TooManyLoginAttempts),
    },
    operation_id="changeMyPassword",
)
async def change_password(
    request: Request,
    body: PasswordChange,
    actor: CurrentActor,
    session: SessionDep,
    auth: AuthDep,
    settings: SettingsDep,
) -> None:
    """Change your password (the current one required; a wrong one counts as a failed sign-in).
    Every other sign-in session ends at once; this one continues."""
    await auth.change_password(
        session, actor, body.current_password, body.new_password, client=client_address(request, settings)
    )


@router.post(
    "/users/{user_id}/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: problem(RoleNotAllowed), 404: problem(UserNotFound), 422: problem(Invalid)},
    operation_id="disableAccount",
)
async def disable_account(user_id: uuid.UUID, actor: CurrentActor, session: SessionDep, auth: AuthDep) -> None:
    """Disable an account (platform administrators): its sign-in sessions end and its tokens stop
    working at once; it can no longer sign in."""
    await auth.set_active(session, actor, user_id, active=False)


@router.post(
    "/users/{user_id}/enable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: problem(RoleNotAllowed), 404: problem(UserNotFound)},
    operation_id="enableAccount",
)
async def enable_account(user_id: uuid.UUID, actor: CurrentActor, session: SessionDep, auth: AuthDep) -> None:
    """Enable a disabled account again (platform administrators); it signs in afresh."""
    await auth.set_active(session, actor, user_id, active=True)


@router.get("/me/invitations", response_model=Page[MyInvitationRead], operation_id="listMyInvitations")
async def my_invitations(actor: CurrentActor, session: SessionDep, page: PageDep) -> Page[MyInvitationRead]:
    """Invitations to join an organisation addressed to your e-mail, still unanswered."""
    result = await organisations.my_invitations(session, actor, limit=page.limit, cursor=page.cursor)
    return Page[MyInvitationRead](
        items=[
            MyInvitationRead(
                id=invitation.id,
                organisation_id=org.id,
                organisation_name=org.name,
                organisation_kind=org.kind,
                role=invitation.role,
                created_at=invitation.created_at,
            )
            for invitation, org in result.items
        ],
        next_cursor=result.next_cursor,
    )


@router.post(
    "/me/invitations/{invitation_id}/accept",
    response_model=MembershipRead,
    responses={
        404: problem(organisations.InvitationNotFound),
        409: problems_doc(organisations.InvitationAnswered, AlreadyExists),
    },
    operation_id="acceptInvitation",
)
async def accept_invitation(invitation_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> MembershipRead:
    """Accept an invitation: you become a member with the role it offers."""
    membership, org = await organisations.accept_invitation(session, actor, invitation_id)
    return MembershipRead(
        organisation_id=org.id,
        organisation_name=org.name,
        organisation_kind=org.kind,
        parent_id=org.parent_id,
        role=membership.role,
    )


@router.post(
    "/me/invitations/{invitation_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: problem(organisations.InvitationNotFound), 409: problem(organisations.InvitationAnswered)},
    operation_id="declineInvitation",
)
async def decline_invitation(invitation_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> None:
    """Decline an invitation; the organisation learns it was declined and may invite again."""
    await organisations.decline_invitation(session, actor, invitation_id)
