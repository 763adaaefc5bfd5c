"""Database.read_session: reads without a transaction, so they neither lock nor stay open."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from models.organisations import Organisation
from services.db import Database
from tests.factories import create_org


async def _connection_in_transaction(session, is_postgres: bool) -> bool:
    """Whether the database connection under the session has a transaction open (asked of the driver)."""
    conn = await session.connection()
    raw = (await conn.get_raw_connection()).driver_connection
    if is_postgres:
        return raw.is_in_transaction()  # asyncpg: the server's ReadyForQuery status
    return bool(raw._conn.in_transaction)  # aiosqlite -> sqlite3


class TestReadSession:
    async def test_reads_committed_rows(self, db: Database) -> None:
        org = await create_org(db, name="读会话中心")
        async with db.read_session() as session:
            name = await session.scalar(select(Organisation.name).where(Organisation.id == org.id))
        assert name == "读会话中心"

    async def test_leaves_no_transaction_open_after_a_read(self, db: Database, is_postgres: bool) -> None:
        async with db.read_session() as session:
            await session.execute(select(func.count()).select_from(Organisation))
            assert await _connection_in_transaction(session, is_postgres) is False

    async def test_write_session_is_a_transaction(self, db: Database, is_postgres: bool) -> None:
        # The control for the test above: the same probe sees the request session's transaction.
        async with db.session_scope() as session:
            await session.execute(select(func.count()).select_from(Organisation))
            assert await _connection_in_transaction(session, is_postgres) is True

    async def test_an_open_read_does_not_block_a_writer(self, db: Database) -> None:
        async with db.read_session() as reader:
            before = await reader.scalar(select(func.count()).select_from(Organisation))
            # The read session is still open (its connection checked out) while another session
            # writes and commits; on SQLite a BEGIN IMMEDIATE by the reader would make this wait
            # for the busy timeout (10 s) and fail.
            async with asyncio.timeout(5):
                await create_org(db, name="并发写入中心")
            after = await reader.scalar(select(func.count()).select_from(Organisation))
        assert after == before + 1  # and each read statement sees the latest commit
