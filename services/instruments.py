"""Shared instruments (共享仪器): rate card, membership discounts, booking rules, opening hours,
maintenance blackouts and availability.

Customer tier (for the rate card) of an organisation booking an instrument of a centre:
the centre itself or one of its institutes is `internal`; a co-builder (university, research
institute) is `academic`; an SME is `sme`; anyone else (other centres, government, firms) is
`commercial`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

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
    DEFAULT_RULES,
    BookingRules,
    Instrument,
    InstrumentBlackout,
    InstrumentMembershipDiscount,
    InstrumentOpeningHours,
    InstrumentRate,
)
from models.organisations import Organisation
from services import availability, catalogue
from services.actors import Actor
from services.catalogue import UNSET, Unset
from services.errors import Invalid, NotFound
from services.money import apply_bps
from services.pagination import Page, SortKey, paginate

MAX_AVAILABILITY_DAYS = 92
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


@dataclass(frozen=True)
class Rate:
    """One line of the rate card: a price per hour or per sample for a customer tier."""

    tier: CustomerTier
    unit: RateUnit
    price: catalogue.Price


@dataclass(frozen=True)
class Discount:
    """The discount an SME with a membership tier at the owning centre gets, in basis points."""

    tier: MembershipTier
    discount_bps: int


@dataclass(frozen=True)
class OpeningHours:
    """A weekly opening interval in the instrument's local time: weekday 0 = Monday, minutes since
    midnight (1440 is the midnight that ends the day)."""

    weekday: int
    opens_minute: int
    closes_minute: int


# Weekdays 09:00-17:00 when an instrument is created without opening hours.
DEFAULT_OPENING_HOURS = tuple(OpeningHours(weekday, 9 * 60, 17 * 60) for weekday in range(5))


@dataclass(frozen=True, kw_only=True)
class InstrumentInput:
    """A new instrument; its booking rules are `DEFAULT_RULES` (models/instruments.py) unless given."""

    listing: catalogue.ListingInput
    category: str
    owner_org_id: uuid.UUID | None = None
    model: str | None = None
    maker: str | None = None
    location: str | None = None
    specifications: Sequence[catalogue.Measurement] = ()
    rates: Sequence[Rate] = ()
    membership_discounts: Sequence[Discount] = ()
    opening_hours: Sequence[OpeningHours] = DEFAULT_OPENING_HOURS
    rules: BookingRules = DEFAULT_RULES


@dataclass(frozen=True, kw_only=True)
class BookingRuleChanges:
    """Changes to an instrument's booking rules (UNSET leaves a rule as it is)."""

    min_booking_minutes: int | Unset = UNSET
    max_booking_minutes: int | Unset = UNSET
    lead_time_hours: int | Unset = UNSET
    max_advance_days: int | Unset = UNSET
    requires_confirmation: bool | Unset = UNSET
    operation_mode: OperationMode | Unset = UNSET
    training_required: bool | Unset = UNSET
    free_cancellation_hours: int | Unset = UNSET
    cancellation_fee_bps: int | Unset = UNSET
    no_show_fee_bps: int | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class InstrumentChanges:
    """Changes to an instrument: UNSET leaves a field as it is, None clears an optional one; the
    rate card, discounts and opening hours are replaced whole."""

    listing: catalogue.ListingChanges = field(default_factory=catalogue.ListingChanges)
    category: str | Unset = UNSET
    model: str | Unset | None = UNSET
    maker: str | Unset | None = UNSET
    location: str | Unset | None = UNSET
    specifications: Sequence[catalogue.Measurement] | Unset = UNSET
    rates: Sequence[Rate] | Unset = UNSET
    membership_discounts: Sequence[Discount] | Unset = UNSET
    opening_hours: Sequence[OpeningHours] | Unset = UNSET
    rules: BookingRuleChanges = field(default_factory=BookingRuleChanges)


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


def _headline_price(instrument: Instrument, rates: Sequence[Rate]) -> None:
    # The SME hourly rate (else per sample) is the listing's price for search and sorting.
    sme = sorted((r for r in rates if r.tier is CustomerTier.sme), key=lambda r: r.unit is not RateUnit.hour)
    catalogue.set_price(instrument, sme[0].price if sme else None)


async def _replace_rates(session: AsyncSession, instrument: Instrument, rates: Sequence[Rate]) -> None:
    seen = set()
    for i, rate in enumerate(rates):
        if (rate.tier, rate.unit) in seen:
            raise Invalid("one rate per tier and unit", loc=["body", "rates", i])
        seen.add((rate.tier, rate.unit))
    await session.execute(delete(InstrumentRate).where(InstrumentRate.instrument_id == instrument.id))
    session.add_all(
        InstrumentRate(
            instrument_id=instrument.id, tier=r.tier, unit=r.unit, amount=r.price.amount, currency=r.price.currency
        )
        for r in rates
    )
    _headline_price(instrument, rates)


