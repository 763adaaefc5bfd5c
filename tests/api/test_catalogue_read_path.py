"""The hot anonymous reads (get a listing by id, search, availability) run on the read session: the
read pool has no pre-ping, so a dead pooled connection must be survived by one retry; timeouts and
failures still answer as before."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import event, text, update

from api import deps
from api.main import create_app
from models.auth import AuthSession
from services import clock
from services.db import Database, ReadSession
from tests.factories.catalogue import create_published, instrument_body, make_world, offer_body, pilot_body
from tests.factories.http import is_problem, metrics_text

BASE = "/api/v1/pilot-results"
SEARCH = "/api/v1/catalogue/search"
BODIES = {"pilot-results": pilot_body, "instruments": instrument_body, "service-offers": offer_body}
WEEK = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-14T00:00:00+08:00"}


async def _read_pool_pids(db: Database) -> set[int]:
    """The server process ids of every connection the read pool holds (checked out one by one)."""
    pids: set[int] = set()
    async with db.read_session() as session:
        pids.add(await session.orm.scalar(text("SELECT pg_backend_pid()")))
    return pids


async def _terminate(db: Database, pids: set[int]) -> None:
    """Kill those server processes (as a restart or an idle timeout would) and wait until they are gone."""
    async with db.engine.connect() as conn:
        for pid in pids:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        await conn.commit()


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("the read pool and its server processes are PostgreSQL's")


@pytest.mark.usefixtures("postgres_only")
class TestDeadPooledConnection:
    @pytest.mark.parametrize("kind", list(BODIES))
    async def test_get_survives_a_terminated_pooled_connection(self, client, db, app, kind):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, kind, BODIES[kind]())
        url = f"/api/v1/{kind}/{made['id']}"
        assert (await client.get(url)).status_code == 200  # its connection is now pooled
        pids = await _read_pool_pids(db)
        await _terminate(db, pids)
        r = await client.get(url)
        assert r.status_code == 200, r.text
        assert r.json() == made
        assert await _read_pool_pids(db) != pids  # a fresh connection replaced the dead one

    async def test_availability_survives_a_terminated_pooled_connection(self, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "instruments", instrument_body())
        url = f"/api/v1/instruments/{made['id']}/availability"
        before = await client.get(url, params=WEEK)
        assert before.status_code == 200
        await _terminate(db, await _read_pool_pids(db))
        r = await client.get(url, params=WEEK)
        assert r.status_code == 200, r.text
        assert r.json() == before.json()

    async def test_search_survives_a_terminated_pooled_connection(self, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert (await client.get(SEARCH, params={"q": "锂电池"})).status_code == 200
        await _terminate(db, await _read_pool_pids(db))
        r = await client.get(SEARCH, params={"q": "锂电池"})
        assert r.status_code == 200, r.text
        assert [h["id"] for h in r.json()["items"]] == [made["id"]]

    async def test_signed_in_get_survives_a_terminated_pooled_connection(self, client, db, app):
        # With a token the first statement on the read connection is the authentication's.
        w = await make_world(db, app)
        created = await client.post(BASE, json=pilot_body(), headers=w.institute_staff)
        draft = created.json()
        assert (await client.get(f"{BASE}/{draft['id']}", headers=w.institute_staff)).status_code == 200
        await _terminate(db, await _read_pool_pids(db))
        r = await client.get(f"{BASE}/{draft['id']}", headers=w.institute_staff)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "draft"

    @pytest.mark.parametrize("path", ["get", "search"])
    async def test_a_server_that_stays_down_is_503(self, settings, client, db, app, path):
        # Retried once only: when the fresh connection cannot be made either, the read answers 503.
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        url = f"{BASE}/{made['id']}" if path == "get" else SEARCH
        other = create_app(settings, database=Database(settings))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://t") as c:
            assert (await c.get(url)).status_code == 200
            await _terminate(db, await _read_pool_pids(other.state.db))
            event.listen(other.state.db.read_engine.sync_engine, "do_connect", _refuse)  # the server is gone
            r = await c.get(url)
        await other.state.db.dispose()
        assert is_problem(r, 503), r.text
        assert r.headers["retry-after"] == "5"


def _refuse(*_args) -> None:
    raise ConnectionRefusedError(111, "Connection refused")


@pytest.mark.usefixtures("postgres_only")
class TestReadTimeouts:
    async def test_a_timed_out_read_is_503(self, settings, client, db, app):
        """A read that exceeds the statement timeout (here: waiting on a table lock) answers 503."""
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        quick = settings.model_copy(update={"db_statement_timeout_ms": 300, "db_lock_timeout_ms": 10_000})
        timed = create_app(quick, database=Database(quick))
        async with db.engine.connect() as holder:
            await holder.execute(text("LOCK TABLE listings IN ACCESS EXCLUSIVE MODE"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=timed), base_url="http://t") as c:
                got = await c.get(f"{BASE}/{made['id']}")
                found = await c.get(SEARCH, params={"q": "锂电池"})
            await holder.rollback()
        await timed.state.db.dispose()
        for r in (got, found):
            assert is_problem(r, 503), r.text
            assert r.headers["retry-after"] == "5"

    async def test_a_lock_timeout_on_a_read_is_409(self, settings, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        quick = settings.model_copy(update={"db_statement_timeout_ms": 10_000, "db_lock_timeout_ms": 300})
        timed = create_app(quick, database=Database(quick))
        async with db.engine.connect() as holder:
            await holder.execute(text("LOCK TABLE listings IN ACCESS EXCLUSIVE MODE"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=timed), base_url="http://t") as c:
                got = await c.get(f"{BASE}/{made['id']}")
            await holder.rollback()
        await timed.state.db.dispose()
        assert is_problem(got, 409), got.text
        assert got.headers["retry-after"] == "1"
        assert got.json()["type"] == "urn:ttm:problem:concurrent-update"


class TestOptionalBearerOnReads:
    """The flat read dependency keeps optional_actor's rules: no token is anonymous, a bad one is 401."""

    async def test_invalid_token_is_401_even_for_a_published_result(self, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        r = await client.get(f"{BASE}/{made['id']}", headers={"Authorization": "Bearer not-a-token"})
        assert is_problem(r, 401), r.text
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    async def test_a_signed_out_session_token_is_401(self, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert (await client.get(f"{BASE}/{made['id']}", headers=w.sme_member)).status_code == 200
        async with db.session_scope() as s:
            await s.execute(update(AuthSession).values(revoked_at=clock.now()))
        r = await client.get(f"{BASE}/{made['id']}", headers=w.sme_member)
        assert is_problem(r, 401), r.text
        assert r.json()["type"] == "urn:ttm:problem:invalid-token"

    @pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
    async def test_no_bearer_token_is_anonymous(self, client, db, app, authorization):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{made['id']}", headers={"Authorization": authorization})).status_code == 200
        hidden = await client.get(f"{BASE}/{draft['id']}", headers={"Authorization": authorization})
        assert is_problem(hidden, 404)

    async def test_drafts_are_404_to_others_and_shown_to_the_owners_staff(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        for headers in ({}, w.other_staff, w.sme_member):
            r = await client.get(f"{BASE}/{draft['id']}", headers=headers)
            assert is_problem(r, 404), r.text
            assert r.json()["type"] == "urn:ttm:problem:pilot-result-not-found"
        for headers in (w.institute_staff, w.centre_staff):
            r = await client.get(f"{BASE}/{draft['id']}", headers=headers)
            assert r.status_code == 200 and r.json() == draft

    async def test_openapi_still_documents_the_optional_sign_in(self, client):
        spec = (await client.get("/openapi.json")).json()
        assert spec["paths"]["/api/v1/pilot-results/{result_id}"]["get"]["security"] == [
            {},
            {"OAuth2PasswordBearer": []},
        ]


class TestEveryReadIsObserved:
    async def test_request_id_access_log_and_metrics(self, client, db, app, caplog):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        with caplog.at_level("INFO", logger="ttm.access"):
            got = await client.get(f"{BASE}/{made['id']}", headers={"X-Request-ID": "read-1"})
            found = await client.get(SEARCH, params={"q": "锂电池"})
            missing = await client.get(f"{BASE}/00000000-0000-0000-0000-000000000000")
        assert got.headers["x-request-id"] == "read-1"
        assert len(found.headers["x-request-id"]) == 32
        assert missing.json()["request_id"] == missing.headers["x-request-id"]
        lines = [(r.getMessage(), getattr(r, "route", None)) for r in caplog.records if r.name == "ttm.access"]
        assert (f"GET {BASE}/{made['id']} 200", f"{BASE}/{{result_id}}") in lines
        assert ("GET /api/v1/catalogue/search 200", SEARCH) in lines
        metrics = await metrics_text(app)
        assert f'ttm_http_requests_total{{method="GET",route="{BASE}/{{result_id}}",status="200"}}' in metrics
        assert f'ttm_http_requests_total{{method="GET",route="{BASE}/{{result_id}}",status="404"}}' in metrics
        assert f'ttm_http_request_duration_seconds_count{{method="GET",route="{SEARCH}"}}' in metrics


class TestTheReadSessionIsClosed:
    """`ReadSessionDep` is a plain dependency: RequestContextMiddleware closes the session when the
    request ends, whatever its outcome; the caller's authentication shares the endpoint's, and an
    ORM session is made only when something needs one (the authentication, an ORM read)."""

    async def test_one_session_per_request_closed_after_it(self, client, db, app, monkeypatch, is_postgres):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        instrument = await create_published(client, w.institute_staff, "instruments", instrument_body())
        opened: list = []
        closed: list = []
        orm_closed: list = []

        class Recording(ReadSession):
            __slots__ = ()

            def __init__(self, database: Database) -> None:
                super().__init__(database)
                opened.append(self)

            async def close(self) -> None:
                closed.append(self)
                if self.opened is not None:
                    orm_closed.append(self.opened)
                await super().close()

        requests = [
            (f"{BASE}/{made['id']}", {}, 200, False),  # anonymous, on the driver: no ORM session
            (f"{BASE}/{made['id']}", w.sme_member, 200, True),  # signed in: authentication on the ORM
            (f"{BASE}/00000000-0000-0000-0000-000000000000", {}, 404, False),
            (f"{BASE}/{made['id']}", {"Authorization": "Bearer not-a-token"}, 401, True),
            (SEARCH + "?q=锂电池", {}, 200, False),
            (f"/api/v1/instruments/{instrument['id']}", {}, 200, True),  # an ORM read
        ]
        for path, headers, _, _ in requests:  # each statement is compiled for the driver at its second use
            await client.get(path, headers=headers)
        monkeypatch.setattr(deps, "ReadSession", Recording)
        for n, (path, headers, status, orm) in enumerate(requests, start=1):
            before = len(orm_closed)
            r = await client.get(path, headers=headers)
            assert r.status_code == status, r.text
            assert len(opened) == n  # one read session per request
            assert closed == opened  # and it is closed once the request has ended
            # On SQLite every read runs through SQLAlchemy, on the ORM session's connection.
            assert len(orm_closed) == before + (1 if orm or not is_postgres else 0), path
