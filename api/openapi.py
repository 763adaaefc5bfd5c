"""The OpenAPI document as client generators read it: every operation named, secured as it is, and
every error documented as the one `Problem` schema under `application/problem+json`.

The rules apply to every route by construction, so a new route is held to them without edits here:

- `require_operation_ids` (called by `create_app`) refuses to build the app when a route has no
  explicit short camelCase `operation_id`, or two routes share one: FastAPI's generated ids
  (`search_catalogue_api_v1_catalogue_search_get`) never reach a client.
- `build` post-processes FastAPI's document: the security of each operation is read from its
  dependencies (a required, optional or no caller); 401 on every operation that reads a token,
  409 `idempotency-key-reused` on every operation taking `Idempotency-Key`, 413 on every request
  body, 422 on every operation with input, 503 on every operation under `/api/v1` (they all use the
  database); every 4xx/5xx answer's content is replaced by the `Problem` schema; and each answer
  documents the headers it carries (`X-Request-ID` always, `WWW-Authenticate` on 401, `Retry-After`
  on 409/429/503, `Idempotent-Replayed` on the successes of operations taking `Idempotency-Key`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import FastAPI, Query, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from api import deps
from api.errors import MEDIA_TYPE, PROBLEM_TYPE_BASE

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]{2,39}$")
PROBLEM_CONTENT = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# The schema FastAPI adds for its own 422 body; ours is the Problem schema, so these go.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

REQUIRED, OPTIONAL, ANONYMOUS = "required", "optional", "anonymous"
# The dependencies that read the caller's bearer token, and whether they demand one.
CALLERS: dict[Callable[..., Any], str] = {
    deps.current_actor: REQUIRED,
    deps.current_read_actor: REQUIRED,
    deps.optional_actor: OPTIONAL,
    deps.optional_read_actor: OPTIONAL,
}


def _slug(slug: str) -> str:
    return f"`{PROBLEM_TYPE_BASE}{slug}`"


STANDARD: dict[str, str] = {
    "401": "Not authenticated: the bearer token is missing (where one is required), malformed, expired or "
    f"revoked ({_slug('unauthorized')}, {_slug('invalid-token')}); `WWW-Authenticate: Bearer`",
    "409-idempotency": "The `Idempotency-Key` was used before with a different request "
    f"({_slug('idempotency-key-reused')})",
    "413": f"The request body is larger than the server accepts ({_slug('payload-too-large')})",
    "422": f"Invalid input. {_slug('validation')}: the request does not match this document (a type, a range, "
    "a length, a pattern -- control characters and years outside 1900-2199 included --, an enum value, an "
    f"unknown field, malformed JSON); {_slug('invalid')} and the named conditions below: it matches but breaks "
    "a rule the schema cannot state (a USCC's check character, a time zone name, a time inside 1900-2199 as "
    "written but not in UTC, one field against another). `errors` lists each "
    "`loc` (body / query / path / header, then the field) and `msg`",
    "503": "The database is unavailable or a statement timed out; retry after `Retry-After` seconds "
    f"({_slug('database-unavailable')})",
}


# The response headers clients read, on the answers that carry them (a generated client sees them).
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id (the caller's own X-Request-ID when it sent a sane one); quote it when "
        "reporting a problem (also the problem's `request_id`)",
        "required": True,
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": '`Bearer` when the token is missing, `Bearer error="invalid_token"` when it is malformed, '
        "expired or revoked",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying (a lock timeout or deadlock: 1; too many attempts: the "
        "rate limit's window; the database unavailable: 5)",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same "
        "`Idempotency-Key` (the work was done once)",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def route_contexts(app: FastAPI) -> Iterator[Any]:
    """Every API route of the app, as included (its path with the prefix)."""
    for context in routing.iter_route_contexts(app.routes):
        if getattr(context, "dependant", None) is not None and getattr(context, "include_in_schema", False):
            yield context


def require_operation_ids(app: FastAPI) -> None:
    """Refuse to build an app whose routes lack an explicit short camelCase `operation_id`, or share one."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for context in route_contexts(app):
        where = f"{','.join(sorted(context.methods))} {context.path_format}"
        op = context.operation_id
        if not op:
            problems.append(f"{where}: no operation_id (give the route operation_id='verbNoun')")
        elif not OPERATION_ID.match(op):
            problems.append(f"{where}: operation_id {op!r} is not short camelCase")
        elif op in seen:
            problems.append(f"{where}: operation_id {op!r} is also {seen[op]}")
        else:
            seen[op] = where
    if problems:
        raise RuntimeError("routes without a usable operation_id:\n  " + "\n  ".join(problems))


