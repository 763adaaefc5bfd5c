"""The OpenAPI document as a client developer generates code from it, held generically over EVERY
operation (a route added later is held to the same rules): short unique operationIds, every error as
the one Problem schema, security as enforced, 401 where a token is read, 409 `idempotency-key-reused`
where `Idempotency-Key` is taken. The behavioural checks send real requests to every operation."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ValidationError

from api.openapi import no_generated_ids, require_operation_ids, route_contexts
from models.enums import OrganisationKind, Role
from tests.factories.http import is_problem
from tests.factories.organisations import PASSWORD, auth_headers, create_member, create_org, create_user

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
GENERATED = re.compile(r"_(get|post|put|patch|delete)$|_api_v1_|__")


@pytest.fixture
async def spec(client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in spec["paths"].items() for m, op in item.items() if m in METHODS]


def concrete(path: str, op: dict[str, Any]) -> str:
    """The path with each parameter filled with a well-formed value that names nothing."""
    for p in op.get("parameters", []):
        if p["in"] != "path":
            continue
        schema = p.get("schema", {})
        value = "2026-11" if "pattern" in schema else str(uuid.uuid4())
        path = path.replace("{" + p["name"] + "}", value)
    return path


def security(op: dict[str, Any]) -> str:
    sec = op.get("security")
    if not sec:
        return "anonymous"
    return "optional" if {} in sec else "required"


class TestOperationIds:
    def test_every_operation_has_a_short_unique_camel_case_id(self, spec):
        ids = [op.get("operationId", "") for _, _, op in operations(spec)]
        assert len(ids) > 100
        bad = [i for i in ids if not re.fullmatch(r"[a-z][a-zA-Z0-9]{2,39}", i) or GENERATED.search(i)]
        assert bad == []
        assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)

    def test_a_route_without_an_operation_id_fails_the_app_at_creation(self):
        router = APIRouter()

        @router.get("/named", operation_id="getNamed")
        async def named() -> None: ...

        @router.get("/unnamed")
        async def unnamed() -> None: ...

        app = FastAPI()
        app.include_router(router, prefix="/api/v1")
        with pytest.raises(RuntimeError, match="GET /api/v1/unnamed: no operation_id"):
            require_operation_ids(app)

    def test_a_duplicate_or_generated_looking_id_fails_too(self):
        app = FastAPI()

        @app.get("/a", operation_id="getThing")
        async def a() -> None: ...

        @app.get("/b", operation_id="getThing")
        async def b() -> None: ...

        @app.get("/c", operation_id="get_c_api_v1_c_get")
        async def c() -> None: ...

        with pytest.raises(RuntimeError) as raised:
            require_operation_ids(app)
        assert "'getThing' is also GET /a" in str(raised.value)
        assert "'get_c_api_v1_c_get' is not short camelCase" in str(raised.value)

    def test_the_app_never_generates_an_id(self):
        with pytest.raises(RuntimeError, match="no operation_id"):
            FastAPI(generate_unique_id_function=no_generated_ids).get("/x")(lambda: None)


class TestErrorsDocumented:
    def test_every_error_response_is_the_problem_schema(self, spec):
        wrong = [
            (path, m, status)
            for path, m, op in operations(spec)
            for status, response in op["responses"].items()
            if status[0] in "45" and response.get("content") != PROBLEM
        ]
        assert wrong == []

    def test_fastapis_validation_schema_is_gone(self, spec):
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert "HTTPValidationError" not in str(spec)

    def test_the_problem_schema_declares_the_members_the_api_sends(self, spec):
        props = spec["components"]["schemas"]["Problem"]["properties"]
        for member in ("type", "title", "status", "detail", "request_id", "errors", "rule", "conflicts", "term"):
            assert member in props, member
        error = spec["components"]["schemas"]["ProblemError"]["properties"]
        assert {"loc", "msg"} <= set(error)

    def test_every_operation_with_input_documents_422_naming_both_types(self, spec):
        for path, _m, op in operations(spec):
            if op.get("parameters") or op.get("requestBody"):
                described = op["responses"]["422"]["description"]
                assert "urn:ttm:problem:validation" in described and "urn:ttm:problem:invalid" in described, path

    def test_every_request_body_documents_413_and_every_api_operation_503(self, spec):
        for path, m, op in operations(spec):
            if "requestBody" in op:
                assert "413" in op["responses"], (path, m)
            if path.startswith("/api/"):
                assert "503" in op["responses"], (path, m)

    def test_every_idempotency_key_operation_documents_the_reused_key(self, spec):
        taking = [
            (path, m, op)
            for path, m, op in operations(spec)
            if any(p["name"].lower() == "idempotency-key" for p in op.get("parameters", []))
        ]
        assert len(taking) >= 15
        for path, m, op in taking:
            assert "idempotency-key-reused" in op["responses"]["409"]["description"], (path, m)
        assert ("/api/v1/problems", "post") in {(p, m) for p, m, _ in taking}

    def test_every_secured_operation_documents_401(self, spec):
        for path, m, op in operations(spec):
            if op.get("security"):
                assert "401" in op["responses"], (path, m)


class TestHeadersDocumented:
    """The response headers a client reads are in the document, where they are sent (openapi-typescript
    types them; clients/typescript checks every answer's headers against them)."""

    def test_each_answer_documents_the_headers_it_carries(self, spec):
        missing = []
        for path, m, op in operations(spec):
            idempotent = any(p["name"].lower() == "idempotency-key" for p in op.get("parameters", []))
            for status, response in op["responses"].items():
                headers = response.get("headers", {})
                expected = {"X-Request-ID"}
                expected |= {"WWW-Authenticate"} if status == "401" else set()
                expected |= {"Retry-After"} if status in ("409", "429", "503") else set()
                expected |= {"Idempotent-Replayed"} if idempotent and status.startswith("2") else set()
                if not expected <= set(headers):
                    missing.append((m, path, status, sorted(expected - set(headers))))
        assert missing == []
        assert spec["paths"]["/api/v1/bookings"]["post"]["responses"]["201"]["headers"]["X-Request-ID"]["required"]

    async def test_the_documented_headers_are_sent(self, client, db, app, spec):
        key = {"Idempotency-Key": "headers-documented-1"}
        refused = await client.get("/api/v1/bookings")
        assert is_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert refused.headers["X-Request-ID"] == refused.json()["request_id"]
        org = await create_org(db, OrganisationKind.sme, app=app)
        _user, headers = await create_member(db, app, org, Role.sme_admin)
        body = spec["components"]["schemas"]["ProblemCreate"]["examples"][0]
        first = await client.post("/api/v1/problems", json=body, headers=headers | key)
        again = await client.post("/api/v1/problems", json=body, headers=headers | key)
        assert first.status_code == again.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"


class TestSecurityAsEnforced:
    async def test_required_tokens_are_required(self, client, spec):
        """Every operation marked as requiring a token answers 401 problem+json without one."""
        required = [(p, m, op) for p, m, op in operations(spec) if security(op) == "required"]
        assert len(required) > 90
        for path, m, op in required:
            response = await client.request(m.upper(), concrete(path, op), json={} if "requestBody" in op else None)
            assert is_problem(response, 401), (m, path, response.status_code, response.text[:200])

    async def test_optional_operations_serve_anonymous_callers_and_refuse_bad_tokens(self, client, spec):
        optional = [(p, m, op) for p, m, op in operations(spec) if security(op) == "optional"]
        documented = {(p, m) for p, m, _ in optional}
        for expected in [
            ("/api/v1/instruments/{instrument_id}", "get"),
            ("/api/v1/instruments/{instrument_id}/availability", "get"),
            ("/api/v1/pilot-results/{result_id}", "get"),
            ("/api/v1/pilot-results", "get"),
            ("/api/v1/service-offers/{offer_id}", "get"),
        ]:
            assert expected in documented, expected
        for path, m, op in optional:
            url = concrete(path, op)
            anonymous = await client.request(m.upper(), url)
            assert anonymous.status_code != 401, (m, path)
            bad = await client.request(m.upper(), url, headers={"Authorization": "Bearer not-a-token"})
            assert is_problem(bad, 401), (m, path, bad.status_code)

    async def test_anonymous_operations_need_no_token(self, client, spec):
        # Search reads no token at all (the same answer for everyone): no security, not even optional.
        assert "security" not in spec["paths"]["/api/v1/catalogue/search"]["get"]
        for path, m, op in operations(spec):
            if security(op) == "anonymous" and m == "get" and not op.get("parameters"):
                response = await client.get(path)
                assert response.status_code != 401, path


class TestContractDocument:
    async def test_its_404_is_documented_and_answered_as_a_problem(self, client, spec):
        op = spec["paths"]["/api/v1/contracts/{contract_id}/document"]["get"]
        assert op["responses"]["404"]["content"] == PROBLEM
        assert "text/html" in op["responses"]["200"]["content"]


def referenced(spec: dict[str, Any], node: Any, found: set[str] | None = None) -> set[str]:
    """The component schemas `node` refers to, directly or through other components."""
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/") and (name := ref.rsplit("/", 1)[1]) not in found:
            found.add(name)
            referenced(spec, spec["components"]["schemas"][name], found)
        for value in node.values():
            referenced(spec, value, found)
    elif isinstance(node, list):
        for value in node:
            referenced(spec, value, found)
    return found


class TestSchemasAsSent:
    """What a generated client's types say of an answer is what the answer is (clients/typescript
    generates with openapi-typescript, `required` deciding `x: T` or `x?: T`)."""

    def test_schema_names_are_class_names_not_module_paths(self, spec):
        # Two classes of one name in two modules became `api__schemas__common__Page_InvitationRead___1`
        # (numbered by import order): a type name no client can live with.
        names = spec["components"]["schemas"]
        assert [n for n in names if "__" in n or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n)] == []

    def test_every_member_a_success_response_sends_is_required(self, spec):
        """Every field of a response model is serialised, defaults included, so none is optional:
        `next_cursor: string | null`, Money's `currency`, a token's `token_type`, a user's `memberships`."""
        sent: set[str] = set()
        received: set[str] = set()
        for _path, _m, op in operations(spec):
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    referenced(spec, response, sent)
            referenced(spec, [op.get("parameters", []), op.get("requestBody", {})], received)
        only_sent = sent - received
        assert {"Money", "Page_BookingRead_", "TokenResponse", "UserRead", "SearchHit"} <= only_sent
        optional = {
            name: sorted(set(schema["properties"]) - set(schema.get("required", [])))
            for name in sorted(only_sent)
            if "properties" in (schema := spec["components"]["schemas"][name])
        }
        assert {name: members for name, members in optional.items() if members} == {}

    async def test_the_members_marked_required_are_sent(self, client, spec, db, app):
        """The required members are in the answers (an empty page's `next_cursor: null`, the token's
        `token_type`, the user's `memberships`), as the schemas now say."""
        user = await create_user(db, app)
        token = await client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = await client.get("/api/v1/me", headers=headers)
        page = await client.get("/api/v1/bookings", headers=headers)
        schemas = spec["components"]["schemas"]
        for response, name in ((token, "TokenResponse"), (me, "UserRead"), (page, "Page_BookingRead_")):
            assert response.status_code == 200, response.text
            assert set(response.json()) == set(schemas[name]["required"]) == set(schemas[name]["properties"]), name
        assert page.json() == {"items": [], "next_cursor": None}


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if "anyOf" in schema:
        return [o for option in schema["anyOf"] for o in _options(option)]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _options(schema["items"])
    return [schema]


