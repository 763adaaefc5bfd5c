"""Bookings below the API: the pricing rule, fee boundaries, the database's overlap guard, what is owed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from models.bookings import Booking
from models.enums import BookingState, ChargeKind, CustomerTier, IncomeKind, RateUnit
from models.settlements import Settlement
from services import bookings
from services.bookings import pricing
from tests.factories.bookings import MONDAY, NOW, at, booked, setup, slot

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(clock):
    """Bookings are planned against a stopped clock (NOW, a Tuesday)."""
    clock.set(NOW)
    return clock


class TestPricing:
    def test_hourly_rate_times_minutes_rounds_half_up_to_the_fen(self):
        assert pricing.gross_amount(RateUnit.hour, 33333, 130) == 72222  # 72221.5
        assert pricing.gross_amount(RateUnit.hour, 33333, 1) == 556  # 555.55
        assert pricing.gross_amount(RateUnit.hour, 100, 3) == 5

    def test_per_sample_is_rate_times_samples(self):
        assert pricing.gross_amount(RateUnit.sample, 15050, 3) == 45150

    def test_at_least_the_minimum_is_billed(self):
        assert pricing.amount(RateUnit.hour, 60000, 20, 60, 0) == 60000
        assert pricing.amount(RateUnit.hour, 60000, 90, 60, 0) == 90000

    def test_the_discount_is_taken_from_the_gross_half_up(self):
        # 72222 x 10% = 7222.2 -> 7222; 125 x 20% = 25; 5 x 10% = 0.5 -> 1
        assert pricing.amount(RateUnit.hour, 33333, 130, 30, 1000) == 65000
        assert pricing.amount(RateUnit.sample, 125, 1, 1, 2000) == 100
        assert pricing.amount(RateUnit.sample, 5, 1, 1, 1000) == 4

    def test_cancellation_is_free_until_exactly_n_hours_before(self):
        start = T0
        assert pricing.cancellation_fee(10001, 5000, start, start - timedelta(hours=24), 24) == 0
        assert pricing.cancellation_fee(10001, 5000, start, start - timedelta(hours=24, seconds=-1), 24) == 5001
        assert pricing.cancellation_fee(10001, 5000, start, start - timedelta(days=3), 24) == 0

    def test_zero_free_hours_charges_only_after_the_start(self):
        assert pricing.cancellation_fee(10000, 5000, T0, T0, 0) == 0
        assert pricing.cancellation_fee(10000, 5000, T0, T0 + timedelta(seconds=1), 0) == 5000

    def test_a_booking_without_a_slot_cancels_free(self):
        assert pricing.cancellation_fee(10000, 5000, None, T0, 24) == 0


def row(instrument: dict, customer_id: uuid.UUID, start: datetime, end: datetime, state=BookingState.confirmed):
    return Booking(
        instrument_id=uuid.UUID(instrument["id"]),
        provider_org_id=uuid.UUID(instrument["owner_org_id"]),
        centre_id=uuid.UUID(instrument["centre_id"]),
        customer_org_id=customer_id,
        state=state,
        start_at=start,
        end_at=end,
        customer_tier=CustomerTier.sme,
        unit=RateUnit.hour,
        unit_rate_amount=60000,
        currency="CNY",
        discount_bps=0,
        min_billed_quantity=30,
        booked_quantity=int((end - start).total_seconds() // 60),
        quoted_amount=60000,
        free_cancellation_hours=24,
        cancellation_fee_bps=5000,
        no_show_fee_bps=10000,
    )


class TestDatabaseGuard:
    """The guard holds even for writes that skip the service's check."""

    async def test_an_overlapping_insert_is_refused_by_the_database(self, client, db, app):
        s = await setup(client, db, app)
        async with db.session_scope() as session:
            session.add(row(s.instrument, s.w.sme.id, T0, T0 + timedelta(hours=2)))
        with pytest.raises(IntegrityError) as caught:
            async with db.session_scope() as session:
                session.add(row(s.instrument, s.other_sme.id, T0 + timedelta(hours=1), T0 + timedelta(hours=3)))
        assert bookings.is_overlap_violation(caught.value)

    async def test_back_to_back_and_inactive_rows_are_allowed(self, client, db, app):
        s = await setup(client, db, app)
        async with db.session_scope() as session:
            session.add(row(s.instrument, s.w.sme.id, T0, T0 + timedelta(hours=2)))
            session.add(row(s.instrument, s.w.sme.id, T0 + timedelta(hours=2), T0 + timedelta(hours=3)))
            session.add(row(s.instrument, s.w.sme.id, T0, T0 + timedelta(hours=2), BookingState.cancelled))
            session.add(row(s.instrument, s.w.sme.id, T0, T0 + timedelta(hours=2), BookingState.rejected))
        async with db.session_scope() as session:
            assert len((await session.scalars(select(Booking.id))).all()) == 4

    async def test_reactivating_into_a_taken_slot_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        first = await booked(client, s)
        await client.post(f"/api/v1/bookings/{first['id']}/cancel", headers=s.sme_member)
        await booked(client, s, s.other_sme_member, **slot(start="10:00", end="12:00"))
        with pytest.raises(IntegrityError) as caught:
            async with db.session_scope() as session:
                await session.execute(
                    update(Booking).where(Booking.id == uuid.UUID(first["id"])).values(state=BookingState.confirmed)
                )
        assert bookings.is_overlap_violation(caught.value)

    async def test_moving_a_booking_onto_another_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        first = await booked(client, s)
        await booked(client, s, s.other_sme_member, **slot(start="13:00", end="14:00"))
        with pytest.raises(IntegrityError):
            async with db.session_scope() as session:
                await session.execute(
                    update(Booking).where(Booking.id == uuid.UUID(first["id"])).values(end_at=at(MONDAY, "13:30"))
                )


