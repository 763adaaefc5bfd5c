"""Declarative base: one constraint naming convention, UUIDv7 ids, UTC timestamps."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, TypeDecorator, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): ids sort by creation, so keyset pages are stable."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are stored in UTC and must carry an offset")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Money: integer minor units. SQLite's NUMERIC stores floats, so never use Numeric for money.
MinorUnits = BigInteger


def enum_column(enum_cls: type, name: str, *, check: bool = True) -> Enum:
    """A portable enum stored as its value (VARCHAR + CHECK), so adding values is a plain migration.
    `check=False` leaves the CHECK out, for open sets on append-only tables (a new value must not
    mean rebuilding a table whose rows may never be touched)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=check,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


# Row times come from the services' clock (services/clock.py), not from here: models do no I/O and
# read no clock. A column marked `STAMP: "insert"` is set when its row is first flushed (if unset),
# one marked `"update"` also whenever the row changes (services/db.py, a `before_flush` listener).
STAMP = "ttm.stamp"


def stamped_at(kind: str = "insert", **kwargs: Any) -> Any:
    """A timestamp column the session stamps from the clock at flush (`kind`: insert or update)."""
    return mapped_column(info={STAMP: kind}, **kwargs)


class TimestampMixin:
    created_at: Mapped[datetime] = stamped_at("insert", server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = stamped_at("update", server_default=func.current_timestamp())
