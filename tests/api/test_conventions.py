"""Conventions every area relies on: problem+json, body limit, request ids, CORS, paging,
idempotency, database failures, operations endpoints."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from api.errors import breaks_a_rule
from api.main import create_app
from api.openapi import route_contexts
from api.schemas.common import MoneyIn
from models.enums import OrganisationKind, Role
from models.idempotency import IdempotencyRecord
from models.organisations import Organisation
from services.db import Database
from tests.factories.http import is_problem, metrics_text
from tests.factories.organisations import auth_headers, create_member, create_org, create_user, make_uscc


@pytest.fixture
async def admin_headers(db, app):
    return await auth_headers(db, app, await create_user(db, app, platform_admin=True))


def centre_body(**overrides) -> dict:
    return {"kind": "centre", "name": "测试中心", "uscc": make_uscc(), "region": "310000"} | overrides


class TestProblemDetails:
    async def test_unknown_route(self, client):
        r = await client.get("/api/v1/no-such-thing")
        assert is_problem(r, 404)

    async def test_wrong_method(self, client):
        r = await client.delete("/api/v1/me")
        assert is_problem(r, 405)

    async def test_validation_lists_every_error(self, client, admin_headers):
        r = await client.post("/api/v1/organisations", json={"kind": "centre"}, headers=admin_headers)
        assert is_problem(r, 422)
        locs = {tuple(e["loc"]) for e in r.json()["errors"]}
        assert {("body", "name"), ("body", "uscc"), ("body", "region")} <= locs

    async def test_malformed_json(self, client, admin_headers):
        r = await client.post(
            "/api/v1/organisations", content=b"{not json", headers=admin_headers | {"content-type": "application/json"}
        )
        assert is_problem(r, 422)

    @pytest.mark.parametrize(
        ("path", "content", "content_type"),
        [
            ("/api/v1/organisations", b'{"name": "\xff\xfe"}', "application/json"),  # JSON that is not UTF-8
            ("/api/v1/auth/token", b"--x\r\nnot a part", "multipart/form-data; boundary=x"),
        ],
    )
    async def test_unparsable_body_is_a_validation_problem(self, client, admin_headers, path, content, content_type):
        """A body that can't be read at all is malformed input: the documented 422 `validation`
        (schemathesis found 400 `http-400`, which no operation documents)."""
        r = await client.post(path, content=content, headers=admin_headers | {"content-type": content_type})
        assert is_problem(r, 422)
        assert r.json()["type"] == "urn:ttm:problem:validation"
        assert [(e["loc"], e["type"]) for e in r.json()["errors"]] == [(["body"], "body_unparsable")]

    async def test_bad_path_parameter(self, client, admin_headers):
        r = await client.get("/api/v1/organisations/not-a-uuid", headers=admin_headers)
        assert is_problem(r, 422)

    async def test_a_broken_rule_is_invalid_and_a_schema_mismatch_is_validation(self, client, admin_headers):
        """The document's 422 promise: `validation` when the request does not match the document (a type,
        a pattern, an enum, an unknown field), `invalid` when it matches and breaks a rule the schema
        cannot state (a USCC's check character): a generated client can tell which from the document."""
        good = make_uscc()
        wrong_check = good[:17] + ("0" if good[17] != "0" else "1")

        async def answer(body: dict) -> tuple[str, set[tuple]]:
            r = await client.post("/api/v1/organisations", json=body, headers=admin_headers)
            assert is_problem(r, 422), r.text
            return r.json()["type"], {tuple(e["loc"]) for e in r.json()["errors"]}

        assert await answer(centre_body(uscc=wrong_check)) == ("urn:ttm:problem:invalid", {("body", "uscc")})
        assert await answer(centre_body(timezone="Mars/Olympus")) == ("urn:ttm:problem:invalid", {("body", "timezone")})
        # Schema-level: the document says it (a pattern, an enum, no other fields; control characters
        # are refused by each string's documented pattern).
        assert await answer(centre_body(name="中心\x07")) == ("urn:ttm:problem:validation", {("body", "name")})
        assert await answer(centre_body(region="32050")) == ("urn:ttm:problem:validation", {("body", "region")})
        assert await answer(centre_body(kind="castle")) == ("urn:ttm:problem:validation", {("body", "kind")})
        assert await answer(centre_body(owner="me")) == ("urn:ttm:problem:validation", {("body", "owner")})
        # Both at once: it does not match the document.
        assert await answer(centre_body(uscc=wrong_check, region="32050")) == (
            "urn:ttm:problem:validation",
            {("body", "uscc"), ("body", "region")},
        )

    def test_a_currency_outside_the_documented_enum_is_a_schema_error_not_a_rule(self):
        # Money's currency is an enum in the document; its check is ours, but it fails as pydantic's
        # own enum check does, so a request with only this wrong is `validation`, as the document says.
        with pytest.raises(ValidationError) as raised:
            MoneyIn.model_validate({"amount": 100, "currency": "XXX"})
        [error] = raised.value.errors()
        assert error["type"] == "enum" and not breaks_a_rule(error)
        with pytest.raises(ValidationError) as raised:
            MoneyIn.model_validate({"amount": 100, "currency": "CNY", "note": "x"})
        assert not any(breaks_a_rule(e) for e in raised.value.errors())

    async def test_chinese_text_round_trips(self, client, admin_headers):
        name = "国家第三代半导体技术创新中心（苏州）"
        r = await client.post("/api/v1/organisations", json=centre_body(name=name), headers=admin_headers)
        assert r.status_code == 201
        assert name.encode() in r.content  # UTF-8, not \\u escapes
        assert r.json()["name"] == name


class TestBodyLimit:
    async def test_declared_length_over_the_limit_is_413(self, client, settings, admin_headers, db):
        big = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
        r = await client.post(
            "/api/v1/organisations", content=big, headers=admin_headers | {"content-type": "application/json"}
        )
        assert is_problem(r, 413)
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Organisation)) == 0

    async def test_streamed_body_over_the_limit_is_413(self, client, settings, admin_headers):
        async def chunks():
            for _ in range(settings.max_body_bytes // 65536 + 2):
                yield b"x" * 65536

        r = await client.post(
            "/api/v1/organisations", content=chunks(), headers=admin_headers | {"content-type": "application/json"}
        )
        assert is_problem(r, 413)

    async def test_no_get_route_reads_a_body(self, app):
        # BodySizeLimitMiddleware lets GET and HEAD requests without Content-Length through without
        # counting their body: that holds while no such route declares one.
        readers = [
            context.path_format
            for context in route_contexts(app)
            if context.methods & {"GET", "HEAD"} and _reads_a_body(context.dependant)
        ]
        assert readers == []

    async def test_body_under_the_limit_passes(self, client, admin_headers):
        r = await client.post(
            "/api/v1/organisations", json=centre_body(description="说明" * 1000), headers=admin_headers
        )
        assert r.status_code == 201


class TestRequestId:
    async def test_generated_and_returned(self, client):
        r = await client.get("/health")
        assert len(r.headers["x-request-id"]) >= 16

    async def test_incoming_id_is_kept_and_logged(self, client):
        records: list[logging.LogRecord] = []

        class Capture(logging.Handler):
            def emit(self, record):
                records.append(record)

        from services.logs import RequestIdFilter

        handler = Capture()
        handler.addFilter(RequestIdFilter())
        logger = logging.getLogger("ttm.access")
        logger.addHandler(handler)
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            r = await client.get("/api/v1/me", headers={"X-Request-ID": "abc-123"})
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        assert r.headers["x-request-id"] == "abc-123"
        assert r.json()["request_id"] == "abc-123"
        assert [rec.request_id for rec in records] == ["abc-123"]

    async def test_insane_incoming_id_is_replaced(self, client):
        r = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
        assert r.headers["x-request-id"] != "bad id\twith spaces"

    def test_json_log_line_carries_the_request_id(self):
        from services.logs import JsonFormatter, RequestIdFilter, request_id_var

        token = request_id_var.set("req-42")
        try:
            record = logging.makeLogRecord({"msg": "签名完成 %s", "args": ("ok",), "levelname": "INFO"})
            RequestIdFilter().filter(record)
            line = JsonFormatter().format(record)
        finally:
            request_id_var.reset(token)
        import json

        entry = json.loads(line)
        assert entry["request_id"] == "req-42" and entry["message"] == "签名完成 ok"


class TestCors:
    async def test_allowed_origin_preflight(self, settings, db):
        app = create_app(settings.model_copy(update={"cors_origins": ["https://app.example.cn"]}), database=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.options(
                "/api/v1/me",
                headers={
                    "Origin": "https://app.example.cn",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "authorization",
                },
            )
            assert r.headers["access-control-allow-origin"] == "https://app.example.cn"
            r = await c.options(
                "/api/v1/me",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
            )
            assert "access-control-allow-origin" not in r.headers

    async def test_origins_from_a_comma_separated_variable(self, monkeypatch):
        from services.settings import Settings

        monkeypatch.setenv("TTM_CORS_ORIGINS", "https://a.example.cn, https://b.example.cn")
        assert Settings().cors_origins == ["https://a.example.cn", "https://b.example.cn"]


class TestPagination:
    async def test_pages_through_everything_without_repeats_or_gaps(self, client, db, admin_headers):
        for i in range(45):
            await create_org(db, OrganisationKind.sme, name=f"企业{i:02d}")
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
            r = await client.get("/api/v1/organisations", params=params, headers=admin_headers)
            assert r.status_code == 200
            seen += [o["id"] for o in r.json()["items"]]
            pages += 1
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert pages == 5
        assert len(seen) == len(set(seen)) == 45

    async def test_limit_is_capped(self, client, admin_headers):
        r = await client.get("/api/v1/organisations", params={"limit": 101}, headers=admin_headers)
        assert is_problem(r, 422)

    async def test_tampered_cursor_is_422(self, client, admin_headers):
        r = await client.get("/api/v1/organisations", params={"cursor": "!!garbage"}, headers=admin_headers)
        assert is_problem(r, 422)
        assert r.json()["errors"][0]["loc"] == ["query", "cursor"]


class TestIdempotency:
    async def test_retry_returns_the_first_response(self, client, db, admin_headers):
        body = centre_body()
        headers = admin_headers | {"Idempotency-Key": "create-centre-1"}
        first = await client.post("/api/v1/organisations", json=body, headers=headers)
        second = await client.post("/api/v1/organisations", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert second.headers["location"] == first.headers["location"]
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Organisation)) == 1

    async def test_same_key_other_body_is_409(self, client, admin_headers):
        headers = admin_headers | {"Idempotency-Key": "create-centre-2"}
        assert (await client.post("/api/v1/organisations", json=centre_body(), headers=headers)).status_code == 201
        r = await client.post("/api/v1/organisations", json=centre_body(), headers=headers)
        assert is_problem(r, 409)
        assert r.json()["type"].endswith("idempotency-key-reused")

    async def test_keys_are_per_caller(self, client, db, app, admin_headers):
        other = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        body = centre_body()
        r1 = await client.post("/api/v1/organisations", json=body, headers=admin_headers | {"Idempotency-Key": "k"})
        r2 = await client.post(
            "/api/v1/organisations", json=body | {"uscc": make_uscc()}, headers=other | {"Idempotency-Key": "k"}
        )
        assert r1.status_code == r2.status_code == 201
        assert r1.json()["id"] != r2.json()["id"]

    async def test_concurrent_duplicates_run_once(self, client, db, admin_headers):
        body = centre_body()
        headers = admin_headers | {"Idempotency-Key": "concurrent-1"}
        responses = await asyncio.gather(
            *(client.post("/api/v1/organisations", json=body, headers=headers) for _ in range(6))
        )
        assert [r.status_code for r in responses] == [201] * 6
        assert len({r.json()["id"] for r in responses}) == 1
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Organisation)) == 1
            assert await s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1

    async def test_failed_request_is_not_stored(self, client, db, admin_headers):
        headers = admin_headers | {"Idempotency-Key": "will-fail"}
        bad = centre_body(kind="institute")  # no parent: 422 from the service
        assert (await client.post("/api/v1/organisations", json=bad, headers=headers)).status_code == 422
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0

    async def test_oversized_key_is_422(self, client, admin_headers):
        r = await client.post(
            "/api/v1/organisations", json=centre_body(), headers=admin_headers | {"Idempotency-Key": "k" * 256}
        )
        assert is_problem(r, 422)


