"""Engine and sessions: async SQLAlchemy on PostgreSQL (asyncpg) or SQLite (aiosqlite).

One commit per request, webhook event or job: services only flush; the request dependency
(api/deps.py) and `Database.session_scope()` commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select

from models.base import STAMP
from services import clock
from services.settings import Settings


def create_engine(settings: Settings, *, null_pool: bool = False, autocommit: bool = False) -> AsyncEngine:
    """An engine configured for the dialect in the settings.

    `autocommit=True` makes a PostgreSQL engine for reads only: its connections run every
    statement on its own (no BEGIN / COMMIT round trips), and its pool does not pre-ping (a
    round trip per checkout): a read that finds its pooled connection dead is retried once
    instead (`retry_read`; the pool then replaces every connection older than the failure), and
    prepared statements keep their generic plan (see below).
    """
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
    kwargs: dict = {"pool_pre_ping": not autocommit, "connect_args": connect_args}
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
        # The reads on this pool are a few fixed statements built once with bind parameters
        # (search shapes, get by id, the caller's lookups), prepared once per connection by the
        # driver. PostgreSQL would otherwise keep planning the catalogue search afresh on every
        # execution (its generic plan prices an unknown tsquery too high), ~0.4 ms of server CPU
        # per search at 1M listings for the same plan: the RUM scans in publication order.
        connect_args["server_settings"]["plan_cache_mode"] = "force_generic_plan"
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
        # Read sessions (Database.read_session) run on AUTOCOMMIT connections: no transaction,
        # so no write lock and nothing left open; every statement reads the latest commit.
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


T = TypeVar("T")

_stamps: dict[type, tuple[tuple[str, str], ...]] = {}


def _stamped(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, "insert" | "update") for the clock-stamped columns of a mapped class."""
    found = _stamps.get(cls)
    if found is None:
        mapper: Mapper[Any] = inspect(cls)
        found = tuple(
            (attr.key, attr.columns[0].info[STAMP]) for attr in mapper.column_attrs if STAMP in attr.columns[0].info
        )
        _stamps[cls] = found
    return found


@event.listens_for(Session, "before_flush")
def _stamp_times(session: Session, _context: Any, _instances: Any) -> None:
    """Row times from the one clock (models/base.py `stamped_at`): new rows get every unset stamp,
    changed rows a fresh `update` stamp."""
    at = clock.now()
    for obj in session.new:
        for key, _kind in _stamped(type(obj)):
            if getattr(obj, key) is None:
                setattr(obj, key, at)
    for obj in session.dirty:
        stamps = [key for key, kind in _stamped(type(obj)) if kind == "update"]
        if stamps and session.is_modified(obj, include_collections=False):
            for key in stamps:
                setattr(obj, key, at)


# `session.info` key marking sessions of Database.read_session (AUTOCOMMIT, reads only).
READ_ONLY = "ttm.read_only"


class Database:
    """The engines and session factories of one process (or one test)."""

    def __init__(self, settings: Settings, *, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads without a transaction: on PostgreSQL a second pool of AUTOCOMMIT connections (the
        # isolation level is fixed per connection, so the pre-ping needs no BEGIN / ROLLBACK); on
        # SQLite the same engine with AUTOCOMMIT execution options (no BEGIN IMMEDIATE, no lock).
        if self.engine.dialect.name == "sqlite":
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self._own_read_engine = False
        else:
            self.read_engine = create_engine(settings, autocommit=True)
            self._own_read_engine = True
        self.read_sessionmaker = async_sessionmaker(
            self.read_engine, expire_on_commit=False, autoflush=False, info={READ_ONLY: True}
        )

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

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: AUTOCOMMIT, so no BEGIN / COMMIT and no transaction left open.

        Each statement sees the latest committed data on its own (no snapshot across statements),
        which suits single-query reads such as search and get-by-id. Never write through it: a
        flush would commit statement by statement, outside the one-commit-per-request rule.
        """
        session = self.read_sessionmaker()
        try:
            yield session
        finally:
            # Closed in this task rather than through `async with`, which closes in a task of its
            # own so a cancellation cannot interrupt it: a task per read is ~0.05 ms of CPU, and on
            # PostgreSQL closing an AUTOCOMMIT session returns its connection to the pool without
            # a round trip (no transaction to roll back), so there is nothing to interrupt.
            await session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._own_read_engine:
            await self.read_engine.dispose()


async def fetch_rows(session: AsyncSession, stmt: Select[Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of a Core SELECT as plain dicts (`row["column"]`), for hot reads that skip ORM loading.

    Plain dicts, not SQLAlchemy's RowMapping: pydantic validates a dict about three times faster
    (20 search hits: 0.15 ms with the dicts built, 0.41 ms from RowMappings). Statements built
    once by their modules hit SQLAlchemy's compiled cache. (A path that ran the compiled SQL on
    asyncpg directly saved ~0.1 ms of CPU per request but bypassed SQLAlchemy's error translation
    and used private APIs; it was removed: docs/benchmarks.md.) On a read session the statement is
    retried once on a dead pooled connection (`retry_read`).
    """
    return await retry_read(session, lambda: _fetch(session, stmt, params))


async def _fetch(session: AsyncSession, stmt: Select[Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    # On the session's connection, not through Session.execute: the ORM execution path costs more
    # than the query itself for these single-statement reads.
    conn = await session.connection()
    result = await conn.execute(stmt, params)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


async def retry_read(session: AsyncSession, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, run once more when it failed on a dead pooled connection of a read session.

    The one retry of the read path: every hot read runs its first statement through it (the
    caller's authentication, `fetch_rows`, the catalogue's get by id). The read pool does not
    pre-ping, so a connection the server closed while it sat in the pool (restart, idle timeout,
    pg_terminate_backend) is found out by the first statement. SQLAlchemy then reports
    `connection_invalidated` and marks every connection pooled before the failure for replacement,
    so one retry (on AUTOCOMMIT: no transaction to lose) meets a live connection. Anything else, a
    second failure, and any failure in a write session (whose transaction is lost) propagate
    (api/errors.py turns them into 503/409).
    """
    try:
        return await read()
    except DBAPIError as exc:
        if not (exc.connection_invalidated and session.info.get(READ_ONLY)):
            raise
    await session.rollback()  # returns the invalidated connection; the next statement checks out another
    return await read()


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of a driver error (asyncpg: `sqlstate`, psycopg: `pgcode`), also when SQLAlchemy's
    adapter wraps the driver's exception; None on SQLite, which has none."""
    orig = exc.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None