class TestInputRulesDocumented:
    """What the API refuses in a well-typed input, the document says: control characters (a pattern
    on every plain string of every request body) and instants and days outside 1900-2199 (a pattern
    on the year), so a generated example or a client-side validator never sends what answers 422."""

    YEARS = "^(19|20|21)[0-9]{2}-"

    def test_every_plain_string_in_a_request_body_refuses_control_characters(self, spec):
        bodies: set[str] = set()
        for _path, _m, op in operations(spec):  # JSON bodies (forms carry files and OAuth2's fields)
            referenced(spec, op.get("requestBody", {}).get("content", {}).get("application/json", {}), bodies)
        missing, checked = [], 0
        for name in sorted(bodies):
            for field, prop in spec["components"]["schemas"][name].get("properties", {}).items():
                for option in _options(prop):
                    if option.get("type") != "string" or {"format", "enum", "const"} & option.keys():
                        continue
                    checked += 1
                    pattern = option.get("pattern")
                    if pattern is None:
                        missing.append(f"{name}.{field}")
                    elif pattern.startswith("^[^"):  # the control-character rule (not a field's own format)
                        assert re.fullmatch(pattern, "钠离子电池 Na-ion"), (name, field)
                        assert not re.fullmatch(pattern, "a\x00b") and not re.fullmatch(pattern, "a\x9bb")
        assert checked > 100 and missing == []

    def test_single_line_fields_refuse_line_breaks_and_text_keeps_them(self, spec):
        register = spec["components"]["schemas"]["RegisterRequest"]["properties"]
        assert not re.fullmatch(register["full_name"]["pattern"], "王\r\n小明")
        problem = spec["components"]["schemas"]["ProblemCreate"]["properties"]
        assert not re.fullmatch(problem["title"]["pattern"], "标题\r\n")
        assert re.fullmatch(problem["description"]["pattern"], "第一行\n第二行\t")

    def test_every_instant_and_day_a_request_carries_states_the_years(self, spec):
        bodies: set[str] = set()
        dated, wrong = 0, []
        for path, method, op in operations(spec):
            referenced(spec, op.get("requestBody", {}), bodies)
            for param in op.get("parameters", []):
                for option in _options(param["schema"]):
                    if option.get("format") in ("date", "date-time"):
                        dated += 1
                        if option.get("pattern") != self.YEARS:
                            wrong.append(f"{method} {path} {param['name']}")
        for name in sorted(bodies):
            for field, prop in spec["components"]["schemas"][name].get("properties", {}).items():
                for option in _options(prop):
                    if option.get("format") in ("date", "date-time"):
                        dated += 1
                        if option.get("pattern") != self.YEARS:
                            wrong.append(f"{name}.{field}")
        assert dated > 20 and wrong == []
        assert re.match(self.YEARS, "2026-11-30T09:00:00+08:00") and not re.match(self.YEARS, "0001-01-01")
        assert not re.match(self.YEARS, "9999-12-31")


