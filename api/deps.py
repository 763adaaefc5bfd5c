"""Dependencies every router shares: the session, the caller, role gates, paging, idempotency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.middleware import register_read_session
from services import idempotency
from services.actors import Actor
from services.auth import AuthService
from services.db import Database, ReadSession, retry_read
from services.errors import DomainError, Unauthorized
from services.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.settings import Settings
from services.stripe_gateway import StripeGateway

E = TypeVar("E", bound=Callable[..., Any])  # an endpoint, marked by a decorator below

# Every router's prefix starts with it: the app adds each router's routes as they are (api/main.py).
API_PREFIX = "/api/v1"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/auth/token", auto_error=False)


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` dependency
# in a worker thread, a hop that costs more than the dependency itself on every request.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_auth(request: Request) -> AuthService:
    return request.app.state.auth


async def get_stripe(request: Request) -> StripeGateway:
    return request.app.state.stripe


async def get_session(db: Annotated[Database, Depends(get_database)]) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with db.sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keep_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
AuthDep = Annotated[AuthService, Depends(get_auth)]
StripeDep = Annotated[StripeGateway, Depends(get_stripe)]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def current_actor(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep, auth: AuthDep
) -> Actor:
    """The signed-in caller; 401 without a valid bearer token."""
    if not token:
        err = Unauthorized("sign in and send the access token as a Bearer token")
        err.headers["WWW-Authenticate"] = "Bearer"
        raise err
    try:
        actor = await auth.authenticate(session, token)
    except Unauthorized as exc:
        exc.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        raise
    request.state.actor = actor
    return actor


async def optional_actor(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep, auth: AuthDep
) -> Actor | None:
    """The caller when a token is sent (an invalid one is still 401), else None for anonymous reads."""
    if not token:
        return None
    return await current_actor(request, token, session, auth)


# The read path: hot anonymous reads (get by id, search, availability) run on a read session
# (`services.db.ReadSession`: the AUTOCOMMIT pool with generic plans, no pre-ping; on PostgreSQL
# `fetch_rows` runs on the driver). Both dependencies below are flat `async def`s on the `Request`
# alone (no sub-dependencies), because FastAPI solves every nested dependency on every request and
# these endpoints are mostly that: docs/benchmarks.md.
_READ_SESSION = "ttm.read_session"


async def get_read_session(request: Request) -> ReadSession:
    """The request's read session: no transaction, nothing to commit; never write through it.

    A plain `async def`, not a dependency with `yield`: FastAPI runs each of those in an exit stack
    under an AnyIO shielded cancel scope, ~0.07 ms of CPU per request (docs/benchmarks.md). One per
    request (kept on the scope, so the caller's authentication and the endpoint share it), handed
    to `RequestContextMiddleware`, which closes it when the request ends, after the response
    (`api/middleware.py`, `close_read_sessions`). It makes no ORM session unless one is used.
    """
    session: ReadSession | None = request.scope.get(_READ_SESSION)
    if session is None:
        session = request.scope[_READ_SESSION] = ReadSession(request.app.state.db)
        register_read_session(request.scope, session)
    return session


ReadSessionDep = Annotated[ReadSession, Depends(get_read_session)]


def bearer_token(request: Request) -> str | None:
    """The bearer token as `oauth2_scheme` (auto_error=False) reads it: None without one."""
    authorization = request.headers.get("authorization")
    scheme, token = get_authorization_scheme_param(authorization)
    if not authorization or scheme.lower() != "bearer":
        return None
    return token or None


async def optional_read_actor(request: Request) -> Actor | None:
    """`optional_actor` on the read session: no bearer token is anonymous, an invalid one is 401.

    The token is read from the header here rather than through `oauth2_scheme`, and the read session
    taken from the request rather than as a sub-dependency (two dependencies less to solve, ~0.02
    ms per request), so routes using it declare `OPTIONAL_BEARER` for OpenAPI.
    """
    token = bearer_token(request)
    if token is None:
        return None
    auth = request.app.state.auth
    session = (await get_read_session(request)).orm
    # The first statement on the read connection: survive a dead pooled one (services/db.py).
    return await retry_read(session, lambda: current_actor(request, token, session, auth))


OptionalReadActor = Annotated[Actor | None, Depends(optional_read_actor)]

# OpenAPI for routes on `OptionalReadActor`: the bearer token is optional, as with OptionalActor.
OPTIONAL_BEARER: dict[str, Any] = {"security": [{oauth2_scheme.scheme_name: []}]}

# The attribute of an endpoint that calls dependency functions itself: which ones (`resolves`).
RESOLVES = "__resolves__"


def resolves(*calls: Callable[..., Any]) -> Callable[[E], E]:
    """Mark an endpoint that calls these flat dependencies (`async def f(request)`) itself rather
    than declaring them: FastAPI solves every declared dependency on every request (~0.01 ms of CPU
    for the two of a get by id; docs/benchmarks.md), which the hottest reads skip. The OpenAPI
    document (api/openapi.py) reads the marks as it reads declared dependencies, so the operation's
    security and 401 stay documented:

        @router.get("/{result_id}", ...)
        @resolves(optional_read_actor, get_read_session)
        async def get_pilot_result(result_id: uuid.UUID, request: Request) -> Response:
            actor = await optional_read_actor(request)
    """

    def mark(endpoint: E) -> E:
        setattr(endpoint, RESOLVES, calls)
        return endpoint

    return mark


async def current_read_actor(request: Request) -> Actor:
    """The signed-in caller, authenticated on the read session (no transaction), for endpoints that
    run their own transactions (card payments: the idempotency key is committed before Stripe is
    called). 401 without a valid bearer token. Routes using it declare `BEARER` for OpenAPI."""
    actor = await optional_read_actor(request)
    if actor is None:
        err = Unauthorized("sign in and send the access token as a Bearer token")
        err.headers["WWW-Authenticate"] = "Bearer"
        raise err
    return actor


CurrentReadActor = Annotated[Actor, Depends(current_read_actor)]
BEARER: dict[str, Any] = OPTIONAL_BEARER


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address, taking X-Forwarded-For from the configured number of trusted proxies."""
    if settings.trusted_proxy_count > 0:
        forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p.strip()]
        if len(forwarded) >= settings.trusted_proxy_count:
            return forwarded[-settings.trusted_proxy_count]
    return request.client.host if request.client else "unknown"