class TestDatabaseFailures:
    async def test_lock_timeout_is_409(self, settings, db, is_postgres):
        """A row or database lock held elsewhere longer than the timeout → 409 with Retry-After."""
        sme = await create_org(db, OrganisationKind.sme)
        quick = settings.model_copy(update={"db_lock_timeout_ms": 200, "sqlite_busy_timeout_ms": 200})
        app = create_app(quick, database=Database(quick))
        _, headers = await create_member(db, app, sme, Role.sme_admin)
        async with db.engine.connect() as holder:
            if is_postgres:
                await holder.execute(text("SELECT 1 FROM organisations WHERE id = :id FOR UPDATE"), {"id": sme.id})
            else:
                await holder.execute(text("UPDATE organisations SET name = name WHERE id = :id"), {"id": sme.id.hex})
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                r = await c.patch(f"/api/v1/organisations/{sme.id}", json={"name": "改名"}, headers=headers)
            await holder.rollback()
        await app.state.db.dispose()
        assert is_problem(r, 409), r.text
        assert r.headers["retry-after"] == "1"

    async def test_unreachable_database_is_503(self, settings, tmp_path, is_postgres):
        url = (
            "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
            if is_postgres
            else f"sqlite+aiosqlite:///{tmp_path}"  # a directory: cannot be opened as a database
        )
        broken = settings.model_copy(update={"database_url": url})
        app = create_app(broken, database=Database(broken))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/api/v1/auth/token", data={"username": "a@example.com", "password": "whatever-pass"})
            ready = await c.get("/ready")
        await app.state.db.dispose()
        assert is_problem(r, 503), r.text
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"


