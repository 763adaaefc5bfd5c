"""Demo bookings on the demo instruments, in several states, with a training record and a waitlist entry.

Slots are placed relative to today (next week, last week) in the centre's opening hours; a record
is found again by its instrument and purpose, so seeding twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.bookings import Booking, InstrumentTraining, WaitlistEntry
from models.enums import BookingState, ChargeKind, CustomerTier, RateUnit, WaitlistState
from models.instruments import Instrument
from services import clock, sme_memberships
from services.bookings import pricing

SEM = "场发射扫描电子显微镜"
XRD = "X射线衍射仪"
CYCLER = "电池充放电测试系统"


@dataclass(frozen=True)
class DemoBooking:
    instrument: str
    sme: str
    user: str
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
    DemoBooking(
        SEM, "sme_navi", "zhou.jie", "高镍正极颗粒断面形貌观察 (SEM of cathode cross-sections)", BookingState.confirmed
    ),
    DemoBooking(
        SEM,
        "sme_lvyuan",
        "zheng.fang",
        "膜材料孔径表征 (membrane pore imaging)",
        BookingState.cancelled,
        weekday=2,
        start="14:00",
        reason="样品制备延期",
    ),
    DemoBooking(
        SEM,
        "sme_navi",
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
        "sme_ruixin",
        "wu.hao",
        "GaN外延片物相分析 (GaN epi-wafer phase analysis)",
        BookingState.requested,
        start=None,
        samples=6,
    ),
    DemoBooking(
        XRD,
        "sme_navi",
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
        "sme_ruixin",
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
    return await session.scalar(
        select(Instrument)
        .where(Instrument.title == title)
        .options(selectinload(Instrument.rates), selectinload(Instrument.discounts))
    )


async def _booking(session: AsyncSession, report, instrument: Instrument, spec: DemoBooking) -> Booking | None:
    found = await session.scalar(
        select(Booking).where(Booking.instrument_id == instrument.id, Booking.purpose == spec.purpose)
    )
    if found is not None:
        return found
    sme, user = report.organisations[spec.sme], report.users[spec.user]
    unit = RateUnit.sample if spec.samples else RateUnit.hour
    rate = next((r for r in instrument.rates if r.tier is CustomerTier.sme and r.unit is unit), None)
    if rate is None:
        return None
    start, end = _slot(ZoneInfo(instrument.timezone), spec, clock.now().date())
    tier = await sme_memberships.active_tier(session, instrument.centre_id, sme.id, (start or clock.now()).date())
    discount = next((d.discount_bps for d in instrument.discounts if d.tier is tier), 0) if tier else 0
    minimum = instrument.min_booking_minutes if unit is RateUnit.hour else 1
    quantity = spec.samples or spec.minutes
    booking = Booking(
        instrument_id=instrument.id,
        provider_org_id=instrument.owner_org_id,
        centre_id=instrument.centre_id,
        customer_org_id=sme.id,
        user_id=user.id,
        state=spec.state,
        start_at=start,
        end_at=end,
        sample_count=spec.samples,
        purpose=spec.purpose,
        customer_tier=CustomerTier.sme,
        unit=unit,
        unit_rate_amount=rate.amount,
        currency=rate.currency,
        membership_tier=tier,
        discount_bps=discount,
        min_billed_quantity=minimum,
        booked_quantity=quantity,
        quoted_amount=pricing.amount(unit, rate.amount, quantity, minimum, discount),
        free_cancellation_hours=instrument.free_cancellation_hours,
        cancellation_fee_bps=instrument.cancellation_fee_bps,
        no_show_fee_bps=instrument.no_show_fee_bps,
        decision_reason=spec.reason,
    )
    now = clock.now()
    if spec.state in (BookingState.confirmed, BookingState.completed):
        booking.confirmed_at = now
    if spec.state in (BookingState.completed, BookingState.cancelled):
        booking.closed_at = now
    if spec.state is BookingState.cancelled:
        booking.cancellation_fee_amount = 0
    if spec.state is BookingState.completed and spec.actual is not None:
        booking.actual_quantity = spec.actual
        booking.final_amount = pricing.amount(unit, rate.amount, spec.actual, minimum, discount)
        booking.charge_kind, booking.charge_amount, booking.charged_at = ChargeKind.usage, booking.final_amount, now
    session.add(booking)
    await session.flush()
    report.count("bookings")
    return booking


async def seed(session: AsyncSession, report) -> None:
    """Create the demo bookings, the SEM training of the booking user, and a waitlist entry."""
    sem = await _instrument(session, SEM)
    if sem is not None:
        trainee = report.users["zhou.jie"]
        trained = await session.scalar(
            select(InstrumentTraining.id).where(
                InstrumentTraining.instrument_id == sem.id, InstrumentTraining.user_id == trainee.id
            )
        )
        if trained is None:
            now = clock.now()
            session.add(
                InstrumentTraining(
                    instrument_id=sem.id,
                    user_id=trainee.id,
                    trained_at=now - timedelta(days=30),
                    expires_at=now + timedelta(days=335),
                    note="SEM 上机操作培训（含安全考核）",
                    recorded_by=report.users["liu.yang"].id,
                )
            )
            report.count("instrument trainings")
    made: dict[str, Booking] = {}
    for spec in BOOKINGS:
        instrument = sem if spec.instrument == SEM else await _instrument(session, spec.instrument)
        if instrument is None:
            continue
        booking = await _booking(session, report, instrument, spec)
        if booking is not None:
            made[spec.purpose] = booking
    taken = made.get(BOOKINGS[0].purpose)
    if taken is not None and taken.start_at is not None:
        waiting = await session.scalar(
            select(WaitlistEntry.id).where(WaitlistEntry.instrument_id == taken.instrument_id)
        )
        if waiting is None:
            session.add(
                WaitlistEntry(
                    instrument_id=taken.instrument_id,
                    customer_org_id=report.organisations["sme_ruixin"].id,
                    user_id=report.users["wu.hao"].id,
                    start_at=taken.start_at,
                    end_at=taken.end_at,
                    state=WaitlistState.waiting,
                )
            )
            report.count("waitlist entries")
    await session.flush()