def no_generated_ids(route: Any) -> str:
    """`generate_unique_id_function` of the app: an id is never generated, a route names its own."""
    raise RuntimeError(f"route {getattr(route, 'path', route)!r} has no operation_id; give it one (verbNoun)")


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    yield from getattr(dependant.call, deps.RESOLVES, ())  # called by the endpoint itself (deps.resolves)
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def caller(dependant: Dependant) -> str:
    """Whether the operation requires a bearer token, accepts one, or never reads one."""
    kinds = {CALLERS[call] for call in _calls(dependant) if call in CALLERS}
    if REQUIRED in kinds:
        return REQUIRED
    return OPTIONAL if OPTIONAL in kinds else ANONYMOUS


def _add(responses: dict[str, Any], status: str, description: str) -> None:
    """Document a standard answer, keeping (and extending) what the route already says of that status."""
    entry = responses.setdefault(status, {"description": description})
    if description not in entry.get("description", "") and entry["description"] != description:
        entry["description"] = f"{entry['description']}; {description}"


def _process(operation: dict[str, Any], path: str, auth: str, scheme: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if auth == REQUIRED:
        operation["security"] = [{scheme: []}]
    elif auth == OPTIONAL:
        operation["security"] = [{}, {scheme: []}]
    else:
        operation.pop("security", None)
    if auth != ANONYMOUS:
        _add(responses, "401", STANDARD["401"])
    params = operation.get("parameters", [])
    if any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in params):
        _add(responses, "409", STANDARD["409-idempotency"])
    if "requestBody" in operation:
        _add(responses, "413", STANDARD["413"])
    if params or "requestBody" in operation:
        entry = responses.setdefault("422", {"description": STANDARD["422"]})
        described = entry.get("description", "")
        if described in ("Validation Error", ""):
            entry["description"] = STANDARD["422"]
        elif STANDARD["422"] not in described:
            entry["description"] = f"{STANDARD['422']}. Here: {described}"
    if path.startswith("/api/"):
        _add(responses, "503", STANDARD["503"])
    idempotent = any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in params)
    for status, entry in responses.items():
        if status[0] in "45":
            entry["content"] = PROBLEM_CONTENT
        headers = entry.setdefault("headers", {})
        headers["X-Request-ID"] = HEADERS["X-Request-ID"]
        if status == "401":
            headers["WWW-Authenticate"] = HEADERS["WWW-Authenticate"]
        if status in ("409", "429", "503"):
            headers["Retry-After"] = HEADERS["Retry-After"]
        if idempotent and status[0] == "2":
            headers["Idempotent-Replayed"] = HEADERS["Idempotent-Replayed"]


def build(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the rules above applied (cached on the app like FastAPI's own)."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    _document_query_models(app, document)
    scheme = deps.oauth2_scheme.scheme_name
    auth_of = {
        (context.path_format, method.lower()): caller(context.dependant)
        for context in route_contexts(app)
        for method in context.methods
    }
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                _process(operation, path, auth_of.get((path, method), ANONYMOUS), scheme)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    app.openapi_schema = document
    return document


def _document_query_models(app: FastAPI, document: dict[str, Any]) -> None:
    """The query parameters of the endpoints that parse a `deps.QueryModel` themselves, exactly as
    FastAPI documents `Annotated[model, Query()]` (generated by FastAPI for a probe route), after
    their path parameters; the schemas they refer to are added when the document lacks them."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for context in route_contexts(app):
        model = getattr(context.dependant.call, deps.QUERY_MODEL, None)
        if model is None:
            continue
        parameters, components = _query_parameters(model)
        for method in context.methods:
            operation = document["paths"][context.path_format][method.lower()]
            declared = operation.get("parameters", [])
            path = [p for p in declared if p["in"] == "path"]
            operation["parameters"] = path + parameters + [p for p in declared if p["in"] != "path"]
        for name, schema in components.items():
            schemas.setdefault(name, schema)


def _query_parameters(model: type[Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    async def probe(**_: Any) -> None:
        """Never called: its signature is what FastAPI documents."""

    setattr(  # noqa: B010  # the signature FastAPI reads
        probe,
        "__signature__",
        inspect.Signature(
            [inspect.Parameter("params", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[model, Query()])]
        ),
    )
    probe_app = FastAPI()
    probe_app.add_api_route("/", probe, methods=["GET"], operation_id="probe")
    probed = get_openapi(title="probe", version="0", routes=probe_app.routes)
    return probed["paths"]["/"]["get"]["parameters"], probed.get("components", {}).get("schemas", {})


def install(app: FastAPI) -> None:
    """Check the routes' ids now (fail at start-up, not in a client's build) and serve the processed document."""
    require_operation_ids(app)
    app.openapi = lambda: build(app)  # type: ignore[method-assign]  # FastAPI's documented way to customise it
