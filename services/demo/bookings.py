"""Demo bookings on the demo instruments, in several states, with training records and a waitlist entry,
made through the bookings services a user calls: the customer books (and cancels), the instrument's
staff confirm and record the usage. What happened in the past is done with the clock moved there
(`clock.travel_to`), so prices, rules, states, charges and timestamps are the real ones.

Slots are placed relative to today (next week, last week) in the centre's opening hours; a booking
is found again by its instrument and purpose, so seeding twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking, InstrumentTraining, WaitlistEntry
from models.enums import BookingState
from models.instruments import Instrument
from services import bookings, clock
from services.actors import Actor, load_actor
from services.bookings import trainings, waitlist

SEM = "场发射扫描电子显微镜"
XRD = "X射线衍射仪"
CYCLER = "电池充放电测试系统"
STAFF = "liu.yang"  # staff of the materials institute, which owns the three instruments
TRAINED = ("zhou.jie", "zheng.fang")  # the SEM's users (it requires training)
# A booking is made at least this long before its slot (the instruments' lead time is a day).
BOOKED_AHEAD = timedelta(days=2)


@dataclass(frozen=True)
class DemoBooking:
    instrument: str
    user: str  # the SME member who books (for their only SME)
    purpose: str
    state: BookingState
    week: int = 1  # 1 = next week, -1 = last week
    weekday: int = 0
    start: str | None = "09:00"
    minutes: int = 120
    samples: int | None = None
    actual: int | None = None
    reason: str | None = None


BOOKINGS = (
    DemoBooking(SEM, "zhou.jie", "高镍正极颗粒断面形貌观察 (SEM of cathode cross-sections)", BookingState.confirmed),
    DemoBooking(
        SEM,
        "zheng.fang",
        "膜材料孔径表征 (membrane pore imaging)",
        BookingState.cancelled,
        weekday=2,
        start="14:00",
        reason="样品制备延期",
    ),
    DemoBooking(
        SEM,
        "zhou.jie",
        "硬碳负极表面形貌 (hard-carbon anode surfaces)",
        BookingState.completed,
        week=-1,
        weekday=1,
        start="10:00",
        actual=100,
    ),
    DemoBooking(
        XRD,
        "wu.hao",
        "GaN外延片物相分析 (GaN epi-wafer phase analysis)",
        BookingState.requested,
        start=None,
        samples=6,
    ),
    DemoBooking(
        XRD,
        "sun.li",
        "正极材料晶体结构精修 (cathode structure refinement)",
        BookingState.completed,
        week=-1,
        start=None,
        samples=5,
        actual=4,
    ),
    DemoBooking(
        CYCLER,
        "wu.hao",
        "功率器件热循环对照 (power-device cycling reference)",
        BookingState.confirmed,
        weekday=3,
        start="09:00",
        minutes=480,
    ),
)


def _slot(zone: ZoneInfo, spec: DemoBooking, today: date) -> tuple[datetime | None, datetime | None]:
    if spec.start is None:
        return None, None
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=spec.week)
    hours, minutes = (int(p) for p in spec.start.split(":"))
    local = datetime.combine(monday + timedelta(days=spec.weekday), time(hours, minutes), tzinfo=zone)
    start = local.astimezone(UTC)
    return start, start + timedelta(minutes=spec.minutes)


async def _instrument(session: AsyncSession, title: str) -> Instrument | None:
    return await session.scalar(select(Instrument).where(Instrument.title == title))


async def _trainings(session: AsyncSession, report, sem: Instrument, staff: Actor) -> None:
    """The SEM's users were trained a month ago, for a year."""
    now = clock.now()
    for key in TRAINED:
        user = report.users[key]
        trained = await session.scalar(
            select(InstrumentTraining.id).where(
                InstrumentTraining.instrument_id == sem.id, InstrumentTraining.user_id == user.id
            )
        )
        if trained is not None:
            continue
        with clock.travel_to(now - timedelta(days=30)):
            await trainings.record(
                session,
                staff,
                sem.id,
                user_id=user.id,
                trained_at=None,
                expires_at=now + timedelta(days=335),
                note="SEM 上机操作培训（含安全考核）",
            )
        report.count("instrument trainings")


def _booked_at(now: datetime, start: datetime | None, spec: DemoBooking) -> datetime:
    """When the customer booked: a couple of days before the slot (never later than now); a sample
    booking of last week was made last week."""
    if start is None:
        return now + timedelta(weeks=min(spec.week, 0))
    return min(now, start - BOOKED_AHEAD)


async def _book(session: AsyncSession, report, instrument: Instrument, spec: DemoBooking, staff: Actor) -> Booking:
    """Book as the customer did, then the staff confirm and record the usage, or the customer cancels."""
    now = clock.now()
    start, end = _slot(ZoneInfo(instrument.timezone), spec, now.date())
    booked_at = _booked_at(now, start, spec)
    customer = await load_actor(session, report.users[spec.user])
    request = bookings.BookingInput(
        instrument_id=instrument.id, start_at=start, end_at=end, sample_count=spec.samples, purpose=spec.purpose
    )
    with clock.travel_to(booked_at):
        booking = await bookings.create(session, customer, request)
        wanted_confirmed = spec.state in (BookingState.confirmed, BookingState.completed)
        if wanted_confirmed and booking.state is BookingState.requested:
            booking = await bookings.confirm(session, staff, booking.id)
    if spec.state is BookingState.cancelled:
        booking = await bookings.cancel(session, customer, booking.id, reason=spec.reason)
    if spec.state is BookingState.completed:
        minutes, samples = (None, spec.actual) if spec.samples else (spec.actual, None)
        with clock.travel_to(end or booked_at + timedelta(days=1)):
            booking = await bookings.complete(
                session, staff, booking.id, actual_minutes=minutes, actual_samples=samples
            )
    return booking


async def seed(session: AsyncSession, report) -> None:
    """The SEM trainings, the demo bookings in their states, and a party waiting for a taken SEM slot."""
    staff = await load_actor(session, report.users[STAFF])
    sem = await _instrument(session, SEM)
    if sem is not None:
        await _trainings(session, report, sem, staff)
    made: dict[str, Booking] = {}
    for spec in BOOKINGS:
        instrument = sem if spec.instrument == SEM else await _instrument(session, spec.instrument)
        if instrument is None:
            continue
        found = await session.scalar(
            select(Booking).where(Booking.instrument_id == instrument.id, Booking.purpose == spec.purpose)
        )
        if found is None:
            found = await _book(session, report, instrument, spec, staff)
            report.count("bookings")
        made[spec.purpose] = found
    taken = made.get(BOOKINGS[0].purpose)
    if taken is not None and taken.start_at is not None and taken.end_at is not None:
        waiting = await session.scalar(
            select(WaitlistEntry.id).where(WaitlistEntry.instrument_id == taken.instrument_id)
        )
        if waiting is None:
            await waitlist.join(
                session,
                await load_actor(session, report.users["wu.hao"]),
                taken.instrument_id,
                start_at=taken.start_at,
                end_at=taken.end_at,
                customer_org_id=None,
            )
            report.count("waitlist entries")
