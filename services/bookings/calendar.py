"""Calendar feeds (RFC 5545), read by calendar apps through a secret link.

- An instrument's busy times: staff create (or rotate) the link; the feed lists slot-holding bookings
  and maintenance blackouts as busy time, never who booked.
- An SME's own bookings: its members create (or rotate) the link; the feed lists the organisation's
  bookings with the instrument and centre, in the instrument's time zone.

Only the token's SHA-256 is stored, so a link is shown once; the token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking, InstrumentCalendarFeed, OrganisationBookingFeed
from models.enums import SLOT_HOLDING_STATES, BookingState
from models.instruments import Instrument, InstrumentBlackout
from models.organisations import Organisation
from services import clock, instruments, organisations
from services.actors import Actor
from services.errors import NotFound, RoleNotAllowed

if TYPE_CHECKING:
    # Imported by the feed when first read: icalendar with python-dateutil holds ~5 MB that a
    # worker serving the catalogue never needs.
    from icalendar import Event

PAST_DAYS = 30
PRODID = "-//TTM technology-transfer marketplace//instrument calendar//ZH"
BOOKINGS_PRODID = "-//TTM technology-transfer marketplace//organisation bookings//ZH"


class CalendarFeedNotFound(NotFound):
    title = "No calendar feed for this link"
    slug = "calendar-feed-not-found"


class BookingFeedNotFound(NotFound):
    title = "No bookings feed for this link"
    slug = "booking-feed-not-found"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _owned(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    return await instruments.owned(session, actor, instrument_id, for_update=False)


_Feed = TypeVar("_Feed", InstrumentCalendarFeed, OrganisationBookingFeed)


async def _new_link(session: AsyncSession, model: type[_Feed], actor: Actor, **key: uuid.UUID) -> tuple[_Feed, str]:
    """A new secret for a feed (one row per instrument or organisation, keyed by `key`): only its
    SHA-256 is stored, so the previous link stops working; the token is returned once."""
    token = secrets.token_urlsafe(32)
    feed = await session.get(model, next(iter(key.values())))
    if feed is None:
        feed = model(**key, token_sha256=_digest(token), created_by=actor.user_id)
        session.add(feed)
    else:
        feed.token_sha256 = _digest(token)
        feed.created_by = actor.user_id
        feed.created_at = clock.now()
    await session.flush()
    return feed, token


def _link_matches(feed: InstrumentCalendarFeed | OrganisationBookingFeed | None, token: str | None) -> bool:
    """The link's token is the feed's current secret (compared in constant time)."""
    return feed is not None and bool(token) and hmac.compare_digest(feed.token_sha256, _digest(token or ""))


async def rotate(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> tuple[InstrumentCalendarFeed, str]:
    """A new secret link for the feed (staff); the previous link stops working. Returns the token once."""
    instrument = await _owned(session, actor, instrument_id)
    return await _new_link(session, InstrumentCalendarFeed, actor, instrument_id=instrument.id)


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
    if not _link_matches(feed, token):
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


# The bookings feed of an SME


# How each state shows in the SME's calendar: cancelled and rejected bookings stay as CANCELLED
# events, so calendar apps that showed them mark them cancelled instead of silently keeping them.
_BOOKING_STATUS = {
    BookingState.requested: "TENTATIVE",
    BookingState.confirmed: "CONFIRMED",
    BookingState.completed: "CONFIRMED",
    BookingState.no_show: "CONFIRMED",
    BookingState.cancelled: "CANCELLED",
    BookingState.rejected: "CANCELLED",
}
_STATE_LABEL = {
    BookingState.requested: "待确认 Requested",
    BookingState.confirmed: "已确认 Confirmed",
    BookingState.completed: "已完成 Completed",
    BookingState.no_show: "未到场 No-show",
    BookingState.cancelled: "已取消 Cancelled",
    BookingState.rejected: "已拒绝 Rejected",
}


async def _sme_of(session: AsyncSession, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    """The SME whose feed the actor manages: 404 unless the actor may see the organisation, 403 unless
    it is an `sme_member` or `sme_admin` of it."""
    org = await organisations.get(session, actor, organisation_id)
    if org.id not in actor.sme_ids():
        raise RoleNotAllowed("only the SME's members manage its bookings feed")
    return org


async def rotate_bookings(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID
) -> tuple[OrganisationBookingFeed, str]:
    """A new secret link for the SME's bookings feed (its members); the previous link stops working.
    Returns the token once."""
    org = await _sme_of(session, actor, organisation_id)
    return await _new_link(session, OrganisationBookingFeed, actor, organisation_id=org.id)


async def revoke_bookings(session: AsyncSession, actor: Actor, organisation_id: uuid.UUID) -> None:
    """Revoke the SME's bookings-feed link (its members); calendar apps get 404 from then on."""
    org = await _sme_of(session, actor, organisation_id)
    feed = await session.get(OrganisationBookingFeed, org.id)
    if feed is None:
        raise BookingFeedNotFound("the organisation has no bookings feed link")
    await session.delete(feed)
    await session.flush()


async def render_bookings(session: AsyncSession, organisation_id: uuid.UUID, token: str | None) -> bytes:
    """The .ics of the SME's timed bookings that end 30 days ago or later; 404 for a wrong link."""
    feed = await session.get(OrganisationBookingFeed, organisation_id)
    if not _link_matches(feed, token):
        raise BookingFeedNotFound()
    org = await session.get(Organisation, organisation_id)
    if org is None:
        raise BookingFeedNotFound()
    now = clock.now()
    rows = (
        await session.execute(
            select(Booking, Instrument.title, Instrument.timezone, Organisation.name)
            .join(Instrument, Instrument.id == Booking.instrument_id)
            .join(Organisation, Organisation.id == Booking.centre_id)
            .where(
                Booking.customer_org_id == org.id,
                Booking.start_at.is_not(None),
                Booking.end_at > now - timedelta(days=PAST_DAYS),
            )
            .order_by(Booking.start_at, Booking.id)
        )
    ).all()
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", BOOKINGS_PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{_one_line(org.name)} 仪器预约 Bookings")
    for booking, title, tz_name, centre in rows:
        cal.add_component(_booking_event(booking, _one_line(title), _zone(tz_name), _one_line(centre), now))
    cal.add_missing_timezones()
    return cal.to_ical()


def _zone(name: str) -> ZoneInfo:
    """The instrument's time zone; a stored name the system does not know falls back to UTC."""
    try:
        return ZoneInfo(_one_line(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _booking_event(booking: Booking, title: str, zone: ZoneInfo, centre: str, stamp: datetime) -> Event:
    assert booking.start_at is not None and booking.end_at is not None  # filtered in the query
    from icalendar import Event

    event = Event()
    event.add("uid", f"org-booking-{booking.id}@ttm")
    event.add("dtstamp", stamp)
    event.add("last-modified", booking.updated_at)
    event.add("dtstart", booking.start_at.astimezone(zone))
    event.add("dtend", booking.end_at.astimezone(zone))
    event.add("summary", f"{title} · {centre}")
    event.add("location", centre)
    event.add("description", f"{_STATE_LABEL[booking.state]} · {title} · {centre}")
    event.add("status", _BOOKING_STATUS[booking.state])
    event.add("transp", "TRANSPARENT" if booking.state in _CANCELLED else "OPAQUE")
    event.add("class", "PRIVATE")
    return event


_CANCELLED = frozenset({BookingState.cancelled, BookingState.rejected})
