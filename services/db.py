"""Engine and sessions: async SQLAlchemy on PostgreSQL (asyncpg) or SQLite (aiosqlite).

One commit per request, webhook event or job: services only flush; the request dependency
(api/deps.py) and `Database.session_scope()` commit.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

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
        # PostgreSQL (asyncpg): `fetch_rows` runs a read session's compiled statements on the driver.
        self.read_pool = ReadPool(self.read_engine) if self.read_engine.dialect.driver == "asyncpg" else None

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
    async def read_session(self) -> AsyncIterator[ReadSession]:
        """Reads only, AUTOCOMMIT: no BEGIN / COMMIT and no transaction left open (`ReadSession`).

        Each statement sees the latest committed data on its own (no snapshot across statements),
        which suits single-query reads such as search and get-by-id.
        """
        session = ReadSession(self)
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


class ReadSession:
    """The reads of one request (or command) without a transaction, on the read engine.

    `fetch_rows` runs on it directly: on PostgreSQL on the read pool's driver connection. The ORM
    session (`orm`: AUTOCOMMIT, never written through; a flush would commit statement by
    statement, outside the one-commit-per-request rule) is made only when something needs it (the
    caller's authentication, an ORM read), so an anonymous get by id or search makes none (an
    AsyncSession made and closed per request was ~0.04 ms of CPU; docs/benchmarks.md).
    """

    __slots__ = ("_db", "_orm")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._orm: AsyncSession | None = None

    @property
    def orm(self) -> AsyncSession:
        """The ORM session on the read engine, made on first use and closed with this."""
        if self._orm is None:
            self._orm = self._db.read_sessionmaker()
        return self._orm

    @property
    def opened(self) -> AsyncSession | None:
        """The ORM session if it has been made, else None."""
        return self._orm

    @property
    def dialect(self) -> Dialect:
        return self._db.read_engine.dialect

    @property
    def pool(self) -> ReadPool | None:
        return self._db.read_pool

    async def close(self) -> None:
        if self._orm is not None:
            orm, self._orm = self._orm, None
            await orm.close()


async def fetch_rows(
    session: AsyncSession | ReadSession, stmt: Select[Any], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rows of a Core SELECT as plain dicts (`row["column"]`), the read path of the hot reads
    (search, get by id), on both databases.

    Plain dicts, not SQLAlchemy's RowMapping: pydantic validates a dict about three times faster
    (20 search hits: 0.15 ms with the dicts built, 0.41 ms from RowMappings). On a PostgreSQL
    `ReadSession` the statement, compiled once by SQLAlchemy, runs on the pooled asyncpg connection
    (`_DriverStatement`): SQLAlchemy's execution around the driver cost more CPU than the query
    (~0.1 ms per get by id; docs/benchmarks.md). Elsewhere (SQLite, a write session, a statement
    with expanding IN lists) it runs through SQLAlchemy. On a read session the statement is retried
    once on a dead pooled connection (`retry_read`).
    """
    return await retry_read(session, lambda: _fetch(session, stmt, params))


async def _fetch(
    session: AsyncSession | ReadSession, stmt: Select[Any], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    if isinstance(session, ReadSession):
        pool = session.pool
        compiled = _DriverStatement.of(stmt, pool.dialect) if pool is not None else None
        if pool is not None and compiled is not None:
            return await _fetch_on_driver(session.opened, pool, compiled, params)
        session = session.orm
    # On the session's connection, not through Session.execute: the ORM execution path costs more
    # than the query itself for these single-statement reads.
    conn = await session.connection()
    result = await conn.execute(stmt, params)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


class ReadPool:
    """The PostgreSQL read engine as the read path uses it: its dialect and its pool's generation.

    A statement on the driver that finds its connection dead starts a new generation; every pooled
    connection made before it is then replaced when next checked out (SQLAlchemy's documented
    "checkout" event with DisconnectionError), so the one retry of `retry_read` meets a live
    connection, as SQLAlchemy's own handling of a disconnect does.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.generation = 0
        event.listen(engine.sync_engine, "connect", self._on_connect)
        event.listen(engine.sync_engine, "checkout", self._on_checkout)

    def _on_connect(self, _dbapi_conn: Any, record: Any) -> None:
        record.info[_GENERATION] = self.generation

    def _on_checkout(self, _dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_GENERATION) != self.generation:
            raise DisconnectionError("made before a connection of this pool was found dead")


_GENERATION = "ttm.generation"


class _DriverStatement:
    """A SELECT compiled once for asyncpg: its SQL, where each named parameter goes, the values the
    statement binds itself, and each column's key and result conversion (enums, aware times), all
    from SQLAlchemy's compiler and types, so the rows equal those SQLAlchemy returns."""

    __slots__ = ("binders", "converted", "fixed", "keys", "names", "sql")

    def __init__(self, stmt: Select[Any], compiled: SQLCompiler, dialect: Dialect) -> None:
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in self.names]
        self.binders = tuple(b.type.dialect_impl(dialect).bind_processor(dialect) for b in binds)
        self.fixed = {n: b.effective_value for n, b in zip(self.names, binds, strict=True) if not b.required}
        columns = list(stmt.selected_columns)
        self.keys = tuple(stmt.selected_columns.keys())
        converters = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        # (key, conversion) of the columns SQLAlchemy converts (enums, aware times), the rest as read
        self.converted = tuple((k, c) for k, c in zip(self.keys, converters, strict=True) if c is not None)

    @classmethod
    def of(cls, stmt: Select[Any], dialect: Dialect) -> _DriverStatement | None:
        """The compiled form, or None when SQLAlchemy runs the statement: the first time this
        statement object is met (a statement built per request, such as a provider's or the platform
        administrator's visibility, then never pays a compilation of its own: SQLAlchemy's compiled
        cache serves it), or when it cannot run on the driver (a parameter expanded at execution, an
        IN list; a bind whose value is computed per execution). The statements the modules build
        once are compiled at their second use and kept for as long as they live."""
        try:
            return _compiled_reads[stmt]
        except KeyError:
            pass
        if stmt not in _met_once:
            _met_once.add(stmt)
            return None
        found: _DriverStatement | None = None
        compiled = stmt.compile(dialect=dialect)
        if not (compiled.post_compile_params or compiled.literal_execute_params) and all(
            b.callable is None for b in compiled.binds.values()
        ):
            found = cls(stmt, compiled, dialect)
            if len(set(found.keys)) != len(found.keys):
                found = None  # two columns under one key: a dict row would lose one
        _compiled_reads[stmt] = found
        return found

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        args = []
        for name, bind in zip(self.names, self.binders, strict=True):
            value = params[name] if name in params else self.fixed[name]
            args.append(value if bind is None else bind(value))
        return args

    def rows(self, records: list[Any]) -> list[dict[str, Any]]:
        keys, converted = self.keys, self.converted
        rows = [dict(zip(keys, record, strict=True)) for record in records]
        for row in rows:
            for key, convert in converted:
                row[key] = convert(row[key])
        return rows


