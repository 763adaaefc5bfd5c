"""Shared instruments (共享仪器): rate card, membership discounts, booking rules, opening hours,
maintenance blackouts and availability.

Customer tier (for the rate card) of an organisation booking an instrument of a centre:
the centre itself or one of its institutes is `internal`; a co-builder (university, research
institute) is `academic`; an SME is `sme`; anyone else (other centres, government, firms) is
`commercial`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.bookings import Booking
from models.enums import (
    SLOT_HOLDING_STATES,
    CustomerTier,
    ListingKind,
    ListingStatus,
    MembershipTier,
    OperationMode,
    OrganisationKind,
    RateUnit,
)
from models.instruments import (
    Instrument,
    InstrumentBlackout,
    InstrumentMembershipDiscount,
    InstrumentOpeningHours,
    InstrumentRate,
)
from models.organisations import Organisation
from services import availability, catalogue
from services.actors import Actor
from services.errors import Conflict, Invalid, NotFound
from services.money import apply_bps
from services.pagination import Page, SortKey, paginate

MAX_AVAILABILITY_DAYS = 92
# Weekdays 09:00-17:00 when an instrument is created without opening hours.
DEFAULT_OPENING_HOURS = tuple({"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5))
BOOKING_RULES = (
    "min_booking_minutes",
    "max_booking_minutes",
    "lead_time_hours",
    "max_advance_days",
    "requires_confirmation",
    "operation_mode",
    "training_required",
    "free_cancellation_hours",
    "cancellation_fee_bps",
    "no_show_fee_bps",
)
# Booking rules of a new instrument unless given (the wire schema documents the same defaults).
DEFAULT_RULES: dict[str, Any] = {
    "min_booking_minutes": 30,
    "max_booking_minutes": 480,
    "lead_time_hours": 24,
    "max_advance_days": 60,
    "requires_confirmation": True,
    "operation_mode": OperationMode.operator_assisted,
    "training_required": False,
    "free_cancellation_hours": 24,
    "cancellation_fee_bps": 5000,
    "no_show_fee_bps": 10000,
}
DETAILS = ("model", "maker", "category", "location", "specifications")
LOAD = (selectinload(Instrument.rates), selectinload(Instrument.discounts), selectinload(Instrument.opening_hours))


class InstrumentNotFound(catalogue.ListingNotFound):
    title = "Instrument not found"
    slug = "instrument-not-found"


# The verbs every kind of listing shares (services/catalogue.py), for instruments: always with their
# rate card, discounts and opening hours.
INSTRUMENTS = catalogue.Listings(Instrument, InstrumentNotFound, *LOAD)
get, owned, list_visible = INSTRUMENTS.get, INSTRUMENTS.owned, INSTRUMENTS.list_visible
archive = INSTRUMENTS.archive


class BlackoutNotFound(NotFound):
    title = "Blackout not found"
    slug = "blackout-not-found"


class BookingRulesInconsistent(Conflict):
    title = "The booking rules contradict each other"
    slug = "booking-rules-inconsistent"


def customer_tier(customer: Organisation, centre_id: uuid.UUID) -> CustomerTier:
    """The rate-card tier of `customer` at the centre `centre_id` (rule in the module docstring)."""
    if customer.kind in (OrganisationKind.centre, OrganisationKind.institute):
        if catalogue.centre_of(customer) == centre_id:
            return CustomerTier.internal
        return CustomerTier.commercial
    if customer.kind is OrganisationKind.co_builder:
        return CustomerTier.academic
    if customer.kind is OrganisationKind.sme:
        return CustomerTier.sme
    return CustomerTier.commercial


def unit_price(
    instrument: Instrument, tier: CustomerTier, unit: RateUnit, membership: MembershipTier | None = None
) -> tuple[int, str, int] | None:
    """(amount after discount, currency, discount bps) per unit for a tier, or None without such a rate.

    The membership discount applies to the SME tier only (memberships are granted to SMEs).
    """
    rate = next((r for r in instrument.rates if r.tier is tier and r.unit is unit), None)
    if rate is None:
        return None
    bps = 0
    if membership is not None and tier is CustomerTier.sme:
        bps = next((d.discount_bps for d in instrument.discounts if d.tier is membership), 0)
    return rate.amount - apply_bps(rate.amount, bps), rate.currency, bps


def _minutes(value: str, *, loc: list[str | int]) -> int:
    hours, _, minutes = value.partition(":")
    total = int(hours) * 60 + int(minutes)
    if not 0 <= total <= availability.MINUTES_PER_DAY:
        raise Invalid("times run from 00:00 to 24:00", loc=loc)
    return total


def _headline_price(instrument: Instrument, rates: list[dict[str, Any]]) -> None:
    # The SME hourly rate (else per sample) is the listing's price for search and sorting.
    sme = [r for r in rates if CustomerTier(r["tier"]) is CustomerTier.sme]
    sme.sort(key=lambda r: RateUnit(r["unit"]) is not RateUnit.hour)
    catalogue.set_price(instrument, sme[0]["price"] if sme else None)


async def _replace_children(session: AsyncSession, instrument: Instrument, data: dict[str, Any]) -> None:
    if "rates" in data:
        seen = set()
        for i, rate in enumerate(data["rates"]):
            key = (rate["tier"], rate["unit"])
            if key in seen:
                raise Invalid("one rate per tier and unit", loc=["body", "rates", i])
            if rate["price"]["amount"] < 0:
                raise Invalid("a rate cannot be negative", loc=["body", "rates", i, "price", "amount"])
            seen.add(key)
        await session.execute(delete(InstrumentRate).where(InstrumentRate.instrument_id == instrument.id))
        session.add_all(
            InstrumentRate(
                instrument_id=instrument.id,
                tier=CustomerTier(r["tier"]),
                unit=RateUnit(r["unit"]),
                amount=r["price"]["amount"],
                currency=r["price"].get("currency", "CNY"),
            )
            for r in data["rates"]
        )
        _headline_price(instrument, data["rates"])
    if "membership_discounts" in data:
        tiers = [d["tier"] for d in data["membership_discounts"]]
        if len(set(tiers)) != len(tiers):
            raise Invalid("one discount per membership tier", loc=["body", "membership_discounts"])
        await session.execute(
            delete(InstrumentMembershipDiscount).where(InstrumentMembershipDiscount.instrument_id == instrument.id)
        )
        session.add_all(
            InstrumentMembershipDiscount(
                instrument_id=instrument.id, tier=MembershipTier(d["tier"]), discount_bps=d["discount_bps"]
            )
            for d in data["membership_discounts"]
        )
    if "opening_hours" in data:
        rows = []
        for i, h in enumerate(data["opening_hours"]):
            loc: list[str | int] = ["body", "opening_hours", i]
            opens, closes = _minutes(h["opens"], loc=loc), _minutes(h["closes"], loc=loc)
            if opens >= closes:
                raise Invalid("opening must be before closing (use 24:00 for midnight)", loc=loc)
            rows.append(
                InstrumentOpeningHours(
                    instrument_id=instrument.id, weekday=h["weekday"], opens_minute=opens, closes_minute=closes
                )
            )
        await session.execute(
            delete(InstrumentOpeningHours).where(InstrumentOpeningHours.instrument_id == instrument.id)
        )
        session.add_all(rows)


def _apply(instrument: Instrument, data: dict[str, Any]) -> None:
    catalogue.apply_common(instrument, data)
    for name in (*DETAILS, *BOOKING_RULES):
        if name in data:
            setattr(instrument, name, data[name])
    instrument.operation_mode = OperationMode(instrument.operation_mode)
    if instrument.max_booking_minutes < instrument.min_booking_minutes:
        raise Invalid("the maximum booking length is below the minimum", loc=["body", "max_booking_minutes"])


async def _save(session: AsyncSession, instrument: Instrument, data: dict[str, Any]) -> Instrument:
    await _replace_children(session, instrument, data)
    await catalogue.sync_fields(session, instrument)
    extra = [instrument.model, instrument.maker, instrument.category, instrument.location]
    extra += [f"{s['name']} {s.get('unit') or ''}" for s in instrument.specifications]
    await catalogue.refresh_search_text(session, instrument, extra)
    await session.flush()
    return await _load(session, instrument.id)


async def _load(session: AsyncSession, instrument_id: uuid.UUID) -> Instrument:
    stmt = (
        select(Instrument)
        .where(Instrument.id == instrument_id)
        .options(*LOAD)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one()


async def create(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> Instrument:
    """A new draft instrument of one of the actor's centres or institutes, in the centre's time zone."""
    owner = await catalogue.resolve_owner(session, actor, data.get("owner_org_id"))
    centre = await session.get(Organisation, catalogue.centre_of(owner))
    instrument = Instrument(
        kind=ListingKind.instrument,
        status=ListingStatus.draft,
        owner_org_id=owner.id,
        centre_id=centre.id if centre else owner.id,
        timezone=(centre or owner).timezone,
        created_by=actor.user_id,
        specifications=[],
        keywords=[],
        fields=[],
        **DEFAULT_RULES,
    )
    _apply(instrument, data)
    session.add(instrument)
    await session.flush()
    if data.get("opening_hours") is None:
        data = {**data, "opening_hours": list(DEFAULT_OPENING_HOURS)}
    return await _save(session, instrument, data)


async def update(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID, changes: dict[str, Any]) -> Instrument:
    """Change details, rate card, discounts, booking rules or opening hours (lists are replaced whole)."""
    instrument = await owned(session, actor, instrument_id)
    catalogue.ensure_editable(instrument)
    _apply(instrument, changes)
    return await _save(session, instrument, changes)


async def publish(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    """Publish a draft (or archived) instrument; it needs a rate card."""
    instrument = await owned(session, actor, instrument_id)
    if not instrument.rates:
        raise Invalid("an instrument needs at least one rate before it is published", loc=["body", "rates"])
    await catalogue.publish_listing(session, instrument)
    return instrument


# Maintenance blackouts


def _require_aware(value: datetime, loc: list[str | int]) -> datetime:
    if value.tzinfo is None:
        raise Invalid("give an offset (RFC 3339), e.g. 2026-12-01T09:00:00+08:00", loc=loc)
    return value.astimezone(UTC)


async def add_blackout(
    session: AsyncSession,
    actor: Actor,
    instrument_id: uuid.UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None,
) -> InstrumentBlackout:
    """Block [starts_at, ends_at) for maintenance (owner staff)."""
    instrument = await owned(session, actor, instrument_id)
    starts_at = _require_aware(starts_at, ["body", "starts_at"])
    ends_at = _require_aware(ends_at, ["body", "ends_at"])
    if starts_at >= ends_at:
        raise Invalid("a blackout must end after it starts", loc=["body", "ends_at"])
    blackout = InstrumentBlackout(
        instrument_id=instrument.id, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor.user_id
    )
    session.add(blackout)
    await session.flush()
    return blackout


async def list_blackouts(
    session: AsyncSession, actor: Actor | None, instrument_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[InstrumentBlackout]:
    """Blackouts of a visible instrument, by start time."""
    await get(session, actor, instrument_id)
    stmt = select(InstrumentBlackout).where(InstrumentBlackout.instrument_id == instrument_id)
    keys = [SortKey(InstrumentBlackout.starts_at), SortKey(InstrumentBlackout.id)]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def remove_blackout(
    session: AsyncSession, actor: Actor, instrument_id: uuid.UUID, blackout_id: uuid.UUID
) -> None:
    """Delete a blackout (owner staff)."""
    await owned(session, actor, instrument_id)
    blackout = await session.scalar(
        select(InstrumentBlackout).where(
            InstrumentBlackout.id == blackout_id, InstrumentBlackout.instrument_id == instrument_id
        )
    )
    if blackout is None:
        raise BlackoutNotFound()
    await session.delete(blackout)
    await session.flush()


# Availability


async def availability_of(
    session: AsyncSession, actor: Actor | None, instrument_id: uuid.UUID, *, start: datetime, end: datetime
) -> tuple[Instrument, list[availability.Interval]]:
    """Free intervals in [start, end): opening hours minus blackouts and slot-holding bookings."""
    start = _require_aware(start, ["query", "from"])
    end = _require_aware(end, ["query", "to"])
    if start >= end:
        raise Invalid("`to` must be after `from`", loc=["query", "to"])
    if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise Invalid(f"ask for at most {MAX_AVAILABILITY_DAYS} days at a time", loc=["query", "to"])
    instrument = await get(session, actor, instrument_id)
    blackouts = await session.execute(
        select(InstrumentBlackout.starts_at, InstrumentBlackout.ends_at).where(
            InstrumentBlackout.instrument_id == instrument.id,
            InstrumentBlackout.starts_at < end,
            InstrumentBlackout.ends_at > start,
        )
    )
    booked = await session.execute(
        select(Booking.start_at, Booking.end_at).where(
            Booking.instrument_id == instrument.id,
            Booking.state.in_(SLOT_HOLDING_STATES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
    )
    weekly = [(h.weekday, h.opens_minute, h.closes_minute) for h in instrument.opening_hours]
    free = availability.free_intervals(
        weekly,
        instrument.timezone,
        start,
        end,
        blackouts=[(b.starts_at, b.ends_at) for b in blackouts],
        busy=[(b.start_at, b.end_at) for b in booked],
    )
    return instrument, free
