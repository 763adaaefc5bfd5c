"""A booking's state changes after it is made: confirm, reject, cancel (with the policy's fee),
complete (with actual usage) and no-show; and what a closed booking owes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking
from models.enums import (
    BookingState,
    ChargeKind,
    IncomeKind,
    RateUnit,
    SettlementSource,
)
from models.instruments import Instrument
from services import clock, notifications, settlements
from services.actors import Actor
from services.bookings import pricing, waitlist
from services.bookings.core import InvalidBookingTransition, NotStaffOfInstrument, describe, get
from services.errors import Invalid
from services.money import apply_bps
from services.notifications import Notice


@dataclass(frozen=True)
class Owed:
    """What a closed booking owes: the amount the settlement area will bill, and why."""

    amount: int
    currency: str
    kind: ChargeKind


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


async def _tell_customer(session: AsyncSession, actor: Actor, booking: Booking, notice: Notice) -> None:
    instrument = await session.get(Instrument, booking.instrument_id)
    assert instrument is not None
    await notifications.send(
        session,
        notice,
        about=instrument.title,
        subject_id=booking.id,
        user_ids=[booking.user_id] if booking.user_id else [],
        organisation_ids=[] if booking.user_id else [booking.customer_org_id],
        exclude_user_ids=[actor.user_id],
        text=booking.decision_reason,
        booking=describe(instrument, booking),
    )


async def confirm(session: AsyncSession, actor: Actor, booking_id: uuid.UUID) -> Booking:
    """Confirm a requested booking (staff of the instrument's centre or institute)."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.requested, action="confirmed")
    booking.state = BookingState.confirmed
    booking.confirmed_at = clock.now()
    booking.confirmed_by = actor.user_id
    await session.flush()
    await _tell_customer(session, actor, booking, Notice.booking_confirmed)
    return booking


async def reject(session: AsyncSession, actor: Actor, booking_id: uuid.UUID, *, reason: str) -> Booking:
    """Reject a requested booking with a reason (staff); the slot frees and the waitlist is told."""
    booking = await _for_staff(session, actor, booking_id)
    _require_state(booking, BookingState.requested, action="rejected")
    _close(booking, actor, BookingState.rejected, reason)
    await session.flush()
    await _tell_customer(session, actor, booking, Notice.booking_rejected)
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
        await record_charge(session, booking, ChargeKind.cancellation_fee, fee)
    await session.flush()
    if by_staff:
        await _tell_customer(session, actor, booking, Notice.booking_cancelled_by_centre)
    else:
        instrument = await session.get(Instrument, booking.instrument_id)
        assert instrument is not None
        await notifications.send(
            session,
            Notice.booking_cancelled,
            about=instrument.title,
            subject_id=booking.id,
            organisation_ids=[booking.provider_org_id],
            exclude_user_ids=[actor.user_id],
            booking=describe(instrument, booking),
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
    await record_charge(session, booking, ChargeKind.usage, booking.final_amount)
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
        await record_charge(session, booking, ChargeKind.no_show_fee, fee)
    await session.flush()
    return booking


CHARGE_NAMES = {
    ChargeKind.usage: "使用费 / usage",
    ChargeKind.cancellation_fee: "取消费 / cancellation fee",
    ChargeKind.no_show_fee: "爽约费 / no-show fee",
}


async def record_charge(session: AsyncSession, booking: Booking, kind: ChargeKind, amount: int) -> None:
    """Set what the booking owes, once (the database freezes it), and settle it in the caller's
    transaction: the settlement and its accrual entry commit with the completion or cancellation,
    or not at all. An internal booking (the centre or its institute as customer) owes no settlement."""
    if booking.charge_kind is not None:
        raise InvalidBookingTransition("the booking already owes a charge")
    booking.charge_kind = kind
    booking.charge_amount = amount
    booking.charged_at = clock.now()
    await session.flush()
    instrument = await session.get(Instrument, booking.instrument_id)
    assert instrument is not None
    await settlements.owe(
        session,
        settlements.Owed(
            source=SettlementSource.booking,
            source_id=booking.id,
            provider_org_id=booking.provider_org_id,
            debtor_org_id=booking.customer_org_id,
            income_kind=IncomeKind.instrument_sharing,
            amount=amount,
            currency=booking.currency,
            description=f"{describe(instrument, booking)}（{CHARGE_NAMES[kind]}）",
        ),
    )


def amount_owed(booking: Booking) -> Owed | None:
    """What a booking owes (usage, cancellation fee or no-show fee), or None when nothing is owed."""
    if booking.charge_kind is None or booking.charge_amount is None:
        return None
    return Owed(amount=booking.charge_amount, currency=booking.currency, kind=booking.charge_kind)