class TestOperations:
    async def test_health(self, client):
        r = await client.get("/health")
        assert r.status_code == 200 and r.json() == {"status": "ok"}

    async def test_ready_checks_the_migrated_database(self, client):
        r = await client.get("/ready")
        assert r.status_code == 200 and r.json()["status"] == "ready"

    async def test_ready_reports_an_unmigrated_database(self, client, db, is_postgres):
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
        try:
            r = await client.get("/ready")
        finally:
            from services.health import expected_revision

            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": expected_revision()})
        assert r.status_code == 503
        assert r.json()["current"] == "old"

    async def test_metrics_count_requests_by_route(self, client, app):
        await client.get("/api/v1/me")
        text = await metrics_text(app)
        assert 'ttm_http_requests_total{method="GET",route="/api/v1/me",status="401"}' in text

    async def test_docs_list_every_foundation_endpoint(self, client):
        spec = (await client.get("/openapi.json")).json()
        paths = spec["paths"]
        for path, method in [
            ("/api/v1/auth/register", "post"),
            ("/api/v1/auth/token", "post"),
            ("/api/v1/auth/refresh", "post"),
            ("/api/v1/auth/logout", "post"),
            ("/api/v1/me", "get"),
            ("/api/v1/organisations", "get"),
            ("/api/v1/organisations", "post"),
            ("/api/v1/organisations/{organisation_id}", "patch"),
            ("/api/v1/organisations/{organisation_id}/members", "post"),
            ("/api/v1/organisations/{organisation_id}/members/{user_id}", "delete"),
        ]:
            assert method in paths[path], (path, method)
        assert spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
            "/api/v1/auth/token"
        )
        assert (await client.get("/docs")).status_code == 200


