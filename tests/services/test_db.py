"""Database.read_session: reads without a transaction, so they neither lock nor stay open; fetch_rows and
retry_read, the read path's one retry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.exc import DataError, DBAPIError

from models.organisations import Organisation
from services import pilot_results, search, segmentation
from services.db import Database, _DriverStatement, fetch_rows, retry_read, sqlstate
from tests.factories.catalogue import create_published, make_world, pilot_body
from tests.factories.organisations import create_org


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
            name = await session.orm.scalar(select(Organisation.name).where(Organisation.id == org.id))
        assert name == "读会话中心"

    async def test_leaves_no_transaction_open_after_a_read(self, db: Database, is_postgres: bool) -> None:
        async with db.read_session() as session:
            await session.orm.execute(select(func.count()).select_from(Organisation))
            assert await _connection_in_transaction(session.orm, is_postgres) is False

    async def test_write_session_is_a_transaction(self, db: Database, is_postgres: bool) -> None:
        # The control for the test above: the same probe sees the request session's transaction.
        async with db.session_scope() as session:
            await session.execute(select(func.count()).select_from(Organisation))
            assert await _connection_in_transaction(session, is_postgres) is True

    async def test_an_open_read_does_not_block_a_writer(self, db: Database) -> None:
        async with db.read_session() as read:
            reader = read.orm
            before = await reader.scalar(select(func.count()).select_from(Organisation))
            # The read session is still open (its connection checked out) while another session
            # writes and commits; on SQLite a BEGIN IMMEDIATE by the reader would make this wait
            # for the busy timeout (10 s) and fail.
            async with asyncio.timeout(5):
                await create_org(db, name="并发写入中心")
            after = await reader.scalar(select(func.count()).select_from(Organisation))
        assert after == before + 1  # and each read statement sees the latest commit


class TestFetchRows:
    """fetch_rows returns the rows of a Core statement as mappings, on both databases."""

    async def test_search_and_get_rows(self, client, db, app) -> None:
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        query = search.SearchQuery(q="锂电池 battery", trl_min=1)
        stmt = search.statement(query, db.engine.dialect.name)
        tokens = segmentation.query_tokens(query.q)
        params = {**search._parameters(query, db.engine.dialect.name, tokens), "limit": 21}
        search._relevance_cursor(params, db.engine.dialect.name, [])
        async with db.read_session() as session:
            found = await fetch_rows(session, stmt, params)
            got = await fetch_rows(session, pilot_results._READ_PUBLISHED, {"result_id": uuid.UUID(made["id"])})
        assert [str(r["id"]) for r in found] == [made["id"]]
        assert str(got[0]["id"]) == made["id"]
        assert got[0]["published_at"].utcoffset() == timedelta(0)

    async def test_statements_with_in_lists(self, db) -> None:
        org = await create_org(db, name="列表中心")
        stmt = select(Organisation.name).where(Organisation.id.in_([org.id]))
        async with db.read_session() as session:
            rows = await fetch_rows(session, stmt, {})
        assert [r["name"] for r in rows] == ["列表中心"]


def _failure(*, invalidated: bool) -> DBAPIError:
    """A driver error as SQLAlchemy reports it, on a connection found dead (or not)."""
    return DBAPIError("SELECT 1", {}, ConnectionResetError("connection closed"), connection_invalidated=invalidated)


class _Read:
    """A read that fails with the given errors first, then returns "rows"; counts its calls."""

    def __init__(self, *failures: DBAPIError) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "rows"


class TestRetryRead:
    """retry_read: a read session's statement that met a dead pooled connection runs once more."""

    async def test_a_read_on_a_dead_pooled_connection_is_retried_once(self, db: Database) -> None:
        read = _Read(_failure(invalidated=True))
        async with db.read_session() as session:
            assert await retry_read(session, read) == "rows"
        assert read.calls == 2

    async def test_a_second_failure_is_not_retried(self, db: Database) -> None:
        read = _Read(_failure(invalidated=True), _failure(invalidated=True))
        async with db.read_session() as session:
            with pytest.raises(DBAPIError):
                await retry_read(session, read)
        assert read.calls == 2

    async def test_an_error_on_a_live_connection_is_not_retried(self, db: Database) -> None:
        read = _Read(_failure(invalidated=False))
        async with db.read_session() as session:
            with pytest.raises(DBAPIError):
                await retry_read(session, read)
        assert read.calls == 1

    async def test_a_write_session_is_not_retried(self, db: Database) -> None:
        # Its transaction died with the connection: running the rest of it elsewhere would be wrong.
        read = _Read(_failure(invalidated=True))
        with pytest.raises(DBAPIError):
            async with db.session_scope() as session:
                await retry_read(session, read)
        assert read.calls == 1


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("the driver read path is PostgreSQL's (asyncpg); SQLite reads run through SQLAlchemy")


async def _backend_pids(db: Database, n: int) -> set[int]:
    """Make the read pool hold n connections (n read sessions at once); their server process ids."""
    sessions = [db.read_sessionmaker() for _ in range(n)]
    try:
        return {await s.scalar(select(func.pg_backend_pid())) for s in sessions}
    finally:
        for s in sessions:
            await s.close()


def _on_the_driver(db: Database, stmt):
    """`stmt`, compiled for the driver: a statement object is, at its second use."""
    _DriverStatement.of(stmt, db.read_engine.dialect)
    assert _DriverStatement.of(stmt, db.read_engine.dialect) is not None
    return stmt


