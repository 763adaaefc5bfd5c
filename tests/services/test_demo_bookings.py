"""The demo bookings load in several states, respect the overlap guard, and loading again adds nothing."""

from __future__ import annotations

from sqlalchemy import select

from models.bookings import Booking, InstrumentTraining, WaitlistEntry
from models.enums import BookingState
from services import demo


async def test_demo_bookings_cover_the_states_and_are_idempotent(db, settings):
    async with db.session_scope() as session:
        first = await demo.seed(session, settings)
    async with db.session_scope() as session:
        second = await demo.seed(session, settings)
        states = set((await session.scalars(select(Booking.state))).all())
        completed = (await session.scalars(select(Booking).where(Booking.state == BookingState.completed))).all()
        trainings = (await session.scalars(select(InstrumentTraining))).all()
        waiting = (await session.scalars(select(WaitlistEntry))).all()
    assert first.created["bookings"] == 6
    assert "bookings" not in second.created
    assert states >= {BookingState.requested, BookingState.confirmed, BookingState.completed, BookingState.cancelled}
    assert all(b.charge_amount == b.final_amount and b.final_amount > 0 for b in completed)
    assert len(trainings) == 1 and len(waiting) == 1
