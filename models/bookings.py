"""Instrument bookings: a customer's slot (or samples) on an instrument, with its price frozen.

Trainings record who may operate an instrument; the waitlist holds parties waiting for a taken
slot; the calendar feed keeps only the SHA-256 of its secret link.

No double booking is enforced by the database (see the bookings migration): on PostgreSQL an
exclusion constraint over `tstzrange(start_at, end_at, '[)')` partial on the slot-holding states,
on SQLite BEFORE INSERT / UPDATE triggers raising `booking_overlap`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import BookingState, ChargeKind, CustomerTier, MembershipTier, RateUnit, WaitlistState


class Booking(IdMixin, TimestampMixin, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("(start_at IS NULL) = (end_at IS NULL)", name="slot_complete"),
        CheckConstraint("start_at IS NULL OR start_at < end_at", name="slot_ordered"),
        CheckConstraint("sample_count IS NULL OR sample_count > 0", name="sample_count_positive"),
        CheckConstraint("start_at IS NOT NULL OR sample_count IS NOT NULL", name="slot_or_samples"),
        CheckConstraint("unit_rate_amount >= 0 AND quoted_amount >= 0", name="price_not_negative"),
        CheckConstraint("discount_bps BETWEEN 0 AND 10000", name="discount_bps_range"),
        CheckConstraint("charge_amount IS NULL OR charge_amount >= 0", name="charge_not_negative"),
        Index("ix_bookings_instrument_start", "instrument_id", "start_at"),
        Index("ix_bookings_customer_created", "customer_org_id", "created_at"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="RESTRICT"))
    # The instrument's owner (centre or institute) and its centre, copied for scoping and billing.
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    customer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # Who will use the instrument (the booker, or the user staff booked for), and the staff user
    # who booked on the customer's behalf.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    staff_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[BookingState] = mapped_column(enum_column(BookingState, "booking_state"))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    sample_count: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(Text)
    series_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    # Price snapshot, frozen at booking: later rate-card or policy changes do not touch it.
    customer_tier: Mapped[CustomerTier] = mapped_column(enum_column(CustomerTier, "customer_tier"))
    unit: Mapped[RateUnit] = mapped_column(enum_column(RateUnit, "rate_unit"))
    unit_rate_amount: Mapped[int] = mapped_column(BigInteger)  # per hour or per sample, before discount
    currency: Mapped[str] = mapped_column(String(3))
    membership_tier: Mapped[MembershipTier | None] = mapped_column(enum_column(MembershipTier, "membership_tier"))
    discount_bps: Mapped[int] = mapped_column(Integer)
    min_billed_quantity: Mapped[int] = mapped_column(Integer)  # minutes (hourly) or samples
    booked_quantity: Mapped[int] = mapped_column(Integer)  # minutes of the slot, or samples asked for
    quoted_amount: Mapped[int] = mapped_column(BigInteger)
    free_cancellation_hours: Mapped[int] = mapped_column(Integer)
    cancellation_fee_bps: Mapped[int] = mapped_column(Integer)
    no_show_fee_bps: Mapped[int] = mapped_column(Integer)

    # Outcome.
    actual_quantity: Mapped[int | None] = mapped_column(Integer)  # minutes or samples used
    final_amount: Mapped[int | None] = mapped_column(BigInteger)
    cancellation_fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    # What is owed, set once by services.bookings.record_charge (the settlement seam).
    charge_kind: Mapped[ChargeKind | None] = mapped_column(enum_column(ChargeKind, "charge_kind"))
    charge_amount: Mapped[int | None] = mapped_column(BigInteger)
    charged_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))  # rejection or cancellation reason
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]  # completed, no-show, cancelled or rejected
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InstrumentTraining(IdMixin, TimestampMixin, Base):
    """Centre staff record that a user is trained on an instrument, until an optional expiry."""

    __tablename__ = "instrument_trainings"
    __table_args__ = (
        CheckConstraint("expires_at IS NULL OR trained_at < expires_at", name="expiry_after_training"),
        Index("ix_instrument_trainings_instrument_user", "instrument_id", "user_id"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    trained_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WaitlistEntry(IdMixin, TimestampMixin, Base):
    """A party waiting for a taken slot [start_at, end_at) of an instrument."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered"),
        Index("ix_waitlist_entries_instrument_state", "instrument_id", "state", "created_at"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    customer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    state: Mapped[WaitlistState] = mapped_column(enum_column(WaitlistState, "waitlist_state"))
    notified_at: Mapped[datetime | None]


class InstrumentCalendarFeed(TimestampMixin, Base):
    """The secret link of an instrument's busy-time calendar; only the token's SHA-256 is kept."""

    __tablename__ = "instrument_calendar_feeds"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OrganisationBookingFeed(TimestampMixin, Base):
    """The secret link of an SME's own bookings calendar; only the token's SHA-256 is kept."""

    __tablename__ = "organisation_booking_feeds"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
