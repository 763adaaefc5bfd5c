"""Every error leaves as RFC 9457 application/problem+json; rendered here and nowhere else."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.common import Problem
from services import errors
from services.db import sqlstate
from services.errors import DomainError
from services.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "urn:ttm:problem:"
MEDIA_TYPE = "application/problem+json"

# PostgreSQL SQLSTATEs that mean "someone else holds it; retry" and "the server went away".
RETRY_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock", "55P03": "lock timeout"}
UNAVAILABLE_SQLSTATES = {
    "57014": "statement timeout",
    "57P01": "server shutting down (admin shutdown)",
    "57P02": "server crashed (crash shutdown)",
    "57P03": "server starting up or shutting down (cannot connect now)",
    "53300": "too many connections",
}
# Whole classes that mean "the connection, not the request, failed": 08 connection exception,
# 57P operator intervention (shutdown, crash, start-up); a restart answers these for a moment.
UNAVAILABLE_CLASSES = ("08", "57P")


def problem_response(
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id or request_id_var.get(),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


# An OpenAPI `responses` mapping, as FastAPI's route decorators take it.
Responses = dict[int | str, dict[str, Any]]


def problem(error: type[errors.DomainError]) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a domain error."""
    return {
        "model": Problem,
        "content": {MEDIA_TYPE: {}},
        "description": f"{error.title} (`{PROBLEM_TYPE_BASE}{error.slug}`)",
    }


def _database_problem(exc: DBAPIError) -> JSONResponse | None:
    """A 422 for a value the database cannot hold (the safety net behind the input types), a
    retryable 409, or a 503 for database conditions that are not the caller's fault."""
    code = sqlstate(exc)
    message = str(exc.orig).lower() if exc.orig is not None else ""
    if isinstance(exc, DataError) or (code or "").startswith("22") or "invalid input for query argument" in message:
        log.warning("database refused a value: %s", exc.orig)
        bad = errors.Invalid("a value is out of the range the service accepts")
        return problem_response(bad.status, bad.title, bad.slug, bad.detail)
    if code in RETRY_SQLSTATES or "database is locked" in message or "database table is locked" in message:
        reason = RETRY_SQLSTATES.get(code or "", "lock timeout")
        log.warning("database %s; answering 409", reason)
        err = errors.ConcurrentUpdate(f"the database reported a {reason}; retry the request")
        return problem_response(err.status, err.title, err.slug, err.detail, headers={"Retry-After": "1"})
    if (
        exc.connection_invalidated
        or isinstance(exc, InterfaceError)
        or code in UNAVAILABLE_SQLSTATES
        or (code or "").startswith(UNAVAILABLE_CLASSES)
        or "connection" in message
        or "unable to open database" in message
    ):
        log.error("database unavailable: %s", exc.orig)
        down = errors.DatabaseUnavailable()
        return problem_response(down.status, down.title, down.slug, down.detail, headers={"Retry-After": "5"})
    return None


def _connection_phase(exc: BaseException) -> bool:
    """A driver error (or its cause) whose SQLSTATE means the server cannot take connections now."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str) and (code in UNAVAILABLE_SQLSTATES or code.startswith(UNAVAILABLE_CLASSES)):
            return True
    return False


def breaks_a_rule(error: Any) -> bool:
    """One of our validators refused the value (its ValueError: a USCC's check character, a time zone
    name, an instant inside 1900-2199 as written but not in UTC, one field against another): the
    request matches the OpenAPI document, which cannot state these, and breaks a rule (`invalid`).
    Pydantic's own checks (a type, a range, a length, a pattern, an enum, an unknown field, e-mail
    syntax, malformed JSON) and the rules the document states as patterns (control characters, the
    years 1900-2199: `string_pattern_mismatch`, `year_out_of_range`) fail as schema errors; failing
    one, the request does not match the document (`validation`)."""
    return error.get("type") == "value_error" and isinstance((error.get("ctx") or {}).get("error"), ValueError)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem+json."""

    @app.exception_handler(errors.DomainError)
    async def _domain(_: Request, exc: errors.DomainError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.slug, exc.detail, headers=exc.headers or None, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")} for e in found]
        if found and all(breaks_a_rule(e) for e in found):
            return problem_response(
                422, "Invalid input", "invalid", "the request breaks a rule; see errors", errors=details
            )
        return problem_response(
            422, "Invalid input", "validation", "the request has invalid fields; see errors", errors=details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # Only the framework raises a 400 HTTPException (the app's own 400s are domain errors): FastAPI
            # when a body can't be read at all (JSON that is not UTF-8), Starlette when a form or multipart
            # body does not parse. The document promises 422 `validation` for a malformed body, so that is
            # the answer (schemathesis found the undocumented 400, issue 11 item 8).
            unreadable = {"loc": ["body"], "msg": str(exc.detail), "type": "body_unparsable"}
            return problem_response(
                422, "Invalid input", "validation", "the request body could not be parsed", errors=[unreadable]
            )
        titles = {
            404: ("Not found", "not-found"),
            405: ("Method not allowed", "method-not-allowed"),
            401: ("Not authenticated", "unauthorized"),
            413: ("Request body too large", "payload-too-large"),
        }
        title, slug = titles.get(exc.status_code, (str(exc.detail), f"http-{exc.status_code}"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such resource"
        return problem_response(exc.status_code, title, slug, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # Services translate the constraints they expect; this is the safety net for the rest.
        log.warning("unhandled integrity error: %s", exc.orig)
        return problem_response(
            409,
            "Conflicts with existing data",
            "integrity-conflict",
            "the change conflicts with data that already exists",
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        response = _database_problem(exc)
        if response is not None:
            return response
        return await _unexpected(request, exc)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        # asyncpg raises plain OSError / ConnectionRefusedError when the server is unreachable.
        log.error("I/O error (database unreachable?): %s", exc)
        down = errors.DatabaseUnavailable()
        return problem_response(down.status, down.title, down.slug, down.detail, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The driver's own errors while connecting (asyncpg's CannotConnectNowError, 57P03, while
        # the server starts up) reach here unwrapped by SQLAlchemy: their SQLSTATE says "retry".
        if _connection_phase(exc):
            log.error("database unavailable while connecting: %s", exc)
            down = errors.DatabaseUnavailable()
            return problem_response(down.status, down.title, down.slug, down.detail, headers={"Retry-After": "5"})
        # Starlette renders this outside the request-id middleware: the id comes from the scope.
        request_id = request_id_var.get() or getattr(request.state, "request_id", None)
        log.exception("unhandled error (request %s)", request_id, exc_info=exc)
        return problem_response(
            500,
            "Internal server error",
            "internal",
            "an unexpected error occurred; quote the request id when reporting it",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                **({"X-Request-ID": request_id} if request_id else {}),
            },
            request_id=request_id,
        )


def problems_doc(*errors: type[DomainError]) -> dict:
    """An OpenAPI `responses` entry naming every condition that answers with one status."""
    entry = problem(errors[0])
    entry["description"] = "; ".join(problem(e)["description"] for e in errors)
    return entry
