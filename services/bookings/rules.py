"""The instrument's booking rules, checked before anything is stored: who may book and for whom,
opening hours, blackouts, length, lead time, advance window and training."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import (
    ListingStatus,
    Role,
)
from models.instruments import Instrument, InstrumentBlackout
from models.organisations import Membership, Organisation
from services import availability, instruments
from services.actors import Actor
from services.bookings.core import BookingInput, BookingRuleViolated, InstrumentNotBookable
from services.errors import Invalid

MAX_WEEKLY_OCCURRENCES = 26


CUSTOMER_LOC = ("body", "customer_org_id")


def utc(value: datetime) -> datetime:
    """An aware time in UTC (what is stored and shown)."""
    return value.astimezone(UTC)


def is_staff_of(actor: Actor, instrument: Instrument) -> bool:
    return instrument.owner_org_id in actor.provider_org_ids()


async def bookable_instrument(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    instrument = await instruments.get(session, actor, instrument_id)
    if instrument.status is not ListingStatus.published:
        raise InstrumentNotBookable(f"the instrument is {instrument.status.value}")
    return instrument


def default_customer(actor: Actor) -> uuid.UUID:
    """The organisation a booking or a wait is for when none is named: the caller's only SME (422 otherwise)."""
    smes = actor.sme_ids()
    if not smes:
        raise Invalid("say which organisation this is for", loc=list(CUSTOMER_LOC))
    return actor.acting_org(smes, None, "SME members", field="customer_org_id")


def own_organisations(actor: Actor) -> set[uuid.UUID]:
    """The organisations the actor may book or wait for as their member (evaluators do not book)."""
    return {m.organisation_id for m in actor.memberships if m.role is not Role.evaluator}


async def customer_and_user(
    session: AsyncSession, actor: Actor, instrument: Instrument, request: BookingInput
) -> tuple[Organisation, uuid.UUID | None, uuid.UUID | None]:
    """(customer organisation, user who will use the slot, staff user booking on the customer's behalf)."""
    customer_id = request.customer_org_id if request.customer_org_id is not None else default_customer(actor)
    on_behalf = customer_id not in own_organisations(actor)
    if on_behalf and not is_staff_of(actor, instrument):
        raise Invalid("you can book only for an organisation you belong to", loc=list(CUSTOMER_LOC))
    customer = await session.get(Organisation, customer_id)
    if customer is None:
        raise Invalid("no such organisation", loc=list(CUSTOMER_LOC))
    if not on_behalf:
        if request.user_id not in (None, actor.user_id):
            raise Invalid("only staff booking for a customer may name another user", loc=["body", "user_id"])
        return customer, actor.user_id, None
    if request.user_id is not None:
        member = await session.scalar(
            select(Membership.id).where(
                Membership.user_id == request.user_id, Membership.organisation_id == customer.id
            )
        )
        if member is None:
            raise Invalid("the user is not a member of the customer organisation", loc=["body", "user_id"])
    return customer, request.user_id, actor.user_id


def rule_violation(detail: str, rule: str, label: str | None, loc: list[str | int]) -> BookingRuleViolated:
    return BookingRuleViolated(f"{label}: {detail}" if label else detail, rule=rule, loc=loc)


async def check_slot(
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
        raise rule_violation("the slot must end after it starts", "ordered", label, ["body", "end_at"])
    if start.second or start.microsecond or end.second or end.microsecond:
        raise rule_violation("slots start and end on whole minutes", "whole_minutes", label, loc)
    minutes = int((end - start).total_seconds() // 60)
    if minutes < instrument.min_booking_minutes:
        raise rule_violation(
            f"a booking lasts at least {instrument.min_booking_minutes} minutes", "min_length", label, loc
        )
    if minutes > instrument.max_booking_minutes:
        raise rule_violation(
            f"a booking lasts at most {instrument.max_booking_minutes} minutes", "max_length", label, loc
        )
    if start < at + timedelta(hours=instrument.lead_time_hours):
        raise rule_violation(f"book at least {instrument.lead_time_hours} hours ahead", "lead_time", label, loc)
    if start > at + timedelta(days=instrument.max_advance_days):
        raise rule_violation(f"book at most {instrument.max_advance_days} days ahead", "advance_window", label, loc)
    weekly = [(h.weekday, h.opens_minute, h.closes_minute) for h in instrument.opening_hours]
    if availability.opening_intervals(weekly, instrument.timezone, start, end) != [(start, end)]:
        raise rule_violation("the slot is outside the opening hours", "opening_hours", label, loc)
    blackout = await session.scalar(
        select(InstrumentBlackout).where(
            InstrumentBlackout.instrument_id == instrument.id,
            InstrumentBlackout.starts_at < end,
            InstrumentBlackout.ends_at > start,
        )
    )
    if blackout is not None:
        raise rule_violation(
            f"the instrument is under maintenance from {blackout.starts_at.isoformat()} "
            f"to {blackout.ends_at.isoformat()}",
            "blackout",
            label,
            loc,
        )


def requested_slots(request: BookingInput) -> list[tuple[datetime, datetime]] | None:
    """The slots asked for in UTC (one, or each week of a series), or None for a sample booking without one."""
    start, end = request.start_at, request.end_at
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise Invalid("give both start_at and end_at", loc=["body", "start_at" if start is None else "end_at"])
    start, end = utc(start), utc(end)
    count = request.weekly_occurrences or 1
    return [(start + timedelta(weeks=i), end + timedelta(weeks=i)) for i in range(count)]


def local_date(instrument: Instrument, when: datetime) -> date:
    """The calendar day of `when` in the instrument's time zone."""
    return when.astimezone(ZoneInfo(instrument.timezone)).date()


def local_date_text(instrument: Instrument, when: datetime) -> str:
    return local_date(instrument, when).isoformat()