async def _replace_discounts(session: AsyncSession, instrument: Instrument, discounts: Sequence[Discount]) -> None:
    tiers = [d.tier for d in discounts]
    if len(set(tiers)) != len(tiers):
        raise Invalid("one discount per membership tier", loc=["body", "membership_discounts"])
    await session.execute(
        delete(InstrumentMembershipDiscount).where(InstrumentMembershipDiscount.instrument_id == instrument.id)
    )
    session.add_all(
        InstrumentMembershipDiscount(instrument_id=instrument.id, tier=d.tier, discount_bps=d.discount_bps)
        for d in discounts
    )


async def _replace_opening_hours(session: AsyncSession, instrument: Instrument, hours: Sequence[OpeningHours]) -> None:
    for i, h in enumerate(hours):
        if h.opens_minute >= h.closes_minute:
            raise Invalid("opening must be before closing (use 24:00 for midnight)", loc=["body", "opening_hours", i])
    await session.execute(delete(InstrumentOpeningHours).where(InstrumentOpeningHours.instrument_id == instrument.id))
    session.add_all(
        InstrumentOpeningHours(
            instrument_id=instrument.id, weekday=h.weekday, opens_minute=h.opens_minute, closes_minute=h.closes_minute
        )
        for h in hours
    )


async def _replace_children(
    session: AsyncSession, instrument: Instrument, data: InstrumentInput | InstrumentChanges
) -> None:
    if data.rates is not UNSET:
        await _replace_rates(session, instrument, data.rates)
    if data.membership_discounts is not UNSET:
        await _replace_discounts(session, instrument, data.membership_discounts)
    if data.opening_hours is not UNSET:
        await _replace_opening_hours(session, instrument, data.opening_hours)


def _apply_rules(instrument: Instrument, rules: BookingRules | BookingRuleChanges) -> None:
    if rules.min_booking_minutes is not UNSET:
        instrument.min_booking_minutes = rules.min_booking_minutes
    if rules.max_booking_minutes is not UNSET:
        instrument.max_booking_minutes = rules.max_booking_minutes
    if rules.lead_time_hours is not UNSET:
        instrument.lead_time_hours = rules.lead_time_hours
    if rules.max_advance_days is not UNSET:
        instrument.max_advance_days = rules.max_advance_days
    if rules.requires_confirmation is not UNSET:
        instrument.requires_confirmation = rules.requires_confirmation
    if rules.operation_mode is not UNSET:
        instrument.operation_mode = rules.operation_mode
    if rules.training_required is not UNSET:
        instrument.training_required = rules.training_required
    if rules.free_cancellation_hours is not UNSET:
        instrument.free_cancellation_hours = rules.free_cancellation_hours
    if rules.cancellation_fee_bps is not UNSET:
        instrument.cancellation_fee_bps = rules.cancellation_fee_bps
    if rules.no_show_fee_bps is not UNSET:
        instrument.no_show_fee_bps = rules.no_show_fee_bps
    if instrument.max_booking_minutes < instrument.min_booking_minutes:
        raise Invalid("the maximum booking length is below the minimum", loc=["body", "max_booking_minutes"])


def _apply(instrument: Instrument, data: InstrumentInput | InstrumentChanges) -> None:
    catalogue.apply_common(instrument, data.listing)
    if data.category is not UNSET:
        instrument.category = data.category
    if data.model is not UNSET:
        instrument.model = data.model
    if data.maker is not UNSET:
        instrument.maker = data.maker
    if data.location is not UNSET:
        instrument.location = data.location
    if data.specifications is not UNSET:
        instrument.specifications = [asdict(m) for m in data.specifications]
    _apply_rules(instrument, data.rules)


async def _save(session: AsyncSession, instrument: Instrument, data: InstrumentInput | InstrumentChanges) -> Instrument:
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


async def create(session: AsyncSession, actor: Actor, data: InstrumentInput) -> Instrument:
    """A new draft instrument of one of the actor's centres or institutes, in the centre's time zone."""
    owner = await catalogue.resolve_owner(session, actor, data.owner_org_id)
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
    )
    _apply(instrument, data)
    session.add(instrument)
    await session.flush()
    return await _save(session, instrument, data)


async def update(
    session: AsyncSession, actor: Actor, instrument_id: uuid.UUID, changes: InstrumentChanges
) -> Instrument:
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


async def add_blackout(
    session: AsyncSession,
    actor: Actor,
    instrument_id: uuid.UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None,
) -> InstrumentBlackout:
    """Block [starts_at, ends_at) (aware times) for maintenance (owner staff)."""
    instrument = await owned(session, actor, instrument_id)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
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
    """Free intervals in [start, end) (aware times): opening hours minus blackouts and slot-holding bookings."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
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
