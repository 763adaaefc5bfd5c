"""Planning and creating bookings: a checked, priced plan (one slot or a weekly series), then
stored with its price frozen. Overlaps are refused twice: a friendly check first (409 naming the
taken slot), and the database guard for requests that race past it, translated to the same 409."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import uuid7
from models.bookings import Booking
from models.enums import (
    SLOT_HOLDING_STATES,
    BookingState,
    CustomerTier,
    MembershipTier,
    RateUnit,
)
from models.instruments import Instrument
from models.organisations import Organisation
from services import clock, instruments, notifications, sme_memberships
from services.actors import Actor
from services.bookings import pricing, trainings
from services.bookings.core import BookingInput, BookingOverlap, NoRateForCustomer, describe
from services.bookings.rules import (
    bookable_instrument,
    check_slot,
    customer_and_user,
    local_date,
    local_date_text,
    requested_slots,
)
from services.db import sqlstate
from services.errors import Invalid
from services.notifications import Notice

OVERLAP_MARKERS = ("ex_bookings_no_overlap", "booking_overlap")


@dataclass
class Occurrence:
    start_at: datetime | None
    end_at: datetime | None
    sample_count: int | None
    booked_quantity: int
    amount: int


@dataclass
class Plan:
    """A checked, priced booking (or weekly series) not yet stored: what a quote shows."""

    instrument: Instrument
    customer: Organisation
    user_id: uuid.UUID | None
    staff_user_id: uuid.UUID | None
    customer_tier: CustomerTier
    unit: RateUnit
    unit_rate: int
    currency: str
    membership_tier: MembershipTier | None
    discount_bps: int
    min_billed_quantity: int
    initial_state: BookingState
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(o.amount for o in self.occurrences)


async def plan(session: AsyncSession, actor: Actor, request: BookingInput) -> Plan:
    """Check a booking request against every rule and price it, without storing anything."""
    instrument = await bookable_instrument(session, actor, request.instrument_id)
    customer, user_id, staff_user_id = await customer_and_user(session, actor, instrument, request)
    slots = requested_slots(request)
    samples = request.sample_count
    if slots is None and samples is None:
        raise Invalid("give a slot (start_at, end_at) or a sample_count", loc=["body", "start_at"])
    if slots is None and request.weekly_occurrences:
        raise Invalid("a weekly series needs a slot", loc=["body", "weekly_occurrences"])
    at = clock.now()
    for start, end in slots or []:
        label = local_date_text(instrument, start) if len(slots or []) > 1 else None
        await check_slot(session, instrument, start, end, at, label=label)
    first_start = slots[0][0] if slots else None
    if instrument.training_required:
        await trainings.require_trained(session, instrument, user_id, first_start or at)
    tier = instruments.customer_tier(customer, instrument.centre_id)
    unit = RateUnit.sample if samples is not None else RateUnit.hour
    rate = next((r for r in instrument.rates if r.tier is tier and r.unit is unit), None)
    if rate is None:
        raise NoRateForCustomer(f"the instrument has no {unit.value} rate for the {tier.value} tier", tier=tier.value)
    membership = None
    if tier is CustomerTier.sme:
        on = local_date(instrument, first_start or at)
        membership = await sme_memberships.active_tier(session, instrument.centre_id, customer.id, on)
    discount = next((d.discount_bps for d in instrument.discounts if d.tier is membership), 0) if membership else 0
    minimum = instrument.min_booking_minutes if unit is RateUnit.hour else 1
    result = Plan(
        instrument=instrument,
        customer=customer,
        user_id=user_id,
        staff_user_id=staff_user_id,
        customer_tier=tier,
        unit=unit,
        unit_rate=rate.amount,
        currency=rate.currency,
        membership_tier=membership,
        discount_bps=discount,
        min_billed_quantity=minimum,
        initial_state=BookingState.requested if instrument.requires_confirmation else BookingState.confirmed,
    )
    occurrences: list[tuple[datetime | None, datetime | None]] = list(slots) if slots else [(None, None)]
    for slot_start, slot_end in occurrences:
        if samples is not None or slot_start is None or slot_end is None:
            assert samples is not None, "a booking without a slot is priced per sample"
            quantity = samples
        else:
            quantity = int((slot_end - slot_start).total_seconds() // 60)
        price = pricing.amount(unit, rate.amount, quantity, minimum, discount)
        result.occurrences.append(Occurrence(slot_start, slot_end, samples, quantity, price))
    return result


def _holding_overlaps(instrument_id: uuid.UUID, start: datetime, end: datetime) -> Select[Booking]:
    return select(Booking).where(
        Booking.instrument_id == instrument_id,
        Booking.state.in_(SLOT_HOLDING_STATES),
        Booking.start_at < end,
        Booking.end_at > start,
    )


async def conflicts(
    session: AsyncSession, instrument: Instrument, slots: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime, list[Booking]]]:
    """Each requested slot that overlaps slot-holding bookings, with those bookings."""
    found = []
    for start, end in slots:
        taken = list(await session.scalars(_holding_overlaps(instrument.id, start, end).order_by(Booking.start_at)))
        if taken:
            found.append((start, end, taken))
    return found


def _overlap_error(instrument: Instrument, found: list[tuple[datetime, datetime, list[Booking]]]) -> BookingOverlap:
    # Name the taken times, never who holds them.
    taken = [
        {"start_at": b.start_at.isoformat(), "end_at": b.end_at.isoformat()}
        for _, _, bookings in found
        for b in bookings
        if b.start_at is not None and b.end_at is not None  # only slot bookings can overlap
    ]
    dates = sorted({local_date_text(instrument, start) for start, _, _ in found})
    first = taken[0] if taken else None
    detail = "the slot is taken"
    if first:
        detail = f"the slot overlaps a booking from {first['start_at']} to {first['end_at']}"
    if len(dates) > 1 or (len(found) and len(taken) > 1):
        detail = f"{detail}; conflicting dates: {', '.join(dates)}"
    return BookingOverlap(detail, conflicts=taken, conflicting_dates=dates)


def is_overlap_violation(exc: IntegrityError) -> bool:
    """True when the database's no-double-booking guard refused the write (23P01 or the trigger)."""
    return sqlstate(exc) == "23P01" or any(marker in str(exc.orig) for marker in OVERLAP_MARKERS)


