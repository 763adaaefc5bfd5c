"""Shared instruments (共享仪器): a listing kind with rate cards, booking rules, opening hours and blackouts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.catalogue import Listing
from models.enums import (
    CustomerTier,
    ListingKind,
    MembershipTier,
    OperationMode,
    RateUnit,
)


@dataclass(frozen=True)
class BookingRules:
    """An instrument's booking rules, read by the bookings area; the defaults are a new instrument's.

    The one definition of those defaults: the columns below take theirs from `DEFAULT_RULES`, and
    so do the service's input (services/instruments.py) and the wire schema (api/schemas/instruments.py).
    """

    min_booking_minutes: int = 30
    max_booking_minutes: int = 480
    lead_time_hours: int = 24
    max_advance_days: int = 60
    requires_confirmation: bool = True
    operation_mode: OperationMode = OperationMode.operator_assisted
    training_required: bool = False
    # Cancellation policy: free until N hours before the start, then a fee of the price in bps.
    free_cancellation_hours: int = 24
    cancellation_fee_bps: int = 5000
    no_show_fee_bps: int = 10000


DEFAULT_RULES = BookingRules()
_R = DEFAULT_RULES


def _int_rule(default: int) -> MappedColumn[int]:
    return mapped_column(Integer, default=default, server_default=str(default))


def _flag_rule(default: bool) -> MappedColumn[bool]:
    return mapped_column(Boolean, default=default, server_default=true() if default else false())


class Instrument(Listing):
    __tablename__ = "instruments"
    __table_args__: tuple[Any, ...] = (
        CheckConstraint("min_booking_minutes > 0", name="min_booking_positive"),
        CheckConstraint("max_booking_minutes >= min_booking_minutes", name="max_not_below_min"),
        CheckConstraint("lead_time_hours >= 0", name="lead_time_not_negative"),
        CheckConstraint("max_advance_days > 0", name="max_advance_positive"),
        CheckConstraint("free_cancellation_hours >= 0", name="free_cancellation_not_negative"),
        CheckConstraint("cancellation_fee_bps BETWEEN 0 AND 10000", name="cancellation_fee_bps_range"),
        CheckConstraint("no_show_fee_bps BETWEEN 0 AND 10000", name="no_show_fee_bps_range"),
    )
    # Class configuration, which SQLAlchemy's typing declares an instance attribute.
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.instrument}  # type: ignore[misc]

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str | None] = mapped_column(String(100))
    maker: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    # [{"name": "分辨率", "value": "0.8", "unit": "nm"}, ...]
    specifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The centre's IANA zone, copied when the instrument is created (opening hours are local).
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    # Booking rules (BookingRules above), read by the bookings area.
    min_booking_minutes: Mapped[int] = _int_rule(_R.min_booking_minutes)
    max_booking_minutes: Mapped[int] = _int_rule(_R.max_booking_minutes)
    lead_time_hours: Mapped[int] = _int_rule(_R.lead_time_hours)
    max_advance_days: Mapped[int] = _int_rule(_R.max_advance_days)
    requires_confirmation: Mapped[bool] = _flag_rule(_R.requires_confirmation)
    operation_mode: Mapped[OperationMode] = mapped_column(
        enum_column(OperationMode, "operation_mode"), default=_R.operation_mode
    )
    training_required: Mapped[bool] = _flag_rule(_R.training_required)
    free_cancellation_hours: Mapped[int] = _int_rule(_R.free_cancellation_hours)
    cancellation_fee_bps: Mapped[int] = _int_rule(_R.cancellation_fee_bps)
    no_show_fee_bps: Mapped[int] = _int_rule(_R.no_show_fee_bps)

    rates: Mapped[list[InstrumentRate]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True, order_by="InstrumentRate.id"
    )
    discounts: Mapped[list[InstrumentMembershipDiscount]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True, order_by="InstrumentMembershipDiscount.tier"
    )
    opening_hours: Mapped[list[InstrumentOpeningHours]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(InstrumentOpeningHours.weekday, InstrumentOpeningHours.opens_minute)",
    )


class InstrumentRate(IdMixin, Base):
    """One line of the rate card: a price per hour or per sample for a customer tier."""

    __tablename__ = "instrument_rates"
    __table_args__: tuple[Any, ...] = (
        UniqueConstraint("instrument_id", "tier", "unit"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), index=True)
    tier: Mapped[CustomerTier] = mapped_column(enum_column(CustomerTier, "customer_tier"))
    unit: Mapped[RateUnit] = mapped_column(enum_column(RateUnit, "rate_unit"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")


class InstrumentMembershipDiscount(Base):
    """The discount an SME with a membership tier at the owning centre gets on this instrument."""

    __tablename__ = "instrument_membership_discounts"
    __table_args__: tuple[Any, ...] = (CheckConstraint("discount_bps BETWEEN 0 AND 10000", name="discount_bps_range"),)

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[MembershipTier] = mapped_column(enum_column(MembershipTier, "membership_tier"), primary_key=True)
    discount_bps: Mapped[int] = mapped_column(Integer)


class InstrumentOpeningHours(IdMixin, Base):
    """A weekly opening interval in the instrument's local time: weekday 0 = Monday, minutes since midnight."""

    __tablename__ = "instrument_opening_hours"
    __table_args__: tuple[Any, ...] = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440 AND opens_minute < closes_minute", name="span"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_minute: Mapped[int] = mapped_column(SmallInteger)
    closes_minute: Mapped[int] = mapped_column(SmallInteger)


class InstrumentBlackout(IdMixin, TimestampMixin, Base):
    """A maintenance window [starts_at, ends_at) in UTC when the instrument cannot be booked."""

    __tablename__ = "instrument_blackouts"
    __table_args__: tuple[Any, ...] = (
        CheckConstraint("starts_at < ends_at", name="ordered"),
        Index("ix_instrument_blackouts_instrument_span", "instrument_id", "starts_at", "ends_at"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
