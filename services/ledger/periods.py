"""Accounting periods: calendar months in the centre's time zone; a closed month takes no entries.

Posting locks the period's row (FOR SHARE) and closing locks it FOR UPDATE, so an entry and the
close of its month never both commit. Closing is for months that have ended; reopening (by the
centre's manager, with a reason) is recorded beside every close.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import PeriodStatus
from models.ledger import LedgerPeriod, LedgerPeriodEvent
from services import clock
from services.errors import Conflict, Invalid

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodClosed(Conflict):
    title = "The accounting period is closed; post it in the next open period"
    slug = "period-closed"


class PeriodNotEnded(Conflict):
    title = "The period has not ended yet"
    slug = "period-not-ended"


class PeriodAlreadyInState(Conflict):
    title = "The period is already in that state"
    slug = "period-already-in-state"


def period_of(when: datetime, zone: str) -> str:
    """YYYY-MM of an instant in the centre's time zone."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def parse_period(text: str) -> str:
    """A period path parameter, checked (422 otherwise)."""
    if not PERIOD.match(text):
        raise Invalid("a period is written YYYY-MM", loc=["path", "period"])
    return text


def period_bounds(period: str, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of a period in UTC."""
    year, month = (int(p) for p in period.split("-"))
    tz = ZoneInfo(zone)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


async def _row(session: AsyncSession, centre_id: uuid.UUID, period: str, *, lock: str) -> LedgerPeriod:
    """The period's row, created open if it is not there yet, locked (`share` or `update`)."""
    stmt = select(LedgerPeriod).where(LedgerPeriod.centre_id == centre_id, LedgerPeriod.period == period)
    locked = stmt.with_for_update(read=lock == "share")
    row = await session.scalar(locked)
    if row is not None:
        return row
    try:
        async with session.begin_nested():
            session.add(LedgerPeriod(centre_id=centre_id, period=period, status=PeriodStatus.open))
            await session.flush()
    except IntegrityError:  # created by a concurrent transaction: read theirs
        pass
    row = await session.scalar(locked.execution_options(populate_existing=True))
    assert row is not None
    return row


async def require_open(session: AsyncSession, centre_id: uuid.UUID, period: str) -> None:
    """409 unless the period takes entries; holds a share lock on it until the transaction ends."""
    row = await _row(session, centre_id, period, lock="share")
    if row.status is PeriodStatus.closed:
        raise PeriodClosed(f"{period} is closed", period=period)


async def close(
    session: AsyncSession, centre_id: uuid.UUID, period: str, zone: str, user_id: uuid.UUID
) -> LedgerPeriod:
    """Close an ended month: no entry may be dated in it until it is reopened."""
    _, end = period_bounds(period, zone)
    if clock.now() < end:
        raise PeriodNotEnded(f"{period} ends at {end.isoformat()}")
    row = await _row(session, centre_id, period, lock="update")
    if row.status is PeriodStatus.closed:
        raise PeriodAlreadyInState(f"{period} is already closed")
    row.status, row.closed_at, row.closed_by = PeriodStatus.closed, clock.now(), user_id
    session.add(
        LedgerPeriodEvent(centre_id=centre_id, period=period, action=PeriodStatus.closed, actor_user_id=user_id)
    )
    await session.flush()
    return row


async def reopen(
    session: AsyncSession, centre_id: uuid.UUID, period: str, user_id: uuid.UUID, reason: str
) -> LedgerPeriod:
    """Reopen a closed month (the reason is recorded)."""
    row = await _row(session, centre_id, period, lock="update")
    if row.status is PeriodStatus.open:
        raise PeriodAlreadyInState(f"{period} is open")
    row.status, row.closed_at, row.closed_by = PeriodStatus.open, None, None
    session.add(
        LedgerPeriodEvent(
            centre_id=centre_id, period=period, action=PeriodStatus.open, reason=reason, actor_user_id=user_id
        )
    )
    await session.flush()
    return row
