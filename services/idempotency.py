"""Idempotent requests: key + caller + route + request hash -> the stored first response.

The record is inserted (inside a savepoint) before the work runs and completed with the
response in the same transaction, so the work and its stored response commit together. A
concurrent duplicate blocks on the unique index (PostgreSQL) or the write lock (SQLite) until
the first commits, then replays its response: the work runs once.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.idempotency import IdempotencyRecord
from services.errors import ConcurrentUpdate, IdempotencyKeyReused, Invalid

MAX_KEY_LENGTH = 255
PENDING = 0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    location: str | None


def request_hash(method: str, path: str, query: str, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.digest()


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid("Idempotency-Key must be 1-255 printable characters", loc=["header", "Idempotency-Key"])
    return key


async def _find(session: AsyncSession, user_id: uuid.UUID, route: str, key: str) -> IdempotencyRecord | None:
    return (
        await session.execute(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.route == route)
            .where(IdempotencyRecord.key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


def _replay(record: IdempotencyRecord, digest: bytes) -> StoredResponse:
    if record.request_hash != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    if record.response_status == PENDING:
        raise ConcurrentUpdate("a request with this Idempotency-Key is still running")
    return StoredResponse(record.response_status, record.response_body, record.response_location)


async def claim(
    session: AsyncSession, user_id: uuid.UUID, route: str, key: str, digest: bytes, *, wait_seconds: float = 10.0
) -> IdempotencyRecord | StoredResponse:
    """Claim the key for this request, or return the stored response of the first one."""
    existing = await _find(session, user_id, route, key)
    if existing is not None:
        return _replay(existing, digest)
    record = IdempotencyRecord(
        user_id=user_id, route=route, key=key, request_hash=digest, response_status=PENDING, response_body=""
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
        return record
    except IntegrityError:
        pass
    # A concurrent duplicate committed first; its response is stored with it.
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        existing = await _find(session, user_id, route, key)
        if existing is not None:
            return _replay(existing, digest)
        if asyncio.get_running_loop().time() >= deadline:
            raise ConcurrentUpdate("a request with this Idempotency-Key is still running")
        await asyncio.sleep(0.05)


async def complete(
    session: AsyncSession, record: IdempotencyRecord, *, status: int, body: str, location: str | None
) -> None:
    """Store the response with the work, in the same transaction."""
    record.response_status = status
    record.response_body = body
    record.response_location = location
    await session.flush()