async def _store(session: AsyncSession, instrument: Instrument, rows: list[Booking]) -> None:
    try:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()
    except IntegrityError as exc:
        if not is_overlap_violation(exc):
            raise
        for row in rows:
            if row in session:
                session.expunge(row)
        raise _overlap_error(instrument, await _conflicts_of(session, instrument, rows)) from exc


async def _conflicts_of(
    session: AsyncSession, instrument: Instrument, rows: list[Booking]
) -> list[tuple[datetime, datetime, list[Booking]]]:
    slots = [(r.start_at, r.end_at) for r in rows if r.start_at is not None and r.end_at is not None]
    found = await conflicts(session, instrument, slots)
    # The winner may not be visible yet (it raced us); still name our slot.
    return found or [(s, e, []) for s, e in slots]


async def create(session: AsyncSession, actor: Actor, request: BookingInput) -> Booking:
    """Book a slot (or a weekly series, all or nothing) or samples; returns the first booking."""
    p = await plan(session, actor, request)
    slots = [(o.start_at, o.end_at) for o in p.occurrences if o.start_at is not None and o.end_at is not None]
    found = await conflicts(session, p.instrument, slots)
    if found:
        raise _overlap_error(p.instrument, found)
    series_id = uuid7() if len(p.occurrences) > 1 else None
    at = clock.now()
    rows = []
    for o in p.occurrences:
        row = Booking(
            instrument_id=p.instrument.id,
            provider_org_id=p.instrument.owner_org_id,
            centre_id=p.instrument.centre_id,
            customer_org_id=p.customer.id,
            user_id=p.user_id,
            staff_user_id=p.staff_user_id,
            state=p.initial_state,
            start_at=o.start_at,
            end_at=o.end_at,
            sample_count=o.sample_count,
            purpose=request.purpose,
            series_id=series_id,
            customer_tier=p.customer_tier,
            unit=p.unit,
            unit_rate_amount=p.unit_rate,
            currency=p.currency,
            membership_tier=p.membership_tier,
            discount_bps=p.discount_bps,
            min_billed_quantity=p.min_billed_quantity,
            booked_quantity=o.booked_quantity,
            quoted_amount=o.amount,
            free_cancellation_hours=p.instrument.free_cancellation_hours,
            cancellation_fee_bps=p.instrument.cancellation_fee_bps,
            no_show_fee_bps=p.instrument.no_show_fee_bps,
            confirmed_at=at if p.initial_state is BookingState.confirmed else None,
        )
        rows.append(row)
    await _store(session, p.instrument, rows)
    first = rows[0]
    if p.initial_state is BookingState.requested:
        await notifications.send(
            session,
            Notice.booking_requested,
            about=p.instrument.title,
            subject_id=first.id,
            organisation_ids=[p.instrument.owner_org_id],
            exclude_user_ids=[actor.user_id],
            booking=describe(p.instrument, first, len(rows)),
        )
    return first