@pytest.mark.usefixtures("postgres_only")
class TestDriverReadPath:
    """On a PostgreSQL read session fetch_rows runs SQLAlchemy's compiled statement on the asyncpg
    connection: the same rows as SQLAlchemy's execution, its error classes, one connection per request."""

    async def test_rows_equal_sqlalchemys(self, client, db, app) -> None:
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        query = search.SearchQuery(q="锂电池 battery")
        tokens = segmentation.query_tokens(query.q)
        params = {**search._parameters(query, "postgresql", tokens), "limit": 21}
        search._relevance_cursor(params, "postgresql", [])
        reads = [
            (pilot_results._READ_PUBLISHED, {"result_id": uuid.UUID(made["id"])}),
            (search.statement(query, "postgresql"), params),
        ]
        for stmt, p in reads:
            _on_the_driver(db, stmt)
            async with db.read_session() as session:
                on_driver = await fetch_rows(session, stmt, p)
            async with db.session_scope() as session:  # a write session: SQLAlchemy's execution
                through_sqlalchemy = await fetch_rows(session, stmt, p)
            assert on_driver and on_driver == through_sqlalchemy
            for a, b in zip(on_driver, through_sqlalchemy, strict=True):
                assert {k: type(v) for k, v in a.items()} == {k: type(v) for k, v in b.items()}
        assert isinstance(on_driver[0]["seq"], int)
        got = (await client.get(f"/api/v1/pilot-results/{made['id']}")).json()
        assert got == made  # enums as their values, aware times, JSON columns decoded

    async def test_a_statement_met_once_runs_through_sqlalchemy(self, db) -> None:
        # A statement built per request (a provider's or the administrator's visibility) is never
        # compiled for the driver: SQLAlchemy's compiled cache serves it. Met again, it is.
        dialect = db.read_engine.dialect
        for _ in range(3):
            per_request = select(Organisation.name).where(Organisation.name == "x")
            assert _DriverStatement.of(per_request, dialect) is None
        kept = select(Organisation.name).where(Organisation.name == "x")
        assert _DriverStatement.of(kept, dialect) is None
        assert _DriverStatement.of(kept, dialect) is not None

    async def test_an_in_list_runs_through_sqlalchemy(self, db) -> None:
        org = await create_org(db, name="列表中心")
        stmt = select(Organisation.name).where(Organisation.id.in_([org.id]))
        _DriverStatement.of(stmt, db.read_engine.dialect)
        assert _DriverStatement.of(stmt, db.read_engine.dialect) is None  # not even at its second use
        async with db.read_session() as session:
            assert [r["name"] for r in await fetch_rows(session, stmt, {})] == ["列表中心"]

    async def test_one_connection_per_request(self, db) -> None:
        pool = db.read_engine.sync_engine.pool
        pid = _on_the_driver(db, select(func.pg_backend_pid().label("pid")))
        async with db.read_session() as session:
            rows = await fetch_rows(session, pid, {})
            assert pool.checkedout() == 0  # checked out for the statement only
            # Once the session holds a connection (the caller's authentication ran on it), the
            # statement runs on that one, not on a second one from the pool.
            held = await session.orm.scalar(select(func.pg_backend_pid()))
            assert pool.checkedout() == 1
            assert (await fetch_rows(session, pid, {}))[0]["pid"] == held
            assert pool.checkedout() == 1
        assert rows[0]["pid"] > 0 and pool.checkedout() == 0

    async def test_errors_are_sqlalchemys(self, db) -> None:
        bad_date = _on_the_driver(db, select(func.to_date(bindparam("d", type_=String), "YYYY-MM-DD").label("d")))
        async with db.read_session() as session:
            with pytest.raises(DataError) as raised:
                await fetch_rows(session, bad_date, {"d": "2026-13-45"})
        assert sqlstate(raised.value) == "22008" and not raised.value.connection_invalidated
        async with db.read_session() as session:  # the connection went back to the pool, usable
            assert (await fetch_rows(session, bad_date, {"d": "2026-12-01"}))[0]["d"].month == 12

    async def test_one_dead_connection_replaces_every_older_one(self, db) -> None:
        # A restart kills every pooled connection: the first statement to meet one fails, and every
        # connection made before it is replaced on checkout, so its one retry (and every read after
        # it) meets a live one.
        old = await _backend_pids(db, 3)
        async with db.engine.connect() as conn:
            for server_pid in old:
                await conn.execute(select(func.pg_terminate_backend(server_pid, 5000)))
        pid = _on_the_driver(db, select(func.pg_backend_pid().label("pid")))
        for _ in range(3):
            async with db.read_session() as session:
                assert (await fetch_rows(session, pid, {}))[0]["pid"] not in old
        assert not (await _backend_pids(db, 3)) & old

    async def test_a_cancelled_read_does_not_return_its_connection(self, db) -> None:
        pool = db.read_engine.sync_engine.pool
        pid = _on_the_driver(db, select(func.pg_backend_pid().label("pid")))
        async with db.read_session() as session:
            first = (await fetch_rows(session, pid, {}))[0]["pid"]

        sleep = _on_the_driver(db, select(func.pg_sleep(5).label("slept"), func.pg_backend_pid()))

        async def slow() -> None:
            async with db.read_session() as session:
                await fetch_rows(session, sleep, {})

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.checkedout() == 0
        async with db.read_session() as session:
            assert (await fetch_rows(session, pid, {}))[0]["pid"] != first  # a fresh connection
