"""The busy-time calendar feed of an instrument (RFC 5545), read by calendar apps through a secret link.

Staff create (or rotate) the link; only the token's SHA-256 is stored, so the link is shown once.
The feed lists slot-holding bookings and maintenance blackouts as busy time, never who booked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking, InstrumentCalendarFeed
from models.enums import SLOT_HOLDING_STATES, BookingState
from models.instruments import Instrument, InstrumentBlackout
from services import clock, instruments
from services.actors import Actor
from services.errors import NotFound

if TYPE_CHECKING:
    # Imported by the feed when first read: icalendar with python-dateutil holds ~5 MB that a
    # worker serving the catalogue never needs.
    from icalendar import Event

PAST_DAYS = 30
PRODID = "-//TTM technology-transfer marketplace//instrument calendar//ZH"


class CalendarFeedNotFound(NotFound):
    title = "No calendar feed for this link"
    slug = "calendar-feed-not-found"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _owned(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    return await instruments.owned(session, actor, instrument_id, for_update=False)


async def rotate(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> tuple[InstrumentCalendarFeed, str]:
    """A new secret link for the feed (staff); the previous link stops working. Returns the token once."""
    instrument = await _owned(session, actor, instrument_id)
    token = secrets.token_urlsafe(32)
    feed = await session.get(InstrumentCalendarFeed, instrument.id)
    if feed is None:
        feed = InstrumentCalendarFeed(
            instrument_id=instrument.id, token_sha256=_digest(token), created_by=actor.user_id
        )
        session.add(feed)
    else:
        feed.token_sha256 = _digest(token)
        feed.created_by = actor.user_id
        feed.created_at = clock.now()
    await session.flush()
    return feed, token


async def revoke(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> None:
    """Revoke the feed's link (staff); calendar apps get 404 from then on."""
    instrument = await _owned(session, actor, instrument_id)
    feed = await session.get(InstrumentCalendarFeed, instrument.id)
    if feed is None:
        raise CalendarFeedNotFound("the instrument has no calendar link")
    await session.delete(feed)
    await session.flush()


async def render(session: AsyncSession, instrument_id: uuid.UUID, token: str | None) -> bytes:
    """The .ics of busy times from 30 days ago to the end of the booking window; 404 for a wrong link."""
    feed = await session.get(InstrumentCalendarFeed, instrument_id)
    if feed is None or not token or not hmac.compare_digest(feed.token_sha256, _digest(token)):
        raise CalendarFeedNotFound()
    instrument = await session.get(Instrument, instrument_id)
    if instrument is None:
        raise CalendarFeedNotFound()
    now = clock.now()
    start, end = now - timedelta(days=PAST_DAYS), now + timedelta(days=instrument.max_advance_days + 1)
    bookings = await session.scalars(
        select(Booking)
        .where(
            Booking.instrument_id == instrument.id,
            Booking.state.in_(SLOT_HOLDING_STATES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    blackouts = await session.scalars(
        select(InstrumentBlackout)
        .where(
            InstrumentBlackout.instrument_id == instrument.id,
            InstrumentBlackout.starts_at < end,
            InstrumentBlackout.ends_at > start,
        )
        .order_by(InstrumentBlackout.starts_at)
    )
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{_one_line(instrument.title)} 占用时段")
    cal.add("x-wr-timezone", _one_line(instrument.timezone))
    for b in bookings:
        status = "TENTATIVE" if b.state is BookingState.requested else "CONFIRMED"
        cal.add_component(_busy(f"booking-{b.id}", "已预约 Booked", b.start_at, b.end_at, status, now))
    for m in blackouts:
        cal.add_component(_busy(f"blackout-{m.id}", "维护 Maintenance", m.starts_at, m.ends_at, "CONFIRMED", now))
    return cal.to_ical()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _one_line(text: str) -> str:
    """Stored text as one iCalendar value: control characters and line breaks (refused at input
    today, but possibly stored before) become a space, so the feed never fails on a row."""
    return _CONTROL.sub(" ", text).strip()


def _busy(uid: str, summary: str, start, end, status: str, stamp) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@ttm")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    event.add("class", "PUBLIC")
    return event
