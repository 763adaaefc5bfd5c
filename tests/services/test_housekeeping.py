"""Housekeeping (issue 12 item 10): old login attempts are pruned by a CLI command; an attachment
file written for a transaction that rolls back is removed, and a deleted one goes only on commit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app as cli
from models.auth import LoginAttempt
from models.enums import OrganisationKind, Role
from services import attachments, clock
from services.actors import load_actor
from services.db import Database
from services.settings import get_settings
from tests.factories.catalogue import pilot_body
from tests.factories.organisations import build

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


async def _staff_and_listing(client, db, app):
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre)
        user = b.user((centre, Role.centre_staff))
        headers = b.headers(user)
    response = await client.post("/api/v1/pilot-results", json=pilot_body(), headers=headers)
    assert response.status_code == 201, response.text
    return user, uuid.UUID(response.json()["id"])


class TestAttachmentFiles:
    async def test_a_file_written_for_a_rolled_back_transaction_is_removed(self, client, db, app, tmp_path):
        user, listing_id = await _staff_and_listing(client, db, app)
        async with db.sessionmaker() as session:
            actor = await load_actor(session, user)
            made = await attachments.add(
                session, actor, listing_id, filename="a.pdf", data=PDF, directory=tmp_path, max_bytes=4096
            )
            path = attachments.path_of(tmp_path, made)
            assert path.is_file()
            await session.rollback()
        assert not path.exists()

    async def test_a_committed_file_stays_and_a_deletion_takes_effect_on_commit(self, client, db, app, tmp_path):
        user, listing_id = await _staff_and_listing(client, db, app)
        async with db.sessionmaker() as session:
            actor = await load_actor(session, user)
            made = await attachments.add(
                session, actor, listing_id, filename="a.pdf", data=PDF, directory=tmp_path, max_bytes=4096
            )
            await session.commit()
        path = attachments.path_of(tmp_path, made)
        assert path.read_bytes() == PDF
        async with db.sessionmaker() as session:
            actor = await load_actor(session, user)
            await attachments.remove(session, actor, made.id, directory=tmp_path)
            assert path.is_file()  # not before the deletion commits
            await session.rollback()
        assert path.is_file()  # the row is back, so is its file
        async with db.sessionmaker() as session:
            actor = await load_actor(session, user)
            await attachments.remove(session, actor, made.id, directory=tmp_path)
            await session.commit()
        assert not path.exists()


def _use(monkeypatch, settings) -> None:
    monkeypatch.setenv("TTM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TTM_JWT_KEY_DIR", str(settings.jwt_key_dir))
    get_settings.cache_clear()


def test_prune_login_attempts_deletes_only_old_rows(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    now = clock.now()

    async def seed() -> None:
        database = Database(settings)
        try:
            async with database.session_scope() as session:
                for days in (90, 31, 29, 0):
                    clock.set(now - timedelta(days=days))
                    session.add(LoginAttempt(email="a@example.com", client="203.0.113.1", succeeded=False))
                    await session.flush()
        finally:
            clock.set(now)
            await database.dispose()

    async def left() -> int:
        database = Database(settings)
        try:
            async with database.session_scope() as session:
                return int(await session.scalar(select(func.count()).select_from(LoginAttempt)) or 0)
        finally:
            await database.dispose()

    asyncio.run(seed())
    result = CliRunner().invoke(cli, ["prune-login-attempts"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 login attempts older than 30 days" in result.output
    assert asyncio.run(left()) == 2
    result = CliRunner().invoke(cli, ["prune-login-attempts", "--older-than-days", "1"])
    assert "deleted 1 " in result.output
    assert asyncio.run(left()) == 1  # today's attempt: the rate limits still count it
    get_settings.cache_clear()