class TestPatchBodiesAsValidated:
    """A PATCH body's field may be null in the document exactly when the API accepts null for it (to
    clear it): a generated client's `title?: string | null` must not compile a request the API refuses."""

    @staticmethod
    def patch_bodies(app) -> list[tuple[str, type[BaseModel]]]:
        found = []
        for route in route_contexts(app):
            if "PATCH" in route.methods and route.dependant.body_params:
                model = route.dependant.body_params[0].field_info.annotation
                assert isinstance(model, type) and issubclass(model, BaseModel), route.path_format
                found.append((route.path_format, model))
        return found

    def test_null_is_documented_where_it_is_accepted_and_nowhere_else(self, app, spec):
        bodies = self.patch_bodies(app)
        assert len(bodies) >= 5
        wrong = []
        for path, model in bodies:
            schema = spec["components"]["schemas"][model.__name__]
            for name, prop in schema["properties"].items():
                documented = {"type": "null"} in prop.get("anyOf", []) or prop.get("type") == "null"
                try:
                    model.model_validate({name: None})
                    accepted = True
                except ValidationError:
                    accepted = False
                if documented != accepted:
                    wrong.append(f"{path} {model.__name__}.{name}: null documented {documented}, accepted {accepted}")
        assert wrong == []

    async def test_null_for_a_field_that_cannot_be_cleared_is_a_schema_error(self, client, db, app):
        org = await create_org(db, OrganisationKind.sme, app=app)
        _user, headers = await create_member(db, app, org, Role.sme_admin)
        url = f"/api/v1/organisations/{org.id}"
        refused = await client.patch(url, json={"name": None}, headers=headers)
        assert is_problem(refused, 422), refused.text
        assert refused.json()["type"] == "urn:ttm:problem:validation"  # the document says it: no null option
        assert [e["type"] for e in refused.json()["errors"]] == ["not_null"]
        cleared = await client.patch(url, json={"name_en": None}, headers=headers)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["name_en"] is None


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def field_examples(spec: dict[str, Any], schema: dict[str, Any], loc: tuple) -> list[tuple[tuple, Any]]:
    """Every example a request schema gives for one of its fields, with the field's place in the body."""
    found = []
    schema = resolve(spec, schema)
    for name, prop in schema.get("properties", {}).items():
        found += [((*loc, name), value) for value in prop.get("examples", [])]
        for option in [prop, *prop.get("anyOf", [])]:
            if "$ref" in option:
                found += field_examples(spec, option, (*loc, name))
    return found


