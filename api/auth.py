"""Registration, tokens (OAuth2 password flow), refresh, sign-out and the caller's profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AuthDep, CurrentActor, SessionDep, SettingsDep, client_address
from api.errors import problem
from api.schemas.auth import LogoutRequest, RefreshRequest, RegisterRequest, TokenResponse, user_read
from api.schemas.organisations import UserRead
from services import organisations
from services.auth import Registration
from services.errors import AlreadyExists, InvalidCredentials, InvalidToken, TooManyLoginAttempts

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/register",
    operation_id="registerAccount",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={409: problem(AlreadyExists)},
)
async def register(body: RegisterRequest, session: SessionDep, auth: AuthDep) -> UserRead:
    """Create an account and a new SME organisation; the caller becomes the SME's administrator.

    The organisation starts unverified until a platform administrator checks it.
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
