"""Registration, sign-in, refresh-token rotation with reuse detection, sign-out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.auth import AuthSession, LoginAttempt, RefreshToken
from models.enums import OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services import clock, security
from services.actors import Actor, load_actor
from services.errors import (
    AlreadyExists,
    Invalid,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    RoleNotAllowed,
    TooManyLoginAttempts,
    TooManyRegistrations,
)
from services.settings import Settings

SIGN_IN, REGISTER = "sign_in", "register"
# PostgreSQL advisory-lock classes (the first key of pg_advisory_xact_lock(int, int)).
_SIGN_IN_LOCK, _REGISTER_LOCK = 1201, 1202


class UserNotFound(NotFound):
    title = "No such account"
    slug = "user-not-found"


async def _serialise(session: AsyncSession, lock_class: int, key: str) -> None:
    """Make transactions about one `key` take turns (PostgreSQL: a transaction-scoped advisory lock,
    released at commit or rollback). SQLite needs nothing: its write transactions already run one
    at a time (BEGIN IMMEDIATE, services/db.py)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(lock_class, func.hashtext(key))))


async def prune_login_attempts(session: AsyncSession, *, older_than_days: int, window_seconds: int) -> int:
    """Delete sign-in and registration attempts older than `older_than_days` (never younger than the
    rate-limit window, which still counts them); the number deleted. Run daily (`ttm
    prune-login-attempts`, docs/production.md)."""
    keep = max(timedelta(days=older_than_days), timedelta(seconds=window_seconds))
    result = await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < clock.now() - keep))
    return int(cast(CursorResult[Any], result).rowcount or 0)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    full_name: str
    phone: str | None
    organisation_name: str
    uscc: str
    region: str