class Idempotency:
    """Runs a creating operation at most once per `Idempotency-Key` (see services/idempotency.py)."""

    def __init__(self, request: Request, session: AsyncSession, settings: Settings, key: str | None) -> None:
        self.request = request
        self.session = session
        self.settings = settings
        self.key = key

    async def run(
        self,
        operation: Callable[[], Awaitable[Any]],
        response_model: type[BaseModel],
        *,
        status_code: int = 201,
        location: Callable[[Any], str] | None = None,
        request_body: bytes | None = None,
    ) -> Response:
        """The operation's response; a retry with the same key and body replays the first one. An
        upload, whose body was parsed as a stream, passes `request_body`: what identifies it."""
        actor: Actor | None = getattr(self.request.state, "actor", None)
        if self.key is None or actor is None:
            result = await operation()
            return self._respond(result, response_model, status_code, location)[0]
        key = idempotency.validate_key(self.key)
        matched = self.request.scope.get("route")  # the route template, so every id shares one key space
        route = f"{self.request.method} {matched.path if matched is not None else self.request.url.path}"
        digest = idempotency.request_hash(
            self.request.method,
            self.request.url.path,
            self.request.url.query,
            request_body if request_body is not None else await self.request.body(),
        )
        claimed = await idempotency.claim(
            self.session, actor.user_id, route, key, digest, wait_seconds=self.settings.idempotency_wait_seconds
        )
        if isinstance(claimed, idempotency.StoredResponse):
            headers = {"Idempotent-Replayed": "true"}
            if claimed.location:
                headers["Location"] = claimed.location
            return Response(claimed.body, status_code=claimed.status, media_type="application/json", headers=headers)
        result = await operation()
        response, body = self._respond(result, response_model, status_code, location)
        await idempotency.complete(
            self.session, claimed, status=status_code, body=body, location=response.headers.get("location")
        )
        return response

    @staticmethod
    def _respond(
        result: Any, model: type[BaseModel], status_code: int, location: Callable[[Any], str] | None
    ) -> tuple[Response, str]:
        payload = jsonable_encoder(model.model_validate(result, from_attributes=True))
        response = JSONResponse(payload, status_code=status_code)
        if location is not None:
            response.headers["Location"] = location(result)
        return response, bytes(response.body).decode()


async def get_idempotency(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="A unique key per intended operation; a retry with the same key and body "
            "returns the first response, with another body it is refused (409).",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(request, session, settings, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


async def get_required_idempotency(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="Required: a unique key per intended operation (money moves at most once); a retry "
            "with the same key and body returns the first response, with another body it is refused (409).",
        ),
    ],
) -> Idempotency:
    return Idempotency(request, session, settings, idempotency_key)


# For operations that move money: the key is required (a request without one is 422).
RequiredIdempotencyDep = Annotated[Idempotency, Depends(get_required_idempotency)]


M = TypeVar("M", bound=BaseModel)
# The attribute of an endpoint that parses a `QueryModel` itself: the model it documents.
QUERY_MODEL = "__query_model__"


class QueryModel(Generic[M]):
    """A query string validated as one Pydantic model by the route itself, documented as FastAPI
    documents `Annotated[model, Query()]` (api/openapi.py `build` adds the parameters).

    For hot routes with many query parameters: FastAPI's solving of a query model inspects each
    field's annotation on every request (~0.08 ms for the search's twelve; docs/benchmarks.md). The
    rules are FastAPI's: the last value of a repeated parameter, unknown parameters ignored, a
    failure is the same `RequestValidationError` (`loc` starting with "query").

        SEARCH = QueryModel(SearchParams)

        @router.get("/search", ...)
        @SEARCH.documented
        async def search(request: Request) -> ...:
            params = SEARCH.parse(request)
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def parse(self, request: Request) -> M:
        try:
            return self.model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None

    def documented(self, endpoint: E) -> E:
        """Mark the endpoint as reading this model from its query string (for the OpenAPI document)."""
        setattr(endpoint, QUERY_MODEL, self.model)
        return endpoint
