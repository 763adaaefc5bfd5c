"""Engine and sessions: async SQLAlchemy on PostgreSQL (asyncpg) or SQLite (aiosqlite).

One commit per request, webhook event or job: services only flush; the request dependency
(api/deps.py) and `Database.session_scope()` commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from services.settings import Settings


def create_engine(settings: Settings, *, null_pool: bool = False) -> AsyncEngine:
    """An engine configured for the dialect in the settings."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings, url)
    connect_args = {
        "server_settings": {
            "lock_timeout": str(settings.db_lock_timeout_ms),
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "timezone": "UTC",
            "application_name": "ttm",
        }
    }
    kwargs: dict = {"pool_pre_ping": True, "connect_args": connect_args}
    if null_pool:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    return create_async_engine(url, **kwargs)


def _sqlite_engine(settings: Settings, url) -> AsyncEngine:
    database = url.database
    if database and database != ":memory:":
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_pre_ping=True, poolclass=NullPool)
    busy_ms = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control away from the driver so BEGIN IMMEDIATE below is ours:
        # every transaction takes the write lock up front, so two writers serialise instead of
        # failing on a lock upgrade, and a check followed by an insert cannot race.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The engine and session factory of one process (or one test)."""

    def __init__(self, settings: Settings, *, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """A session committed on success and rolled back on error (jobs, CLI, webhooks)."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
