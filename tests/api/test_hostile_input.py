"""Hostile input never reaches a 500 (issue 12 item 1): forged cursors, integers beyond int64,
amounts beyond the bound, dates at the ends of the calendar, control characters; and a 500 that
still happens carries the request id it asks the client to quote."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from api.main import create_app
from models.catalogue import Listing
from models.enums import OrganisationKind, Role
from services.money import MAX_AMOUNT
from tests.factories.bookings import NOW, setup, slot
from tests.factories.catalogue import make_world, pilot_body
from tests.factories.contracts import contract_body, make_contract_cast, post_contract
from tests.factories.organisations import build
from tests.factories.problems import make_cast, post_problem, problem_body, proposal_body

API = "/api/v1"
INT64_OVER = 2**63


def forged(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# Values of the wrong type for any sort key, and values no column can hold.
BAD_VALUES: list[Any] = [
    {"u": 5},
    [1],
    "x",
    True,
    1e30,
    {"t": "2026-01-01T00:00:00"},  # a naive time
    {"t": "0001-01-01T00:00:00+08:00"},
    INT64_OVER,
    {"u": "not-hex"},
    {"z": 1},
]
BAD_CURSORS = [forged([bad] * n) for bad in BAD_VALUES for n in (1, 2, 3)] + [
    forged([{"t": "2026-01-01T00:00:00+00:00"}, "x"]),
    forged([INT64_OVER, str(uuid.uuid4())]),
    forged([1, 1]),
    "%%%",
]


async def everyone(db, app) -> dict[str, dict[str, str] | None]:
    """Callers who reach the lists: anonymous, a platform admin who also manages a centre and an
    SME, and an SME member."""
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre)
        sme = b.org(OrganisationKind.sme)
        admin = b.user((centre, Role.centre_manager), (sme, Role.sme_admin), platform_admin=True)
        member = b.user((sme, Role.sme_member))
        return {"anonymous": None, "admin": b.headers(admin), "member": b.headers(member)}


def list_routes(app) -> list[str]:
    """Every GET without path parameters that takes a cursor."""
    paths = []
    for path, item in app.openapi()["paths"].items():
        get = item.get("get")
        if get is None or "{" in path:
            continue
        if any(p["name"] == "cursor" for p in get.get("parameters", [])):
            paths.append(path)
    return paths


class TestForgedCursors:
    async def test_every_list_answers_422_to_a_forged_cursor(self, client, db, app):
        callers = await everyone(db, app)
        routes = list_routes(app)
        assert f"{API}/catalogue/search" in routes and f"{API}/bookings" in routes
        checked = 0
        for path in routes:
            for headers in callers.values():
                plain = await client.get(path, headers=headers)
                if plain.status_code != 200:
                    continue  # refused before paging (401, 403, 422 for a missing filter)
                for cursor in BAD_CURSORS:
                    response = await client.get(path, params={"cursor": cursor}, headers=headers)
                    assert response.status_code == 422, (path, cursor, response.text)
                    checked += 1
        assert checked > 20 * len(BAD_CURSORS)

    @pytest.mark.parametrize("sort", ["newest", "price", "relevance"])
    async def test_search_cursors_beyond_int64_are_422(self, client, sort):
        for values in ([INT64_OVER, INT64_OVER], [2, INT64_OVER], [-(2**63) - 1, 1], [True, 1]):
            response = await client.get(
                f"{API}/catalogue/search", params={"q": "电池", "sort": sort, "cursor": forged(values)}
            )
            assert response.status_code == 422, response.text


class TestIntegersBeyondInt64:
    async def test_every_integer_query_parameter_is_bounded(self, client, db, app):
        callers = await everyone(db, app)
        checked = 0
        for path, item in app.openapi()["paths"].items():
            for method, operation in item.items():
                for param in operation.get("parameters", []):
                    schema = param.get("schema", {})
                    types = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
                    if param["in"] != "query" or "integer" not in types:
                        continue
                    url = path.format(**{p: uuid.uuid4() for p in _path_params(path)})
                    for value in (str(INT64_OVER), str(-INT64_OVER - 1), "1e30"):
                        response = await client.request(
                            method.upper(), url, params={param["name"]: value}, headers=callers["admin"]
                        )
                        assert response.status_code in (401, 403, 404, 422), (path, param["name"], response.text)
                        assert response.status_code != 500
                    checked += 1
        assert checked >= 5

    async def test_price_max_beyond_int64_is_422_naming_the_field(self, client):
        response = await client.get(f"{API}/catalogue/search", params={"price_max": str(INT64_OVER)})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "price_max"]


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def amounts_in(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
    """The money schemas a request schema reaches (by $ref, anyOf, items, properties)."""
    found = []
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        target = components[name]
        if name.startswith("Money"):
            found.append({"name": name, **target})
        return found + amounts_in(target, components, seen)
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            found += amounts_in(sub, components, seen)
    if "items" in schema:
        found += amounts_in(schema["items"], components, seen)
    for sub in schema.get("properties", {}).values():
        found += amounts_in(sub, components, seen)
    return found


def unbounded_integers(schema: dict[str, Any], components: dict[str, Any], seen: set[str], at: str) -> list[str]:
    """Integer fields without a maximum that a request schema reaches."""
    found: list[str] = []
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return [] if name in seen else unbounded_integers(components[name], components, seen | {name}, name)
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            if sub.get("type") == "integer" and "maximum" not in sub:
                found.append(at)
            found += unbounded_integers(sub, components, seen, at)
    if schema.get("type") == "integer" and "maximum" not in schema:
        found.append(at)
    if "items" in schema:
        found += unbounded_integers(schema["items"], components, seen, at + "[]")
    for name, sub in schema.get("properties", {}).items():
        found += unbounded_integers(sub, components, seen, f"{at}.{name}")
    return found


class TestEveryBodyIntegerIsBounded:
    async def test_no_request_body_takes_an_integer_without_a_maximum(self, app):
        spec = app.openapi()
        components = spec["components"]["schemas"]
        found = []
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    found += [
                        f"{method} {path}: {field}"
                        for field in unbounded_integers(media.get("schema", {}), components, set(), "body")
                    ]
        assert not found, found


class TestOneBoundedMoneyInput:
    async def test_every_request_body_takes_money_as_MoneyIn(self, app):
        spec = app.openapi()
        components = spec["components"]["schemas"]
        seen_money = 0
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {})
                for media in content.values():
                    for money in amounts_in(media.get("schema", {}), components, set()):
                        assert money["name"] == "MoneyIn", (method, path, money["name"])
                        amount = money["properties"]["amount"]
                        assert (amount["minimum"], amount["maximum"]) == (0, MAX_AMOUNT)
                        seen_money += 1
        assert seen_money >= 10

    @pytest.mark.parametrize("amount", [2**63, 10**30, MAX_AMOUNT + 1, -1, 1e30])
    async def test_a_listing_price_out_of_bounds_is_422(self, client, db, app, amount):
        w = await make_world(db, app)
        body = pilot_body(asking_price={"amount": amount, "currency": "CNY"})
        response = await client.post(f"{API}/pilot-results", json=body, headers=w.institute_staff)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-2:] == ["asking_price", "amount"]

    @pytest.mark.parametrize("amount", [2**63, 10**30])
    async def test_budgets_and_proposals_out_of_bounds_are_422(self, client, db, app, amount):
        cast = await make_cast(db, app)
        budget = {"min": {"amount": 1, "currency": "CNY"}, "max": {"amount": amount, "currency": "CNY"}}
        response = await client.post(f"{API}/problems", json=problem_body(budget=budget), headers=cast.sme.headers)
        assert response.status_code == 422, response.text
        problem = await post_problem(client, cast.sme)
        body = proposal_body(price=amount)
        response = await client.post(
            f"{API}/problems/{problem['id']}/proposals", json=body, headers=cast.centre_a.headers
        )
        assert response.status_code == 422, response.text

    @pytest.mark.parametrize("amount", [-1, -500, 2**63, 10**30])
    async def test_a_contract_value_or_milestone_out_of_bounds_is_422_not_409(self, client, db, app, amount):
        cast = await make_contract_cast(db, app, client)
        body = contract_body(cast)
        body["value"] = {"amount": amount, "currency": "CNY"}
        response = await client.post(f"{API}/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422, response.text
        body = contract_body(cast)
        body["milestones"] = [{"title": "交付", "amount": {"amount": amount, "currency": "CNY"}}]
        response = await client.post(f"{API}/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422, response.text
        assert (await post_contract(client, cast.provider_staff, contract_body(cast)))["id"]


@pytest.fixture
def booking_clock(clock):
    clock.set(NOW)
    return clock


class TestDatesAtTheEndsOfTheCalendar:
    @pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
    async def test_availability_refuses_year_1_and_9999_naming_the_field(self, client, db, app, booking_clock, moment):
        s = await setup(client, db, app)
        response = await client.get(
            f"{API}/instruments/{s.id}/availability", params={"from": moment, "to": "2026-12-10T00:00:00+08:00"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", "from"]

    @pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
    async def test_bookings_blackouts_waitlist_and_trainings_refuse_them(self, client, db, app, booking_clock, moment):
        s = await setup(client, db, app)
        end = "2026-12-07T11:00:00+08:00"
        cases = [
            (f"{API}/bookings", s.body(start_at=moment, end_at=end), s.sme_member, "start_at"),
            (f"{API}/instruments/{s.id}/blackouts", {"starts_at": moment, "ends_at": end}, s.staff, "starts_at"),
            (f"{API}/instruments/{s.id}/waitlist", {**slot(), "start_at": moment}, s.sme_member, "start_at"),
            (
                f"{API}/instruments/{s.id}/trainings",
                {"user_id": str(s.sme_user.id), "trained_at": moment},
                s.staff,
                "trained_at",
            ),
        ]
        for url, body, headers, field in cases:
            response = await client.post(url, json=body, headers=headers)
            assert response.status_code == 422, (url, response.text)
            assert field in response.json()["errors"][0]["loc"], (url, response.text)

    @pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+00:00"])
    async def test_problem_deadlines_and_proposal_validity_refuse_them(self, client, db, app, moment):
        cast = await make_cast(db, app)
        response = await client.post(f"{API}/problems", json=problem_body(deadline=moment), headers=cast.sme.headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-1] == "deadline"
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"{API}/problems/{problem['id']}/proposals",
            json=proposal_body(valid_until=moment),
            headers=cast.centre_a.headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-1] == "valid_until"

    async def test_a_contract_date_in_year_1_is_422(self, client, db, app):
        cast = await make_contract_cast(db, app, client)
        body = contract_body(cast, start_date="0001-01-01")
        response = await client.post(f"{API}/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-1] == "start_date"


class TestControlCharacters:
    @pytest.mark.parametrize("title", ["标题\r\nX-Injected: 1", "标题\x00", "tab\tin title", "bell\x07", "c1\x85c1"])
    async def test_a_title_with_control_characters_is_422(self, client, db, app, title):
        w = await make_world(db, app)
        response = await client.post(f"{API}/pilot-results", json=pilot_body(title=title), headers=w.institute_staff)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][-1] == "title"

    async def test_multi_line_text_keeps_its_line_breaks_but_not_nul(self, client, db, app):
        w = await make_world(db, app)
        ok = await client.post(
            f"{API}/pilot-results", json=pilot_body(abstract="第一段\n第二段\r\n\t缩进"), headers=w.institute_staff
        )
        assert ok.status_code == 201, ok.text
        bad = await client.post(f"{API}/pilot-results", json=pilot_body(abstract="a\x00b"), headers=w.institute_staff)
        assert bad.status_code == 422

    async def test_the_calendar_feed_never_fails_on_stored_control_characters(self, client, db, app, booking_clock):
        s = await setup(client, db, app)
        link = await client.post(f"{API}/instruments/{s.id}/calendar-link", headers=s.staff)
        url = link.json()["url"].split("://", 1)[1].split("/", 1)[1]
        async with db.session_scope() as session:  # stored before input was checked
            await session.execute(update(Listing).where(Listing.id == uuid.UUID(s.id)).values(title="扫描\r\n电镜\x07"))
        response = await client.get("/" + url)
        assert response.status_code == 200, response.text
        assert b"\x07" not in response.content
        assert "扫描 电镜".encode() in response.content


class TestA500CarriesItsRequestId:
    async def test_the_body_and_header_name_the_request_id(self, settings, db):
        import httpx

        app = create_app(settings, database=db)

        @app.get("/boom", operation_id="raiseABug")
        async def boom() -> None:
            raise RuntimeError("a bug")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            response = await c.get("/boom")
            quoted = await c.get("/boom", headers={"X-Request-ID": "support-1234"})
        assert response.status_code == 500
        assert response.json()["request_id"]
        assert response.headers["x-request-id"] == response.json()["request_id"]
        assert quoted.json()["request_id"] == "support-1234"
