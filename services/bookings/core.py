"""Instrument bookings: the errors, what a booking request holds, who sees which booking, and reading them.

The area's modules: `rules` (what may be booked), `planning` (a priced plan, then the stored
booking), `states` (confirm, reject, cancel, complete, no-show, what is owed), `pricing`,
`trainings`, `waitlist`, `calendar`.

A booking is checked against the instrument's rules (opening hours, blackouts, length, lead time,
advance window, training), priced from the rate card of the customer's tier and the SME's
membership discount, and stored with that price as a snapshot. Overlaps are refused twice: a
friendly check first (409 naming the taken slot), and the database guard (exclusion constraint on
PostgreSQL, triggers on SQLite) for requests that race past the check, translated to the same 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking
from models.enums import (
    BookingState,
    Role,
)
from models.instruments import Instrument
from models.organisations import Organisation
from services.actors import Actor
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.pagination import Page, SortKey, paginate


class BookingNotFound(NotFound):
    title = "Booking not found"
    slug = "booking-not-found"


class BookingOverlap(Conflict):
    title = "The slot overlaps another booking of this instrument"
    slug = "booking-overlap"


class InvalidBookingTransition(Conflict):
    title = "The booking is not in a state that allows this"
    slug = "invalid-booking-transition"


class InstrumentNotBookable(Conflict):
    title = "Only published instruments can be booked"
    slug = "instrument-not-bookable"


class BookingRuleViolated(Invalid):
    title = "The booking breaks a rule of the instrument"
    slug = "booking-rule-violated"


class NoRateForCustomer(Invalid):
    title = "The rate card has no price for this customer"
    slug = "no-rate-for-customer"


class NotStaffOfInstrument(Forbidden):
    title = "Only staff of the instrument's centre or institute may do this"
    slug = "not-staff-of-instrument"


@dataclass(frozen=True)
class BookingInput:
    """A booking request: a slot (repeated weekly `weekly_occurrences` times in all) or a number of
    samples, for a customer (default: the caller's only SME) and the user who will operate it.
    Times are aware (the wire refuses naive ones)."""

    instrument_id: uuid.UUID
    start_at: datetime | None = None
    end_at: datetime | None = None
    sample_count: int | None = None
    weekly_occurrences: int | None = None
    customer_org_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    purpose: str | None = None


# Visibility


def visible_bookings(actor: Actor) -> Select[Booking]:
    """Bookings of the actor's organisations as customer, and of instruments their centre or institute
    owns (staff, and finance of the centre); evaluators see none (docs/security.md)."""
    customer_orgs = {m.organisation_id for m in actor.memberships if m.role is not Role.evaluator}
    providers = actor.provider_org_ids() | actor.finance_org_ids()
    return select(Booking).where(
        or_(Booking.customer_org_id.in_(customer_orgs), Booking.provider_org_id.in_(providers))
    )


async def get(session: AsyncSession, actor: Actor, booking_id: uuid.UUID, *, for_update: bool = False) -> Booking:
    """One visible booking, else 404."""
    stmt = visible_bookings(actor).where(Booking.id == booking_id)
    if for_update:
        stmt = stmt.with_for_update()
    booking = await session.scalar(stmt)
    if booking is None:
        raise BookingNotFound()
    return booking


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    instrument_id: uuid.UUID | None = None,
    state: BookingState | None = None,
    series_id: uuid.UUID | None = None,
    customer_org_id: uuid.UUID | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Booking]:
    """Visible bookings, newest first, optionally of one instrument, state, series or customer."""
    stmt = visible_bookings(actor)
    if instrument_id is not None:
        stmt = stmt.where(Booking.instrument_id == instrument_id)
    if state is not None:
        stmt = stmt.where(Booking.state == state)
    if series_id is not None:
        stmt = stmt.where(Booking.series_id == series_id)
    if customer_org_id is not None:
        stmt = stmt.where(Booking.customer_org_id == customer_org_id)
    return await paginate(session, stmt, [SortKey(Booking.id, descending=True)], limit=limit, cursor=cursor)


def describe(instrument: Instrument, booking: Booking, count: int = 1) -> str:
    if booking.start_at is None or booking.end_at is None:
        what = f"{booking.sample_count} 个样品"
    else:
        what = f"{booking.start_at.isoformat()} – {booking.end_at.isoformat()}"
    series = f"（每周一次，共 {count} 次）" if count > 1 else ""
    return f"{instrument.title}：{what}{series}"


@dataclass(frozen=True)
class BookedInstrument:
    """What a "my bookings" screen shows of each booking's instrument (the booker may always see it)."""

    id: uuid.UUID
    title: str
    centre_id: uuid.UUID
    centre_name: str


@dataclass(frozen=True)
class BookingView:
    booking: Booking
    instrument: BookedInstrument


async def views(session: AsyncSession, bookings: Sequence[Booking]) -> list[BookingView]:
    """The bookings with their instruments' titles and centres' names, read in one statement."""
    ids = {b.instrument_id for b in bookings}
    rows = (
        await session.execute(
            select(Instrument.id, Instrument.title, Instrument.centre_id, Organisation.name)
            .join(Organisation, Organisation.id == Instrument.centre_id)
            .where(Instrument.id.in_(ids))
        )
        if ids
        else None
    )
    found = {r[0]: BookedInstrument(*r) for r in rows or ()}
    return [BookingView(b, found[b.instrument_id]) for b in bookings]


async def view(session: AsyncSession, booking: Booking) -> BookingView:
    return (await views(session, [booking]))[0]
