"""Organisations, users and signed-in headers, built straight into the database.

A test's world is built in one session (`build`): every organisation, user, membership and
sign-in session of a cast is added and committed once, instead of one transaction per record.
The single-record helpers (`create_org`, `create_member`, ...) open such a session for one record.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.auth import AuthSession
from models.base import uuid7
from models.codes import ALPHABET, uscc_check_character
from models.enums import CentreCategory, OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services.db import Database

PASSWORD = "correct-horse-battery"
_rng = random.Random()


def make_uscc() -> str:
    """A random unified social credit code with a valid check character."""
    body = (
        "91" + "".join(_rng.choice(string.digits) for _ in range(6)) + "".join(_rng.choice(ALPHABET) for _ in range(9))
    )
    return body + uscc_check_character(body)


@cache
def _hash_of(hasher, password: str) -> str:
    # One argon2 hash per password and test session: every user with the same password can share it.
    return hasher.hash(password)


class Builder:
    """Adds records to one session; ids are assigned up front so records can refer to each other."""

    def __init__(self, session: AsyncSession, app) -> None:
        self.session = session
        self.app = app
        # Added in this order at the end: the ORM orders inserts by relationships, and these
        # tables are linked by foreign keys only.
        self._layers: tuple[list[Any], ...] = ([], [], [], [])

    async def save(self) -> None:
        """Insert what was built, parents before children."""
        for layer in self._layers:
            self.session.add_all(layer)
            await self.session.flush()
            layer.clear()

    def org(
        self,
        kind: OrganisationKind = OrganisationKind.sme,
        *,
        parent: Organisation | None = None,
        name: str | None = None,
        region: str = "320500",
        verified: bool = True,
    ) -> Organisation:
        org = Organisation(
            id=uuid7(),
            kind=kind,
            name=name or f"{kind.value}-{uuid.uuid4().hex[:6]}",
            uscc=make_uscc(),
            region=region,
            parent_id=parent.id if parent else None,
            centre_category=CentreCategory.comprehensive if kind is OrganisationKind.centre else None,
            verified=verified,
        )
        self._layers[0 if parent is None else 1].append(org)
        return org

    def user(
        self,
        *memberships: tuple[Organisation, Role],
        email: str | None = None,
        platform_admin: bool = False,
        password: str = PASSWORD,
    ) -> User:
        user = User(
            id=uuid7(),
            email=email or f"user-{uuid.uuid4().hex[:10]}@example.com",
            full_name="测试用户",
            password_hash=_hash_of(self.app.state.auth.passwords, password),
            is_platform_admin=platform_admin,
        )
        self._layers[1].append(user)
        self._layers[2].extend(
            Membership(user_id=user.id, organisation_id=org.id, role=role) for org, role in memberships
        )
        return user

    def headers(self, user: User) -> dict[str, str]:
        """A bearer header for `user`, from a real sign-in session (no password round trip)."""
        auth_session = AuthSession(id=uuid7(), user_id=user.id)
        self._layers[3].append(auth_session)
        token = self.app.state.auth.tokens.issue_access(user.id, auth_session.id)
        return {"Authorization": f"Bearer {token}"}

    def member(self, org: Organisation, role: Role) -> tuple[User, dict[str, str]]:
        """A user with one role in `org`, and their auth header."""
        user = self.user((org, role))
        return user, self.headers(user)


@asynccontextmanager
async def build(db: Database, app) -> AsyncIterator[Builder]:
    """A builder whose records are committed together when the block ends."""
    async with db.session_scope() as session:
        builder = Builder(session, app)
        yield builder
        await builder.save()


async def create_org(
    db: Database,
    kind: OrganisationKind = OrganisationKind.sme,
    *,
    parent: Organisation | None = None,
    name: str | None = None,
    region: str = "320500",
    verified: bool = True,
    app=None,
) -> Organisation:
    async with build(db, app) as b:
        return b.org(kind, parent=parent, name=name, region=region, verified=verified)


async def create_user(
    db: Database,
    app,
    *memberships: tuple[Organisation, Role],
    email: str | None = None,
    platform_admin: bool = False,
    password: str = PASSWORD,
) -> User:
    async with build(db, app) as b:
        return b.user(*memberships, email=email, platform_admin=platform_admin, password=password)


async def auth_headers(db: Database, app, user: User) -> dict[str, str]:
    """A bearer header for `user`, from a real sign-in session (no password round trip)."""
    async with build(db, app) as b:
        return b.headers(user)


async def create_member(db: Database, app, org: Organisation, role: Role) -> tuple[User, dict[str, str]]:
    """A user with one role in `org`, and their auth header."""
    async with build(db, app) as b:
        return b.member(org, role)