# Each statement's compiled form, for as long as the statement lives (the modules build theirs once),
# and the statements met once so far.
_compiled_reads: weakref.WeakKeyDictionary[Select[Any], _DriverStatement | None] = weakref.WeakKeyDictionary()
_met_once: weakref.WeakSet[Select[Any]] = weakref.WeakSet()


async def _fetch_on_driver(
    orm: AsyncSession | None, pool: ReadPool, compiled: _DriverStatement, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run a compiled read on the ORM session's connection when it holds one (the caller's
    authentication ran on it), else on a connection checked out of the read pool for this
    statement only: one connection per request at most, so the pool cannot deadlock on itself."""
    args = compiled.arguments(params)
    own = orm is None or not orm.in_transaction()
    if orm is not None and not own:
        raw = await (await orm.connection()).get_raw_connection()
    else:
        raw = await pool.engine.raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # a checked-out connection always has one
    try:
        records = await driver.fetch(compiled.sql, *args)
    except Exception as exc:
        gone = driver.is_closed()
        if gone:
            pool.generation += 1  # every connection pooled before now is replaced on checkout
            raw.invalidate(exc)
        raise _database_error(exc, compiled.sql, args, invalidated=gone) from exc
    except BaseException as exc:
        # Cancelled mid-statement: the connection's state is unknown, so it is not reused (as
        # SQLAlchemy does with an exception that is not an Exception).
        raw.invalidate(exc)
        raise
    finally:
        if own:
            raw.close()  # back to the pool: AUTOCOMMIT, nothing to roll back, no round trip
    return compiled.rows(records)


def _database_error(exc: Exception, sql: str, args: list[Any], *, invalidated: bool) -> DBAPIError:
    """The driver's error as SQLAlchemy would raise it: the class by SQLSTATE, the driver's
    exception as `orig` (its `sqlstate` read by api/errors.py), `connection_invalidated` set."""
    code = getattr(exc, "sqlstate", None) or ""
    cls: type[DBAPIError]
    if code.startswith("22"):
        cls = DataError
    elif code.startswith("23"):
        cls = IntegrityError
    elif code.startswith(("42", "26")):
        cls = ProgrammingError
    elif not code and not invalidated and not isinstance(exc, OSError):
        cls = InterfaceError
    else:
        cls = OperationalError
    return cls(sql, args, exc, connection_invalidated=invalidated)


async def retry_read(session: AsyncSession | ReadSession, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, run once more when it failed on a dead pooled connection of a read session.

    The one retry of the read path: every hot read runs its first statement through it (the
    caller's authentication, `fetch_rows`, the catalogue's get by id). The read pool does not
    pre-ping, so a connection the server closed while it sat in the pool (restart, idle timeout,
    pg_terminate_backend) is found out by the first statement. SQLAlchemy (or the driver path,
    `ReadPool`) then reports `connection_invalidated` and marks every connection pooled before the
    failure for replacement, so one retry (on AUTOCOMMIT: no transaction to lose) meets a live
    connection. Anything else, a second failure, and any failure in a write session (whose
    transaction is lost) propagate (api/errors.py turns them into 503/409).
    """
    try:
        return await read()
    except DBAPIError as exc:
        orm = session.opened if isinstance(session, ReadSession) else session
        read_only = isinstance(session, ReadSession) or session.info.get(READ_ONLY)
        if not (exc.connection_invalidated and read_only):
            raise
    if orm is not None:
        await orm.rollback()  # returns the invalidated connection; the next statement checks out another
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
