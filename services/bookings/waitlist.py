"""The waitlist: a party waits for a taken slot; when a booking frees it (cancelled or rejected),
the first waiting party whose slot is now entirely free is notified in the same transaction.

The slot is not held for them: they book it like anyone else (first come, first served).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking, WaitlistEntry
from models.enums import SLOT_HOLDING_STATES, Role, WaitlistState
from models.instruments import Instrument
from services import clock, instruments, notifications
from services.actors import Actor
from services.bookings.rules import CUSTOMER_LOC, default_customer, own_organisations, utc
from services.errors import Conflict, Invalid, NotFound
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate


class WaitlistEntryNotFound(NotFound):
    title = "Waitlist entry not found"
    slug = "waitlist-entry-not-found"


class SlotNotTaken(Conflict):
    title = "The slot is free: book it instead of waiting"
    slug = "slot-not-taken"


class AlreadyWaiting(Conflict):
    title = "Your organisation already waits for this slot"
    slug = "already-waiting"


def _taken(instrument_id: uuid.UUID, start: datetime, end: datetime):
    return select(Booking.id).where(
        Booking.instrument_id == instrument_id,
        Booking.state.in_(SLOT_HOLDING_STATES),
        Booking.start_at < end,
        Booking.end_at > start,
    )


async def join(
    session: AsyncSession,
    actor: Actor,
    instrument_id: uuid.UUID,
    *,
    start_at: datetime,
    end_at: datetime,
    customer_org_id: uuid.UUID | None,
) -> WaitlistEntry:
    """Wait for a slot (aware times) that overlaps an existing booking; refused (409) when the slot is free."""
    instrument = await instruments.get(session, actor, instrument_id)
    start, end = utc(start_at), utc(end_at)
    if start >= end:
        raise Invalid("the slot must end after it starts", loc=["body", "end_at"])
    if start <= clock.now():
        raise Invalid("the slot must be in the future", loc=["body", "start_at"])
    if customer_org_id is None:
        customer_org_id = default_customer(actor)
    elif customer_org_id not in own_organisations(actor):
        raise Invalid("you can wait only for an organisation you belong to", loc=list(CUSTOMER_LOC))
    if await session.scalar(_taken(instrument.id, start, end).limit(1)) is None:
        raise SlotNotTaken()
    duplicate = await session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.instrument_id == instrument.id,
            WaitlistEntry.customer_org_id == customer_org_id,
            WaitlistEntry.state == WaitlistState.waiting,
            WaitlistEntry.start_at == start,
            WaitlistEntry.end_at == end,
        )
    )
    if duplicate is not None:
        raise AlreadyWaiting()
    entry = WaitlistEntry(
        instrument_id=instrument.id,
        customer_org_id=customer_org_id,
        user_id=actor.user_id,
        start_at=start,
        end_at=end,
        state=WaitlistState.waiting,
    )
    session.add(entry)
    await session.flush()
    return entry


def _visible(actor: Actor, instrument: Instrument):
    stmt = select(WaitlistEntry).where(WaitlistEntry.instrument_id == instrument.id)
    if instrument.owner_org_id not in actor.provider_org_ids():
        # The customer's members, not its evaluators (who read nothing private of it).
        customers = {m.organisation_id for m in actor.memberships if m.role is not Role.evaluator}
        stmt = stmt.where(WaitlistEntry.customer_org_id.in_(customers))
    return stmt


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    instrument_id: uuid.UUID,
    *,
    state: WaitlistState | None,
    limit: int,
    cursor: str | None,
) -> Page[WaitlistEntry]:
    """The instrument's waitlist in order (first come first): all of it for staff, own entries for others."""
    instrument = await instruments.get(session, actor, instrument_id)
    stmt = _visible(actor, instrument)
    if state is not None:
        stmt = stmt.where(WaitlistEntry.state == state)
    return await paginate(session, stmt, [SortKey(WaitlistEntry.id)], limit=limit, cursor=cursor)


async def leave(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID, entry_id: uuid.UUID) -> None:
    """Withdraw a waitlist entry (its organisation's members, or the instrument's staff)."""
    instrument = await instruments.get(session, actor, instrument_id)
    entry = await session.scalar(_visible(actor, instrument).where(WaitlistEntry.id == entry_id))
    if entry is None:
        raise WaitlistEntryNotFound()
    entry.state = WaitlistState.withdrawn
    await session.flush()


async def slot_freed(session: AsyncSession, booking: Booking) -> WaitlistEntry | None:
    """Tell the first waiting party whose slot overlaps the freed booking and is now entirely free."""
    if booking.start_at is None or booking.end_at is None:
        return None
    candidates = await session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.instrument_id == booking.instrument_id,
            WaitlistEntry.state == WaitlistState.waiting,
            WaitlistEntry.start_at < booking.end_at,
            WaitlistEntry.end_at > booking.start_at,
        )
        .order_by(WaitlistEntry.id)
        .with_for_update()
    )
    for entry in candidates.all():
        if await session.scalar(_taken(entry.instrument_id, entry.start_at, entry.end_at).limit(1)) is not None:
            continue
        entry.state = WaitlistState.notified
        entry.notified_at = clock.now()
        instrument = await session.get(Instrument, entry.instrument_id)
        assert instrument is not None  # an entry's instrument is never deleted (RESTRICT)
        await notifications.send(
            session,
            Notice.waitlist_slot_freed,
            about=instrument.title,
            subject_id=entry.id,
            user_ids=[entry.user_id],
            start=entry.start_at.isoformat(),
            end=entry.end_at.isoformat(),
        )
        await session.flush()
        return entry
    return None
