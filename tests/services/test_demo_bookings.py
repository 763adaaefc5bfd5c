"""The demo bookings are made through the bookings services (the past with the clock moved there): they
cover the states, keep the instruments' rules, and loading again adds nothing."""

from __future__ import annotations

from sqlalchemy import select

from models.bookings import Booking, InstrumentTraining, WaitlistEntry
from models.enums import BookingState
from models.instruments import Instrument
from services import clock, demo


async def test_demo_bookings_cover_the_states_and_are_idempotent(db, settings):
    async with db.session_scope() as session:
        first = await demo.seed(session, settings)
    async with db.session_scope() as session:
        second = await demo.seed(session, settings)
        rows = (await session.scalars(select(Booking))).all()
        trainings = (await session.scalars(select(InstrumentTraining))).all()
        waiting = (await session.scalars(select(WaitlistEntry))).all()
        needs_training = set((await session.scalars(select(Instrument.id).where(Instrument.training_required))).all())
    assert first.created["bookings"] == 6
    assert "bookings" not in second.created
    assert {b.state for b in rows} >= {
        BookingState.requested,
        BookingState.confirmed,
        BookingState.completed,
        BookingState.cancelled,
    }
    completed = [b for b in rows if b.state is BookingState.completed]
    assert all(b.charge_amount == b.final_amount and b.final_amount > 0 for b in completed)
    # The past happened in the past: booked, confirmed and completed then, not stamped now.
    now = clock.now()
    assert all(b.created_at <= b.confirmed_at < b.closed_at < now for b in completed)
    # The SEM requires training: every user who booked it holds a record valid at the slot's start.
    trained = {(t.instrument_id, t.user_id): t for t in trainings}
    sem_bookings = [b for b in rows if b.instrument_id in needs_training]
    assert sem_bookings
    for b in sem_bookings:
        t = trained[(b.instrument_id, b.user_id)]
        assert t.trained_at <= b.start_at and (t.expires_at is None or b.start_at < t.expires_at)
    assert len(trainings) == 2 and len(waiting) == 1
