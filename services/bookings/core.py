"""Booking an instrument: rules, frozen price, states, fees, and what is owed.

A booking is checked against the instrument's rules (opening hours, blackouts, length, lead time,
advance window, training), priced from the rate card of the customer's tier and the SME's
membership discount, and stored with that price as a snapshot. Overlaps are refused twice: a
friendly check first (409 naming the taken slot), and the database guard (exclusion constraint on
PostgreSQL, triggers on SQLite) for requests that race past the check, translated to the same 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import uuid7
from models.bookings import Booking
from models.catalogue import Instrument, InstrumentBlackout
from models.enums import (
    PROVIDER_ROLES,
    SLOT_HOLDING_STATES,
    BookingState,
    ChargeKind,
    CustomerTier,
    ListingStatus,
    MembershipTier,
    RateUnit,
    Role,
)
from models.organisations import Membership, Organisation
from services import availability, clock, instruments, notifications, sme_memberships
from services.actors import Actor
from services.bookings import pricing, trainings, waitlist
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.money import apply_bps
from services.pagination import Page, SortKey, paginate

MAX_WEEKLY_OCCURRENCES = 26
OVERLAP_MARKERS = ("ex_bookings_no_overlap", "booking_overlap")


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
class Owed:
    """What a closed booking owes: the amount the settlement area will bill, and why."""

    amount: int
    currency: str
    kind: ChargeKind


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

    @property
    def instrument_id(self) -> uuid.UUID:
        return self.instrument.id

    @property
    def customer_org_id(self) -> uuid.UUID:
        return self.customer.id

    @property
    def cancellation_policy(self) -> dict[str, int]:
        return {
            "free_cancellation_hours": self.instrument.free_cancellation_hours,
            "cancellation_fee_bps": self.instrument.cancellation_fee_bps,
            "no_show_fee_bps": self.instrument.no_show_fee_bps,
        }


# Visibility


def visible_bookings(actor: Actor) -> Select[tuple[Booking]]:
    """Bookings of the actor's organisations as customer, and of instruments their centre or institute owns."""
    customer_orgs = {m.organisation_id for m in actor.memberships}
    return select(Booking).where(
        or_(Booking.customer_org_id.in_(customer_orgs), Booking.provider_org_id.in_(actor.provider_org_ids()))
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


# Checks


def require_aware(value: datetime, loc: list[str | int]) -> datetime:
    """`value` in UTC; a naive time is refused (422)."""
    if value.tzinfo is None:
        raise Invalid("give an offset (RFC 3339), e.g. 2026-12-01T09:00:00+08:00", loc=loc)
    return value.astimezone(UTC)


def _is_staff_of(actor: Actor, instrument: Instrument) -> bool:
    return instrument.owner_org_id in actor.provider_org_ids()


async def _bookable_instrument(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    instrument = await instruments.get(session, actor, instrument_id)
    if instrument.status is not ListingStatus.published:
        raise InstrumentNotBookable(f"the instrument is {instrument.status.value}")
    return instrument


async def _customer_and_user(
    session: AsyncSession, actor: Actor, instrument: Instrument, data: dict[str, Any]
) -> tuple[Organisation, uuid.UUID | None, uuid.UUID | None]:
    """(customer organisation, user who will use the slot, staff user booking on the customer's behalf)."""
    own = {m.organisation_id: m.role for m in actor.memberships if m.role is not Role.evaluator}
    customer_id = data.get("customer_org_id")
    if customer_id is None:
        smes = actor.sme_ids()
        if len(smes) != 1:
            raise Invalid("say which organisation the booking is for", loc=["body", "customer_org_id"])
        customer_id = next(iter(smes))
    on_behalf = customer_id not in own
    if on_behalf and not _is_staff_of(actor, instrument):
        raise Invalid("you can book only for an organisation you belong to", loc=["body", "customer_org_id"])
    customer = await session.get(Organisation, customer_id)
    if customer is None:
        raise Invalid("no such organisation", loc=["body", "customer_org_id"])
    if not on_behalf:
        if data.get("user_id") not in (None, actor.user_id):
            raise Invalid("only staff booking for a customer may name another user", loc=["body", "user_id"])
        return customer, actor.user_id, None
    user_id = data.get("user_id")
    if user_id is not None:
        member = await session.scalar(
            select(Membership.id).where(Membership.user_id == user_id, Membership.organisation_id == customer.id)
        )
        if member is None:
            raise Invalid("the user is not a member of the customer organisation", loc=["body", "user_id"])
    return customer, user_id, actor.user_id


def _rule(detail: str, rule: str, label: str | None, loc: list[str | int]) -> BookingRuleViolated:
    return BookingRuleViolated(f"{label}: {detail}" if label else detail, rule=rule, loc=loc)


async def _check_slot(
    session: AsyncSession,
    instrument: Instrument,
    start: datetime,
    end: datetime,
    at: datetime,
    *,
    label: str | None,
) -> None:
    """Opening hours, blackouts, length, lead time and advance window (422 naming the rule)."""
    loc: list[str | int] = ["body", "start_at"]
    if start >= end:
        raise _rule("the slot must end after it starts", "ordered", label, ["body", "end_at"])
    if start.second or start.microsecond or end.second or end.microsecond:
        raise _rule("slots start and end on whole minutes", "whole_minutes", label, loc)
    minutes = int((end - start).total_seconds() // 60)
    if minutes < instrument.min_booking_minutes:
        raise _rule(f"a booking lasts at least {instrument.min_booking_minutes} minutes", "min_length", label, loc)
    if minutes > instrument.max_booking_minutes:
        raise _rule(f"a booking lasts at most {instrument.max_booking_minutes} minutes", "max_length", label, loc)
    if start < at + timedelta(hours=instrument.lead_time_hours):
        raise _rule(f"book at least {instrument.lead_time_hours} hours ahead", "lead_time", label, loc)
    if start > at + timedelta(days=instrument.max_advance_days):
        raise _rule(f"book at most {instrument.max_advance_days} days ahead", "advance_window", label, loc)
    weekly = [(h.weekday, h.opens_minute, h.closes_minute) for h in instrument.opening_hours]
    if availability.opening_intervals(weekly, instrument.timezone, start, end) != [(start, end)]:
        raise _rule("the slot is outside the opening hours", "opening_hours", label, loc)
    blackout = await session.scalar(
        select(InstrumentBlackout).where(
            InstrumentBlackout.instrument_id == instrument.id,
            InstrumentBlackout.starts_at < end,
            InstrumentBlackout.ends_at > start,
        )
    )
    if blackout is not None:
        raise _rule(
            f"the instrument is under maintenance from {blackout.starts_at.isoformat()} "
            f"to {blackout.ends_at.isoformat()}",
            "blackout",
            label,
            loc,
        )


def _slots(data: dict[str, Any]) -> list[tuple[datetime, datetime]] | None:
    start, end = data.get("start_at"), data.get("end_at")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise Invalid("give both start_at and end_at", loc=["body", "start_at" if start is None else "end_at"])
    start, end = require_aware(start, ["body", "start_at"]), require_aware(end, ["body", "end_at"])
    count = data.get("weekly_occurrences") or 1
    if count > MAX_WEEKLY_OCCURRENCES:
        raise Invalid(f"at most {MAX_WEEKLY_OCCURRENCES} weekly occurrences", loc=["body", "weekly_occurrences"])
    return [(start + timedelta(weeks=i), end + timedelta(weeks=i)) for i in range(count)]


def local_date(instrument: Instrument, when: datetime) -> date:
    """The calendar day of `when` in the instrument's time zone."""
    return when.astimezone(ZoneInfo(instrument.timezone)).date()


def _local_date(instrument: Instrument, when: datetime) -> str:
    return local_date(instrument, when).isoformat()


async def plan(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> Plan:
    """Check a booking request against every rule and price it, without storing anything."""
    instrument = await _bookable_instrument(session, actor, data["instrument_id"])
    customer, user_id, staff_user_id = await _customer_and_user(session, actor, instrument, data)
    slots = _slots(data)
    samples = data.get("sample_count")
    if slots is None and samples is None:
        raise Invalid("give a slot (start_at, end_at) or a sample_count", loc=["body", "start_at"])
    if slots is None and data.get("weekly_occurrences"):
        raise Invalid("a weekly series needs a slot", loc=["body", "weekly_occurrences"])
    at = clock.now()
    for start, end in slots or []:
        label = _local_date(instrument, start) if len(slots or []) > 1 else None
        await _check_slot(session, instrument, start, end, at, label=label)
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
    for start, end in slots or [(None, None)]:
        if samples is not None:
            quantity = samples
        else:
            quantity = int((end - start).total_seconds() // 60)  # type: ignore[operator]
        price = pricing.amount(unit, rate.amount, quantity, minimum, discount)
        result.occurrences.append(Occurrence(start, end, samples, quantity, price))
    return result


def _holding_overlaps(instrument_id: uuid.UUID, start: datetime, end: datetime) -> Select[tuple[Booking]]:
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
        {"start_at": b.start_at.isoformat(), "end_at": b.end_at.isoformat()}  # type: ignore[union-attr]
        for _, _, bookings in found
        for b in bookings
    ]
    dates = sorted({_local_date(instrument, start) for start, _, _ in found})
    first = taken[0] if taken else None
    detail = "the slot is taken"
    if first:
        detail = f"the slot overlaps a booking from {first['start_at']} to {first['end_at']}"
    if len(dates) > 1 or (len(found) and len(taken) > 1):
        detail = f"{detail}; conflicting dates: {', '.join(dates)}"
    return BookingOverlap(detail, conflicts=taken, conflicting_dates=dates)


def is_overlap_violation(exc: IntegrityError) -> bool:
    """True when the database's no-double-booking guard refused the write (23P01 or the trigger)."""
    orig = exc.orig
    codes = {
        getattr(c, "sqlstate", None) or getattr(c, "pgcode", None) for c in (orig, getattr(orig, "__cause__", None))
    }
    return "23P01" in codes or any(marker in str(orig) for marker in OVERLAP_MARKERS)


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
    slots = [(r.start_at, r.end_at) for r in rows if r.start_at is not None]
    found = await conflicts(session, instrument, slots)  # type: ignore[arg-type]
    # The winner may not be visible yet (it raced us); still name our slot.
    return found or [(s, e, []) for s, e in slots]  # type: ignore[misc]


async def create(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> Booking:
    """Book a slot (or a weekly series, all or nothing) or samples; returns the first booking."""
    p = await plan(session, actor, data)
    slots = [(o.start_at, o.end_at) for o in p.occurrences if o.start_at is not None]
    found = await conflicts(session, p.instrument, slots)  # type: ignore[arg-type]
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
            purpose=data.get("purpose"),
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
            confirmed_at=at if p.initial_state is BookingState.confirmed else None,
            **p.cancellation_policy,
        )
        rows.append(row)
    await _store(session, p.instrument, rows)
    first = rows[0]
    if p.initial_state is BookingState.requested:
        await notifications.notify(
            session,
            kind="booking.requested",
            title=f"新的仪器预约待确认 New booking request: {p.instrument.title}",
            body=_describe(p.instrument, first, len(rows)),
            organisation_ids=[p.instrument.owner_org_id],
            roles=PROVIDER_ROLES,
            subject_type="booking",
            subject_id=first.id,
            exclude_user_ids=[actor.user_id],
        )
    return first


def _describe(instrument: Instrument, booking: Booking, count: int = 1) -> str:
    if booking.start_at is None:
        what = f"{booking.sample_count} 个样品"
    else:
        what = f"{booking.start_at.isoformat()} – {booking.end_at.isoformat()}"  # type: ignore[union-attr]
    series = f"（每周一次，共 {count} 次）" if count > 1 else ""
    return f"{instrument.title}：{what}{series}"


# State changes


async def _for_staff(session: AsyncSession, actor: Actor, booking_id: uuid.UUID) -> Booking:
    booking = await get(session, actor, booking_id, for_update=True)
    if booking.provider_org_id not in actor.provider_org_ids():
        raise NotStaffOfInstrument()
    return booking


def _require_state(booking: Booking, *allowed: BookingState, action: str) -> None:
    if booking.state not in allowed:
        raise InvalidBookingTransition(f"a {booking.state.value} booking cannot be {action}", state=booking.state.value)


def _require_started(booking: Booking, action: str) -> None:
    if booking.start_at is not None and clock.now() < booking.start_at:
        raise InvalidBookingTransition(f"a booking can be {action} only once its slot has started")


async def _tell_customer(session: AsyncSession, actor: Actor, booking: Booking, kind: str, title: str) -> None:
    instrument = await session.get(Instrument, booking.instrument_id)
    await notifications.notify(
        session,
        kind=kind,
        title=title,
        body=_describe(instrument, booking) + (f"\n{booking.decision_reason}" if booking.decision_reason else ""),
        user_ids=[booking.user_id] if booking.user_id else [],
        organisation_ids=[] if booking.user_id else [booking.customer_org_id],
        subject_type="booking",
        subject_id=booking.id,
        exclude_user_ids=[actor.user_id],
    )


async def confirm(session: AsyncSession, actor: Actor, booking_id: uuid.UUID) -> Booking:
    """Confirm a requested booking (staff of the instrument's centre or institute)."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.requested, action="confirmed")
    booking.state = BookingState.confirmed
    booking.confirmed_at = clock.now()
    booking.confirmed_by = actor.user_id
    await session.flush()
    await _tell_customer(session, actor, booking, "booking.confirmed", "仪器预约已确认 Booking confirmed")
    return booking


async def reject(session: AsyncSession, actor: Actor, booking_id: uuid.UUID, *, reason: str) -> Booking:
    """Reject a requested booking with a reason (staff); the slot frees and the waitlist is told."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.requested, action="rejected")
    _close(booking, actor, BookingState.rejected, reason)
    await session.flush()
    await _tell_customer(session, actor, booking, "booking.rejected", "仪器预约未获确认 Booking rejected")
    await waitlist.slot_freed(session, booking)
    return booking


def _close(booking: Booking, actor: Actor, state: BookingState, reason: str | None) -> None:
    booking.state = state
    booking.decision_reason = reason
    booking.closed_at = clock.now()
    booking.closed_by = actor.user_id


async def cancel(session: AsyncSession, actor: Actor, booking_id: uuid.UUID, *, reason: str | None) -> Booking:
    """Cancel before the slot starts; a customer cancelling a confirmed booking inside the fee window owes the fee."""
    booking = await get(session, actor, booking_id, for_update=True)
    _require_state(booking, BookingState.requested, BookingState.confirmed, action="cancelled")
    at = clock.now()
    if booking.start_at is not None and at >= booking.start_at:
        raise InvalidBookingTransition("the slot has started; staff record it as completed or a no-show")
    by_staff = booking.provider_org_id in actor.provider_org_ids()
    fee = 0
    if booking.state is BookingState.confirmed and not by_staff:
        fee = pricing.cancellation_fee(
            booking.quoted_amount, booking.cancellation_fee_bps, booking.start_at, at, booking.free_cancellation_hours
        )
    _close(booking, actor, BookingState.cancelled, reason)
    booking.cancellation_fee_amount = fee
    if fee:
        record_charge(booking, ChargeKind.cancellation_fee, fee)
    await session.flush()
    if by_staff:
        title = "仪器预约已被中心取消 Booking cancelled by the centre"
        await _tell_customer(session, actor, booking, "booking.cancelled", title)
    else:
        instrument = await session.get(Instrument, booking.instrument_id)
        await notifications.notify(
            session,
            kind="booking.cancelled",
            title=f"仪器预约已取消 Booking cancelled: {instrument.title}",  # type: ignore[union-attr]
            body=_describe(instrument, booking),  # type: ignore[arg-type]
            organisation_ids=[booking.provider_org_id],
            roles=PROVIDER_ROLES,
            subject_type="booking",
            subject_id=booking.id,
            exclude_user_ids=[actor.user_id],
        )
    await waitlist.slot_freed(session, booking)
    return booking


async def complete(
    session: AsyncSession,
    actor: Actor,
    booking_id: uuid.UUID,
    *,
    actual_minutes: int | None,
    actual_samples: int | None,
) -> Booking:
    """Record actual usage (staff); the final charge bills it at the frozen rate, at least the minimum."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.confirmed, action="completed")
    _require_started(booking, "completed")
    if booking.unit is RateUnit.hour:
        if actual_minutes is None or actual_samples is not None:
            raise Invalid("this booking is billed by the hour: give actual_minutes", loc=["body", "actual_minutes"])
        used = actual_minutes
    else:
        if actual_samples is None or actual_minutes is not None:
            raise Invalid("this booking is billed per sample: give actual_samples", loc=["body", "actual_samples"])
        used = actual_samples
    booking.actual_quantity = used
    booking.final_amount = pricing.amount(
        booking.unit, booking.unit_rate_amount, used, booking.min_billed_quantity, booking.discount_bps
    )
    _close(booking, actor, BookingState.completed, None)
    record_charge(booking, ChargeKind.usage, booking.final_amount)
    await session.flush()
    return booking


async def mark_no_show(session: AsyncSession, actor: Actor, booking_id: uuid.UUID) -> Booking:
    """Record that the customer did not come (staff, once the slot started); the no-show fee is owed."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.confirmed, action="marked as a no-show")
    if booking.start_at is None:
        raise InvalidBookingTransition("a sample booking without a slot cannot be a no-show")
    _require_started(booking, "marked as a no-show")
    fee = apply_bps(booking.quoted_amount, booking.no_show_fee_bps)
    _close(booking, actor, BookingState.no_show, None)
    booking.cancellation_fee_amount = fee
    if fee:
        record_charge(booking, ChargeKind.no_show_fee, fee)
    await session.flush()
    return booking


# What is owed: the seam for the settlement area.


def record_charge(booking: Booking, kind: ChargeKind, amount: int) -> None:
    """Set what the booking owes, once, inside the caller's transaction.

    The settlement area creates the settlement for `amount_owed(booking)` right here, in the same
    transaction as the completion or cancellation.
    """
    if booking.charge_kind is not None:
        raise InvalidBookingTransition("the booking already owes a charge")
    booking.charge_kind = kind
    booking.charge_amount = amount
    booking.charged_at = clock.now()


def amount_owed(booking: Booking) -> Owed | None:
    """What a booking owes (usage, cancellation fee or no-show fee), or None when nothing is owed."""
    if booking.charge_kind is None or booking.charge_amount is None:
        return None
    return Owed(amount=booking.charge_amount, currency=booking.currency, kind=booking.charge_kind)