class AuthService:
    """Holds the process's key ring and password hasher; every call takes the request's session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = security.TokenService(settings, security.KeyRing.load(settings))
        self.passwords = security.PasswordHasher(settings)

    async def register(self, session: AsyncSession, data: Registration, *, client: str) -> User:
        """Create a user and a new SME organisation with the user as its admin. Limited per client
        address (`TTM_REGISTER_MAX_PER_IP` per window, exact under concurrency); a taken e-mail is
        409 (docs/security.md, "Enumeration")."""
        email = data.email.lower()
        await _serialise(session, _REGISTER_LOCK, client)
        since = clock.now() - timedelta(seconds=self.settings.login_window_seconds)
        recent = await session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.kind == REGISTER, LoginAttempt.client == client, LoginAttempt.attempted_at >= since)
        )
        if (recent or 0) >= self.settings.register_max_per_ip:
            raise TooManyRegistrations(
                "too many registrations from this address; try again later",
                retry_after=self.settings.login_window_seconds,
            )
        attempt = LoginAttempt(email=email[:254], client=client[:64], succeeded=False, kind=REGISTER)
        session.add(attempt)
        await session.flush()
        if await session.scalar(select(User.id).where(User.email == email)):
            raise AlreadyExists("an account with this e-mail already exists", keep_changes=True)
        if await session.scalar(select(Organisation.id).where(Organisation.uscc == data.uscc)):
            raise AlreadyExists(
                "an organisation with this unified social credit code is already registered", keep_changes=True
            )
        attempt.succeeded = True
        user = User(
            email=email,
            full_name=data.full_name,
            phone=data.phone,
            password_hash=await self.passwords.hash_async(data.password),
        )
        org = Organisation(kind=OrganisationKind.sme, name=data.organisation_name, uscc=data.uscc, region=data.region)
        session.add_all([user, org])
        await session.flush()
        session.add(Membership(user_id=user.id, organisation_id=org.id, role=Role.sme_admin))
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent registration took the e-mail or code
            raise AlreadyExists("an account or organisation with these details already exists") from exc
        return user

    async def login(
        self, session: AsyncSession, email: str, password: str, *, client: str, user_agent: str | None
    ) -> TokenPair:
        """Check the password (rate limited per e-mail and per client) and start a session."""
        email = email.strip().lower()
        # Attempts on one e-mail take turns (PostgreSQL: a transaction lock per e-mail), so the
        # count below sees every earlier attempt and the limit holds exactly under concurrency.
        await _serialise(session, _SIGN_IN_LOCK, email)
        await self._check_rate(session, email, client)
        user = await session.scalar(select(User).where(User.email == email))
        valid, new_hash = await self.passwords.verify_async(password, user.password_hash if user else None)
        ok = bool(user and valid and user.is_active)
        session.add(LoginAttempt(email=email[:254], client=client[:64], succeeded=ok))
        if not ok or user is None:
            await session.flush()
            raise InvalidCredentials(keep_changes=True)  # the failed attempt counts towards the limit
        if new_hash:
            user.password_hash = new_hash
        user.last_login_at = clock.now()
        auth_session = AuthSession(user_id=user.id, user_agent=(user_agent or "")[:200] or None)
        session.add(auth_session)
        await session.flush()
        return await self._issue(session, user.id, auth_session.id)

    async def refresh(self, session: AsyncSession, token: str) -> TokenPair:
        """Rotate a refresh token; presenting a spent one revokes its whole family."""
        token_id, secret = security.parse_refresh_token(token)
        row = await session.get(RefreshToken, token_id)
        if row is None or not security.secrets_match(secret, row.secret_hash):
            raise InvalidToken("unknown refresh token")
        auth_session = await session.get(AuthSession, row.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise InvalidToken("this sign-in session has ended")
        now = clock.wall()  # credentials live in real time (services/clock.py)
        if row.expires_at <= now:
            raise InvalidToken("refresh token expired")
        spent = await session.execute(
            update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=now)
        )
        if cast(CursorResult[Any], spent).rowcount != 1:
            await self._revoke(session, auth_session, "refresh_token_reused")
            raise InvalidToken("refresh token already used; the session has been revoked", keep_changes=True)
        user = await session.get(User, auth_session.user_id)
        if user is None or not user.is_active:
            raise InvalidToken("account disabled")
        return await self._issue(session, user.id, auth_session.id)

    async def logout(self, session: AsyncSession, token: str, actor: Actor) -> None:
        """End the sign-in session the refresh token belongs to."""
        token_id, secret = security.parse_refresh_token(token)
        row = await session.get(RefreshToken, token_id)
        if row is None or not security.secrets_match(secret, row.secret_hash):
            raise InvalidToken("unknown refresh token")
        auth_session = await session.get(AuthSession, row.session_id)
        if auth_session is None or auth_session.user_id != actor.user_id:
            raise InvalidToken("unknown refresh token")
        if auth_session.revoked_at is None:
            await self._revoke(session, auth_session, "logout")

    async def authenticate(self, session: AsyncSession, access_token: str) -> Actor:
        """The actor behind a valid access token whose session is still open."""
        claims = self.tokens.verify_access(access_token)
        row = (
            await session.execute(
                select(User, AuthSession.revoked_at)
                .join(AuthSession, AuthSession.user_id == User.id)
                .where(User.id == claims.user_id, AuthSession.id == claims.session_id)
            )
        ).one_or_none()
        if row is None or row.revoked_at is not None or not row.User.is_active:
            raise InvalidToken("this sign-in session has ended")
        return replace(await load_actor(session, row.User), session_id=claims.session_id)

    async def change_password(
        self, session: AsyncSession, actor: Actor, current: str, new: str, *, client: str
    ) -> None:
        """Change the caller's password (the current one required, counted like a sign-in: a wrong
        one is a failed attempt and the limits apply); every other sign-in session ends at once."""
        user = await session.get(User, actor.user_id)
        if user is None:
            raise InvalidToken("this sign-in session has ended")
        await _serialise(session, _SIGN_IN_LOCK, user.email)
        await self._check_rate(session, user.email, client)
        valid, _ = await self.passwords.verify_async(current, user.password_hash)
        if not valid:
            session.add(LoginAttempt(email=user.email[:254], client=client[:64], succeeded=False))
            await session.flush()
            raise InvalidCredentials("the current password is wrong", keep_changes=True)
        user.password_hash = await self.passwords.hash_async(new)
        await self._end_sessions(session, user.id, "password_changed", keep=actor.session_id)

    async def set_active(self, session: AsyncSession, actor: Actor, user_id: uuid.UUID, *, active: bool) -> User:
        """A platform administrator disables (or enables again) an account; disabling ends every
        sign-in session at once, so its access and refresh tokens stop on their next use."""
        if not actor.is_platform_admin:
            raise RoleNotAllowed("only platform administrators disable or enable accounts")
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise UserNotFound()
        if user.id == actor.user_id and not active:
            raise Invalid("you cannot disable your own account", loc=["path", "user_id"])
        user.is_active = active
        if not active:
            await self._end_sessions(session, user.id, "account_disabled")
        await session.flush()
        return user

    async def _end_sessions(
        self, session: AsyncSession, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
    ) -> None:
        stmt = (
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=clock.now(), revoked_reason=reason)
        )
        if keep is not None:
            stmt = stmt.where(AuthSession.id != keep)
        await session.execute(stmt)

    async def _issue(self, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> TokenPair:
        secret, digest = security.new_refresh_secret()
        now = clock.wall()  # credentials live in real time (services/clock.py)
        row = RefreshToken(
            session_id=session_id,
            secret_hash=digest,
            issued_at=now,
            expires_at=now + timedelta(days=self.settings.refresh_token_days),
        )
        session.add(row)
        await session.flush()
        return TokenPair(
            access_token=self.tokens.issue_access(user_id, session_id, now=now),
            refresh_token=security.format_refresh_token(row.id, secret),
            expires_in=self.settings.access_token_minutes * 60,
        )

    async def _revoke(self, session: AsyncSession, auth_session: AuthSession, reason: str) -> None:
        auth_session.revoked_at = clock.now()
        auth_session.revoked_reason = reason
        await session.flush()

    async def _check_rate(self, session: AsyncSession, email: str, client: str) -> None:
        since = clock.now() - timedelta(seconds=self.settings.login_window_seconds)
        failures = (
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.kind == SIGN_IN, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
        )
        by_email = await session.scalar(failures.where(LoginAttempt.email == email))
        by_client = await session.scalar(failures.where(LoginAttempt.client == client))
        if (by_email or 0) >= self.settings.login_max_failures or (
            by_client or 0
        ) >= self.settings.login_max_failures_per_ip:
            raise TooManyLoginAttempts(
                "too many failed sign-in attempts; try again later",
                retry_after=self.settings.login_window_seconds,
            )
