"""ASGI middleware: request ids and access logs, Prometheus metrics, request body limit."""

from __future__ import annotations

import contextvars
import json
import re
import time
import uuid
from typing import Protocol

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import logs
from services.logs import request_id_var

REQUEST_ID_HEADER = b"x-request-id"
AUTHORIZATION = b"authorization"
CACHE_CONTROL = b"cache-control"
# On every response: no MIME sniffing, and no page of this service inside another site's frame
# (the interactive /docs included).
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]
NO_STORE = (CACHE_CONTROL, b"no-store")
# Responses never stored by a cache unless the route says otherwise: tokens (RFC 6749 section 5.1)
# and everything personal.
_PRIVATE_PREFIXES = ("/api/v1/auth/", "/api/v1/me")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter("ttm_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "ttm_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's value (names arrive lower-cased; the last one when repeated, as
    `dict(scope["headers"])` gave), without building a dict of every header."""
    found = None
    for key, value in scope["headers"]:
        if key == name:
            found = value
    return found


# Prometheus children per label values: `labels()` validates and hashes its arguments on every
# call; the routes and statuses seen are few (templates, not paths), so the children are reused.
_counters: dict[tuple[str, str, int], Counter] = {}
_histograms: dict[tuple[str, str], Histogram] = {}


def _observe(method: str, route: str, status: int, elapsed: float) -> None:
    counter = _counters.get((method, route, status))
    if counter is None:
        counter = _counters[(method, route, status)] = REQUESTS.labels(method, route, str(status))
    histogram = _histograms.get((method, route))
    if histogram is None:
        histogram = _histograms[(method, route)] = LATENCY.labels(method, route)
    counter.inc()
    histogram.observe(elapsed)


def _route_template(scope: Scope) -> str:
    """The matched route as a template (`/api/v1/organisations/{organisation_id}`), to bound label cardinality."""
    if scope.get("route") is None and scope.get("endpoint") is None:
        return "unmatched"
    path = scope["path"]
    for name, value in (scope.get("path_params") or {}).items():
        path = path.replace(str(value), "{" + name + "}", 1)
    return path


# Read sessions opened for the request (`api.deps.get_read_session`), closed when it ends.
_READ_SESSIONS = "ttm.read_sessions"


class _Closable(Protocol):
    async def close(self) -> None: ...


def register_read_session(scope: Scope, session: _Closable) -> None:
    """Close `session` when the request ends (RequestContextMiddleware, after the response)."""
    sessions = scope.get(_READ_SESSIONS)
    if sessions is None:
        scope[_READ_SESSIONS] = [session]
    else:
        sessions.append(session)


async def close_read_sessions(scope: Scope) -> None:
    """Close the request's read sessions: AUTOCOMMIT, so closing returns each connection to the pool
    without a round trip (nothing to roll back), in this task (services/db.py, `read_session`)."""
    sessions = scope.get(_READ_SESSIONS)
    if sessions:
        del scope[_READ_SESSIONS]
        for session in sessions:
            await session.close()


class RequestContextMiddleware:
    """Gives every request an id (taken from X-Request-ID when sane), logs it, counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (_header(scope, REQUEST_ID_HEADER) or b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        # Also on the scope: a 500 is rendered by Starlette's outermost middleware, after this one
        # has ended and the context variable is reset (api/errors.py reads it from request.state).
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        personal = scope["path"].startswith(_PRIVATE_PREFIXES) or _header(scope, AUTHORIZATION) is not None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                present = {key.lower() for key, _ in headers}
                headers += [header for header in SECURITY_HEADERS if header[0] not in present]
                if personal and CACHE_CONTROL not in present:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                await close_read_sessions(scope)
            finally:
                self._finish(scope, status, started, token)

    @staticmethod
    def _finish(scope: Scope, status: int, started: float, token: contextvars.Token[str | None]) -> None:
        """Count and log the request, then reset the request id (also when closing a session failed)."""
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        if route != "/metrics":
            _observe(scope["method"], route, status, elapsed)
        logs.access(scope["method"], scope["path"], status, round(elapsed * 1000, 2), route)
        request_id_var.reset(token)


_BODILESS = frozenset({"GET", "HEAD"})


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413 problem+json, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, overrides: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Path suffix -> limit, for routes that take files (attachments, statement imports).
        self.overrides = overrides or {}

    def _limit_for(self, path: str) -> int:
        for suffix, limit in self.overrides.items():
            if path.endswith(suffix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _send_413(send, limit)
                return
        elif scope["method"] in _BODILESS:
            # No route reads a GET's body (none declares one), so there is nothing to count: the
            # hot reads skip the two wrappers below.
            await self.app(scope, receive, send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _send_413(send, limit)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; FastAPI lets HTTPException through body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "urn:ttm:problem:payload-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the request body exceeds {limit} bytes",
            "request_id": request_id_var.get(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
