"""Domain errors: each names a condition; its category carries the HTTP status.

`api/errors.py` renders them once as RFC 9457 problem+json. Services raise these, never
HTTPException.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str | None = None, *, keep_changes: bool = False, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}
        # The request still commits what it flushed (a failed sign-in is recorded, a reused
        # refresh token revokes its family) although it answers with this error.
        self.keep_changes = keep_changes


class Unauthorized(DomainError):
    status = 401
    title = "Not authenticated"
    slug = "unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Not allowed"
    slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict with the current state"
    slug = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Request body too large"
    slug = "payload-too-large"


class Invalid(DomainError):
    status = 422
    title = "Invalid input"
    slug = "invalid"

    def __init__(self, detail: str | None = None, *, loc: list[str | int] | None = None, **extra: Any):
        super().__init__(detail, **extra)
        if loc is not None:
            self.extra.setdefault("errors", [{"loc": loc, "msg": self.detail}])


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(retry_after)


class Unavailable(DomainError):
    status = 503
    title = "Service temporarily unavailable"
    slug = "unavailable"


# Conditions shared by several areas.


class InvalidCredentials(Unauthorized):
    title = "Invalid e-mail or password"
    slug = "invalid-credentials"


class InvalidToken(Unauthorized):
    title = "Invalid or expired token"
    slug = "invalid-token"


class TooManyLoginAttempts(RateLimited):
    title = "Too many failed sign-in attempts"
    slug = "too-many-login-attempts"


class TooManyRegistrations(RateLimited):
    title = "Too many registrations from this address"
    slug = "too-many-registrations"


class IdempotencyKeyReused(Conflict):
    title = "Idempotency-Key reused with a different request"
    slug = "idempotency-key-reused"


class ConcurrentUpdate(Conflict):
    title = "A concurrent change got there first; retry the request"
    slug = "concurrent-update"


class DatabaseUnavailable(Unavailable):
    title = "The database is unavailable; retry shortly"
    slug = "database-unavailable"


class AlreadyExists(Conflict):
    title = "Already exists"
    slug = "already-exists"


class RoleNotAllowed(Forbidden):
    title = "Your role does not allow this action"
    slug = "role-not-allowed"