def nest(loc: tuple, value: Any) -> Any:
    for name in reversed(loc):
        value = {name: value}
    return value


def json_body(op: dict[str, Any]) -> dict[str, Any] | None:
    return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


class TestExamplesWork:
    """Every request example in the document is sent as "Try it" sends it: none answers 422."""

    async def test_the_registration_example_registers(self, client, spec):
        schema = resolve(spec, json_body(spec["paths"]["/api/v1/auth/register"]["post"]))
        response = await client.post("/api/v1/auth/register", json=schema["examples"][0])
        assert response.status_code == 201, response.text

    async def test_every_whole_body_example_is_accepted(self, client, spec, db, app):
        admin = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        register = resolve(spec, json_body(spec["paths"]["/api/v1/auth/register"]["post"]))["examples"][0]
        assert (await client.post("/api/v1/auth/register", json=register)).status_code == 201
        signed_in = await client.post(
            "/api/v1/auth/token", data={"username": register["email"], "password": register["password"]}
        )
        sme = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        sent = 0
        for path, m, op in operations(spec):
            schema = json_body(op)
            if schema is None or path == "/api/v1/auth/register":
                continue
            for example in resolve(spec, schema).get("examples", []):
                for headers in (sme, admin):
                    response = await client.request(m.upper(), concrete(path, op), json=example, headers=headers)
                    assert response.status_code != 422, (m, path, response.text)
                    sent += 1
        assert sent >= 6

    async def test_every_field_example_passes_its_field(self, client, spec, db, app):
        admin = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        sent = 0
        for path, m, op in operations(spec):
            schema = json_body(op)
            if schema is None:
                continue
            for loc, value in field_examples(spec, schema, ()):
                response = await client.request(m.upper(), concrete(path, op), json=nest(loc, value), headers=admin)
                if response.status_code == 422:
                    wrong = [e for e in response.json().get("errors") or [] if tuple(e["loc"][1:]) == loc]
                    assert wrong == [], (m, path, loc, value, wrong)
                sent += 1
        assert sent >= 10

    async def test_every_parameter_example_passes_its_parameter(self, client, spec, db, app):
        admin = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        for path, m, op in operations(spec):
            for p in op.get("parameters", []):
                for value in [*p.get("examples", {}).values(), *p.get("schema", {}).get("examples", [])]:
                    value = value["value"] if isinstance(value, dict) and "value" in value else value
                    url = concrete(path, op)
                    if p["in"] == "path":
                        url = concrete(path.replace("{" + p["name"] + "}", str(value)), op)
                    params = {p["name"]: value} if p["in"] == "query" else None
                    response = await client.request(m.upper(), url, params=params, headers=admin)
                    if response.status_code == 422:
                        wrong = [e for e in response.json().get("errors") or [] if e["loc"][:2] == [p["in"], p["name"]]]
                        assert wrong == [], (m, path, p["name"], value)


class TestClosedSetsAreEnums:
    def test_kinds_and_currencies_are_enums(self, spec):
        schemas = spec["components"]["schemas"]
        notification_kinds = schemas["NotificationRead"]["properties"]["kind"]["enum"]
        assert {"proposal.received", "booking.confirmed", "contract.activated"} <= set(notification_kinds)
        assert all(":" not in k for k in notification_kinds)
        event_kind = resolve(spec, schemas["ContractEventRead"]["properties"]["kind"])
        assert {"created", "signed", "activated", "milestone_accepted", "terminated"} <= set(event_kind["enum"])
        money = next(s for name, s in schemas.items() if name.startswith("Money"))
        assert money["properties"]["currency"]["enum"] == ["CNY", "USD", "EUR", "HKD", "JPY"]
