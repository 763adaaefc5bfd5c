"""An instrument's schedule as an iCalendar feed (RFC 5545) that calendar apps can subscribe to:
weekly opening hours as recurring events in the centre's time zone, and maintenance blackouts.
Bookings will add their own events once they exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import InstrumentBlackout
from services import instruments
from services.actors import Actor

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PAST_BLACKOUT_DAYS = 30


async def feed(
    session: AsyncSession, actor: Actor | None, instrument_id: uuid.UUID, *, now: datetime | None = None
) -> bytes:
    """The iCalendar document of a visible instrument (404 otherwise)."""
    instrument = await instruments.get(session, actor, instrument_id)
    now = now or datetime.now(UTC)
    zone = ZoneInfo(instrument.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//ttm//catalogue//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", instrument.title)
    calendar.add("x-wr-timezone", instrument.timezone)
    today = now.astimezone(zone).date()
    for hours in instrument.opening_hours:
        first = today + timedelta(days=(hours.weekday - today.weekday()) % 7)
        start = datetime.combine(first, time(), tzinfo=zone) + timedelta(minutes=hours.opens_minute)
        event = Event()
        event.add("uid", f"opening-{hours.id}@ttm")
        event.add("summary", "开放时间 Open")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=hours.closes_minute - hours.opens_minute))
        event.add("rrule", {"freq": "weekly", "byday": WEEKDAYS[hours.weekday]})
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    blackouts = await session.scalars(
        select(InstrumentBlackout)
        .where(
            InstrumentBlackout.instrument_id == instrument.id,
            InstrumentBlackout.ends_at > now - timedelta(days=PAST_BLACKOUT_DAYS),
        )
        .order_by(InstrumentBlackout.starts_at)
    )
    for blackout in blackouts:
        event = Event()
        event.add("uid", f"blackout-{blackout.id}@ttm")
        event.add("summary", "维护停机 Maintenance" + (f": {blackout.reason}" if blackout.reason else ""))
        event.add("dtstamp", now)
        event.add("dtstart", blackout.starts_at)
        event.add("dtend", blackout.ends_at)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
