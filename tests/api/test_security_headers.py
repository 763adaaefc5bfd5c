"""Headers every response carries and who may read /metrics (issue 12 item 8)."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest

from models.enums import OrganisationKind, Role
from tests.factories.http import metrics_text
from tests.factories.organisations import PASSWORD, create_org, create_user


async def client_from(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class TestEveryResponse:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/health"),
            ("GET", "/docs"),
            ("GET", "/openapi.json"),
            ("GET", "/api/v1/catalogue/search"),
            ("GET", "/api/v1/me"),  # 401
            ("GET", "/api/v1/pilot-results/00000000-0000-0000-0000-000000000000"),  # 404
            ("GET", "/api/v1/catalogue/search?limit=0"),  # 422
            ("GET", "/metrics"),  # 404 from outside
            ("DELETE", "/health"),  # 405
        ],
    )
    async def test_nosniff_and_no_framing(self, client, method, path):
        response = await client.request(method, path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"


class TestNothingPersonalIsCached:
    async def test_tokens_and_personal_answers_are_no_store(self, client, db, app):
        sme = await create_org(db, OrganisationKind.sme, app=app)
        user = await create_user(db, app, (sme, Role.sme_admin))
        token = await client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
        assert token.status_code == 200
        assert token.headers["cache-control"] == "no-store"
        refused = await client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong-password"})
        assert refused.headers["cache-control"] == "no-store"
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
        mine = await client.get("/api/v1/notifications", headers=headers)
        assert mine.headers["cache-control"] == "no-store"
        org = await client.get(f"/api/v1/organisations/{sme.id}", headers=headers)
        assert org.headers["cache-control"] == "no-store"

    async def test_public_anonymous_reads_may_be_cached(self, client):
        response = await client.get("/api/v1/catalogue/search")
        assert response.status_code == 200
        assert "cache-control" not in response.headers


class TestMetricsAreNotPublic:
    async def test_an_outside_address_is_told_there_is_no_such_page(self, client):
        response = await client.get("/metrics")
        assert response.status_code == 404
        assert b"ttm_http_requests_total" not in response.content

    async def test_loopback_reads_them(self, app):
        assert "ttm_http_requests_total" in await metrics_text(app)

    async def test_allowed_networks_come_from_settings(self, app, settings):
        app.state.settings = settings.model_copy(update={"metrics_allow": [ip_network("10.0.0.0/8")]})
        async with await client_from(app, "10.1.2.3") as inside, await client_from(app, "127.0.0.1") as local:
            assert (await inside.get("/metrics")).status_code == 200
            assert (await local.get("/metrics")).status_code == 404

    async def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(self, app, settings):
        spoof = {"X-Forwarded-For": "127.0.0.1"}
        async with await client_from(app, "203.0.113.7") as outside:
            assert (await outside.get("/metrics", headers=spoof)).status_code == 404
            app.state.settings = settings.model_copy(update={"trusted_proxy_count": 1})
            assert (await outside.get("/metrics", headers=spoof)).status_code == 200
            assert (await outside.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 404
