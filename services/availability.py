"""Free time of an instrument: weekly opening hours in local time, minus blackouts and bookings.

Pure functions (no I/O), so the bookings area can subtract its confirmed bookings with the same
code. All intervals are half-open [start, end) and aware; results are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
MINUTES_PER_DAY = 1440


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic on the naive time, then attach the zone (DST gaps resolve forward).
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(free: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` minus `busy` (both any order); the result is sorted and merged."""
    result: list[Interval] = []
    busy_sorted = merge(busy)
    for start, end in merge(free):
        cursor = start
        for b_start, b_end in busy_sorted:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                result.append((cursor, b_start))
            cursor = max(cursor, b_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def opening_intervals(
    weekly: Sequence[tuple[int, int, int]], timezone: str, start: datetime, end: datetime
) -> list[Interval]:
    """Opening hours within [start, end) in UTC; `weekly` rows are (weekday 0=Mon, opens, closes) in minutes."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: list[Interval] = []
    day = first
    while day <= last:
        for weekday, opens, closes in weekly:
            if weekday == day.weekday():
                found.append((_local_to_utc(day, opens, zone), _local_to_utc(day, closes, zone)))
        day += timedelta(days=1)
    clipped = [(max(s, start), min(e, end)) for s, e in found]
    return merge((s.astimezone(UTC), e.astimezone(UTC)) for s, e in clipped if s < e)


def free_intervals(
    weekly: Sequence[tuple[int, int, int]],
    timezone: str,
    start: datetime,
    end: datetime,
    *,
    blackouts: Iterable[Interval] = (),
    busy: Iterable[Interval] = (),
) -> list[Interval]:
    """Opening hours in [start, end) minus blackouts and busy time (bookings), as UTC intervals."""
    return subtract(opening_intervals(weekly, timezone, start, end), [*blackouts, *busy])
