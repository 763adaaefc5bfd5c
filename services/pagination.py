"""Keyset (cursor) pagination shared by every list.

A cursor is the sort key of the last item returned, opaque to clients (base64url JSON). The
last sort key must be unique (normally the id), so pages never repeat or skip rows even while
rows are being added.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from services.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class SortKey:
    column: ColumnElement[Any] | QueryableAttribute[Any]  # a column, or a mapped attribute
    descending: bool = False
    # How to read this key's value from a result row; defaults to the attribute named like the column.
    getter: Callable[[Any], Any] | None = None

    def value_of(self, item: Any) -> Any:
        if self.getter is not None:
            return self.getter(item)
        return getattr(item, str(self.column.key))


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _decode_value(value: Any) -> Any:
    """A cursor value back as the type it was written from; anything else (a forged cursor) raises
    ValueError: a uuid or time object of one string, an aware time, an int64, a finite float, a
    string, a bool or null -- never a list or an object the database would be handed."""
    if isinstance(value, dict):
        if len(value) != 1 or not all(isinstance(v, str) for v in value.values()):
            raise ValueError("unknown cursor value")
        if "u" in value:
            return uuid.UUID(hex=value["u"])
        if "t" in value:
            moment = datetime.fromisoformat(value["t"])
            if moment.tzinfo is None or not 1900 <= moment.year < 2200:
                raise ValueError("a cursor time must carry an offset")
            return moment
        raise ValueError("unknown cursor value")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("a cursor number is out of range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > INT64_MAX:
            raise ValueError("a cursor number is out of range")
        return value
    raise ValueError("unknown cursor value")


def _python_type(key: SortKey) -> type | None:
    try:
        return key.column.type.python_type
    except NotImplementedError:  # a type without a Python equivalent: the checks above suffice
        return None


def _fits(key: SortKey, value: Any) -> bool:
    """Whether a decoded cursor value has the type of its sort key's column."""
    expected = _python_type(key)
    if value is None or expected is None:
        return True
    if expected is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected is int:
        return isinstance(value, int)
    if expected is float:
        return isinstance(value, (int, float))
    if issubclass(expected, str):  # enums stored as strings, text
        return isinstance(value, str)
    return isinstance(value, expected)


def decode_cursor_for(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The cursor's values, each checked against its sort key's type: 422, never a database error."""
    values = decode_cursor(cursor, len(keys))
    if not all(_fits(key, value) for key, value in zip(keys, values, strict=True)):
        raise Invalid("the cursor is not valid for this list", loc=["query", "cursor"])
    return values


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != expected:
            raise ValueError("wrong length")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError, AttributeError, RecursionError) as exc:
        raise Invalid("the cursor is not valid for this list", loc=["query", "cursor"]) from exc


def clamp_limit(limit: int) -> int:
    """The page size a list serves: 1 to MAX_LIMIT."""
    return max(1, min(limit, MAX_LIMIT))


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (expanded for mixed directions).

    `values` are the cursor's values, or bind parameters for a statement built once and run with
    every cursor (services/search.py)."""
    clauses = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].column == values[j] for j in range(i)]
        step = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


def order_by(keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """The ORDER BY of `keys`."""
    return [k.column.desc() if k.descending else k.column.asc() for k in keys]


def page_of(rows: Sequence[T], limit: int, keys: Sequence[SortKey]) -> Page[T]:
    """The page of `rows` fetched with LIMIT `limit + 1`: the extra row says there is a next page,
    whose cursor holds the sort keys of the page's last row."""
    if len(rows) <= limit:
        return Page(items=list(rows), next_cursor=None)
    items = list(rows[:limit])
    return Page(items=items, next_cursor=encode_cursor([k.value_of(items[-1]) for k in keys]))


async def paginate(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    scalars: bool = True,
) -> Page[Any]:
    """One page of `stmt` ordered by `keys`, starting after `cursor`."""
    limit = clamp_limit(limit)
    if cursor:
        stmt = stmt.where(after(keys, decode_cursor_for(cursor, keys)))
    stmt = stmt.order_by(*order_by(keys)).limit(limit + 1)
    result = await session.execute(stmt)
    rows = result.scalars().all() if scalars else result.all()
    return page_of(rows, limit, keys)