class TestAmountOwed:
    async def test_nothing_is_owed_while_open(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        async with db.session_scope() as session:
            booking = await session.get(Booking, uuid.UUID(created["id"]))
            assert bookings.amount_owed(booking) is None

    async def test_completion_owes_the_usage_and_settles_it_in_the_same_transaction(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "11:00"))
        await client.post(f"/api/v1/bookings/{created['id']}/complete", json={"actual_minutes": 90}, headers=s.staff)
        async with db.session_scope() as session:
            booking = await session.get(Booking, uuid.UUID(created["id"]))
            assert bookings.amount_owed(booking) == bookings.Owed(90000, "CNY", ChargeKind.usage)
            settlement = await session.scalar(select(Settlement).where(Settlement.source_id == booking.id))
        assert (settlement.amount, settlement.income_kind, settlement.debtor_org_id) == (
            90000,
            IncomeKind.instrument_sharing,
            s.w.sme.id,
        )
        assert (settlement.provider_org_id, settlement.centre_id) == (s.w.institute.id, s.w.centre.id)

    async def test_a_charge_is_recorded_once_and_frozen(self, client, db, app, is_postgres):
        s = await setup(client, db, app)
        created = await booked(client, s)
        async with db.session_scope() as session:
            booking = await session.get(Booking, uuid.UUID(created["id"]))
            await bookings.record_charge(session, booking, ChargeKind.usage, 100)
            with pytest.raises(bookings.InvalidBookingTransition):
                await bookings.record_charge(session, booking, ChargeKind.cancellation_fee, 100)
        with pytest.raises((IntegrityError, DBAPIError), match="frozen"):
            async with db.session_scope() as session:
                await session.execute(text("UPDATE bookings SET charge_amount = 1"))

    async def test_a_failure_after_the_charge_leaves_no_charge_and_no_settlement(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        with pytest.raises(RuntimeError):
            async with db.session_scope() as session:
                booking = await session.get(Booking, uuid.UUID(created["id"]))
                await bookings.record_charge(session, booking, ChargeKind.usage, 100)
                raise RuntimeError("the request failed after the charge")
        async with db.session_scope() as session:
            booking = await session.get(Booking, uuid.UUID(created["id"]))
            assert booking.charge_kind is None
            assert await session.scalar(select(func.count()).select_from(Settlement)) == 0
