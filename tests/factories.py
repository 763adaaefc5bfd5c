"""Helpers that create records directly in the database and sign users in."""

from __future__ import annotations

import random
import string
import uuid

from models.auth import AuthSession
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


async def create_org(
    db: Database,
    kind: OrganisationKind = OrganisationKind.sme,
    *,
    parent: Organisation | None = None,
    name: str | None = None,
    region: str = "320500",
    verified: bool = True,
) -> Organisation:
    async with db.session_scope() as session:
        org = Organisation(
            kind=kind,
            name=name or f"{kind.value}-{uuid.uuid4().hex[:6]}",
            uscc=make_uscc(),
            region=region,
            parent_id=parent.id if parent else None,
            centre_category=CentreCategory.comprehensive if kind is OrganisationKind.centre else None,
            verified=verified,
        )
        session.add(org)
    return org


async def create_user(
    db: Database,
    app,
    *memberships: tuple[Organisation, Role],
    email: str | None = None,
    platform_admin: bool = False,
    password: str = PASSWORD,
) -> User:
    async with db.session_scope() as session:
        user = User(
            email=email or f"user-{uuid.uuid4().hex[:10]}@example.com",
            full_name="测试用户",
            password_hash=app.state.auth.passwords.hash(password),
            is_platform_admin=platform_admin,
        )
        session.add(user)
        await session.flush()
        for org, role in memberships:
            session.add(Membership(user_id=user.id, organisation_id=org.id, role=role))
    return user


async def auth_headers(db: Database, app, user: User) -> dict[str, str]:
    """A bearer header for `user`, from a real sign-in session (no password round trip)."""
    async with db.session_scope() as session:
        auth_session = AuthSession(user_id=user.id)
        session.add(auth_session)
    token = app.state.auth.tokens.issue_access(user.id, auth_session.id)
    return {"Authorization": f"Bearer {token}"}


async def create_member(db: Database, app, org: Organisation, role: Role) -> tuple[User, dict[str, str]]:
    """A user with one role in `org`, and their auth header."""
    user = await create_user(db, app, (org, role))
    return user, await auth_headers(db, app, user)