async def test_start_up_loads_the_segmenter_and_freezes_what_is_loaded(settings, db, monkeypatch):
    import gc

    from services import segmentation

    app = create_app(settings, database=db)
    monkeypatch.setattr(segmentation, "_jieba", None)  # as in a fresh process (initialise() loads it again)
    frozen_before = gc.get_freeze_count()
    try:
        async with app.router.lifespan_context(app):
            assert segmentation.loaded()
            assert gc.get_freeze_count() > frozen_before
    finally:
        gc.unfreeze()


def test_the_app_serves_each_routers_own_routes_built_once(settings, db):
    """A route is built once, by its router: the app holds those objects (no inclusion building each
    again, docs/benchmarks.md "Peak and steady memory"), every API path under /api/v1, and the
    catalogue's routes first (create_app's order)."""
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from api import catalogue, health, pilot_results, reports

    app = create_app(settings, database=db)
    assert all(isinstance(route, Route) for route in app.routes)  # routes, no included routers
    served = [route for route in app.routes if isinstance(route, APIRoute)]
    for router in (catalogue.router, pilot_results.router, reports.router, health.router):
        assert all(any(route is own for route in served) for own in router.routes)
    assert len({id(route) for route in served}) == len(served)
    api = [route for route in served if route not in health.router.routes]
    assert all(route.path.startswith("/api/v1/") for route in api)
    assert served[0] is catalogue.router.routes[0]


def _reads_a_body(dependant) -> bool:
    return bool(dependant.body_params) or any(_reads_a_body(d) for d in dependant.dependencies)
