"""The catalogue: pilot-scale results, shared instruments and service offers, one `listings` row each.

Joined-table inheritance: `listings` holds what every kind shares (owner, status, texts, price,
the segmented search text) so one search covers all three; each kind adds its own table.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin
from models.enums import (
    CustomerTier,
    ListingKind,
    ListingStatus,
    MembershipTier,
    OperationMode,
    PriceModel,
    RateUnit,
    ServiceKind,
    TechField,
    TransferMode,
)
from models.organisations import enum_column


class Listing(IdMixin, TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_amount IS NULL OR price_amount >= 0", name="price_not_negative"),
        Index("ix_listings_status_published", "status", "published_at", "id"),
        Index("ix_listings_status_price", "status", "price_amount", "id"),
        Index("ix_listings_publication_seq", "publication_seq", unique=True),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_on": "kind"}

    kind: Mapped[ListingKind] = mapped_column(enum_column(ListingKind, "listing_kind"))
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, "listing_status"), default=ListingStatus.draft
    )
    # The centre or institute that owns the listing, and its centre (itself, or an institute's parent).
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(300))
    abstract: Mapped[str] = mapped_column(Text)
    abstract_en: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The headline price in minor units: a result's asking price, an offer's price, an instrument's
    # SME rate. NULL means negotiable / quote on request.
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str] = mapped_column(String(3), default="CNY", server_default="CNY")
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    # Space-separated jieba tokens of the texts above (services/search.py); PostgreSQL indexes it
    # with to_tsvector('simple', ...) + GIN, SQLite copies it into the FTS5 table by trigger.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The jieba tokens of the titles alone: relevance puts listings with every query word in a title
    # first (PostgreSQL: generated title_tsv + RUM index; SQLite: the FTS5 table's title column).
    title_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Set from a sequence each time the listing is published (unique, increasing): search pages
    # newest-first by it, and PostgreSQL's RUM indexes keep their posting lists in its order.
    publication_seq: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def price(self) -> dict[str, Any] | None:
        """The headline price as {amount, currency}, or None when negotiable / on request."""
        if self.price_amount is None:
            return None
        return {"amount": self.price_amount, "currency": self.price_currency}


class ListingField(Base):
    """One technical field of a listing, for the search filter (the list itself is in `fields`)."""

    __tablename__ = "listing_fields"
    __table_args__ = (Index("ix_listing_fields_field_listing", "field", "listing_id"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[TechField] = mapped_column(enum_column(TechField, "tech_field"), primary_key=True)


class PilotResult(Listing):
    __tablename__ = "pilot_results"
    __table_args__ = (CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.pilot_result}

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    trl: Mapped[int] = mapped_column(SmallInteger, index=True)
    pilot_scale: Mapped[str | None] = mapped_column(String(200))
    # [{"name": "比容量", "value": "205", "unit": "mAh/g"}, ...]
    key_metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"number": "ZL202310123456.6", "status": "granted", "title": "..."}, ...]
    ip_assets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transfer_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_negotiable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PilotResultTransferMode(Base):
    """One transfer mode a result offers, for the search filter."""

    __tablename__ = "pilot_result_transfer_modes"
    __table_args__ = (Index("ix_pilot_result_transfer_modes_mode_result", "mode", "pilot_result_id"),)

    pilot_result_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pilot_results.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[TransferMode] = mapped_column(enum_column(TransferMode, "transfer_mode"), primary_key=True)


class Instrument(Listing):
    __tablename__ = "instruments"
    __table_args__ = (
        CheckConstraint("min_booking_minutes > 0", name="min_booking_positive"),
        CheckConstraint("max_booking_minutes >= min_booking_minutes", name="max_not_below_min"),
        CheckConstraint("lead_time_hours >= 0", name="lead_time_not_negative"),
        CheckConstraint("max_advance_days > 0", name="max_advance_positive"),
        CheckConstraint("free_cancellation_hours >= 0", name="free_cancellation_not_negative"),
        CheckConstraint("cancellation_fee_bps BETWEEN 0 AND 10000", name="cancellation_fee_bps_range"),
        CheckConstraint("no_show_fee_bps BETWEEN 0 AND 10000", name="no_show_fee_bps_range"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.instrument}

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str | None] = mapped_column(String(100))
    maker: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    # [{"name": "分辨率", "value": "0.8", "unit": "nm"}, ...]
    specifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The centre's IANA zone, copied when the instrument is created (opening hours are local).
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    # Booking rules, read by the bookings area.
    min_booking_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    max_booking_minutes: Mapped[int] = mapped_column(Integer, default=480, server_default="480")
    lead_time_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    max_advance_days: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    requires_confirmation: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    operation_mode: Mapped[OperationMode] = mapped_column(
        enum_column(OperationMode, "operation_mode"), default=OperationMode.operator_assisted
    )
    training_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Cancellation policy: free until N hours before the start, then a fee of the price in bps.
    free_cancellation_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    cancellation_fee_bps: Mapped[int] = mapped_column(Integer, default=5000, server_default="5000")
    no_show_fee_bps: Mapped[int] = mapped_column(Integer, default=10000, server_default="10000")

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
    __table_args__ = (
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
    __table_args__ = (CheckConstraint("discount_bps BETWEEN 0 AND 10000", name="discount_bps_range"),)

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[MembershipTier] = mapped_column(enum_column(MembershipTier, "membership_tier"), primary_key=True)
    discount_bps: Mapped[int] = mapped_column(Integer)


class InstrumentOpeningHours(IdMixin, Base):
    """A weekly opening interval in the instrument's local time: weekday 0 = Monday, minutes since midnight."""

    __tablename__ = "instrument_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440 AND opens_minute < closes_minute", name="span"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_minute: Mapped[int] = mapped_column(SmallInteger)
    closes_minute: Mapped[int] = mapped_column(SmallInteger)

    @property
    def opens(self) -> str:
        return f"{self.opens_minute // 60:02d}:{self.opens_minute % 60:02d}"

    @property
    def closes(self) -> str:
        return f"{self.closes_minute // 60:02d}:{self.closes_minute % 60:02d}"


class InstrumentBlackout(IdMixin, TimestampMixin, Base):
    """A maintenance window [starts_at, ends_at) in UTC when the instrument cannot be booked."""

    __tablename__ = "instrument_blackouts"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ordered"),
        Index("ix_instrument_blackouts_instrument_span", "instrument_id", "starts_at", "ends_at"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ServiceOffer(Listing):
    __tablename__ = "service_offers"
    __table_args__ = (CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time_range"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.service_offer}

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    service_kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind, "service_kind"), index=True)
    price_model: Mapped[PriceModel] = mapped_column(enum_column(PriceModel, "price_model"))
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    deliverables: Mapped[list[str]] = mapped_column(JSON, default=list)


class Attachment(IdMixin, TimestampMixin, Base):
    """A file attached to a listing (datasheet, image), stored under the attachments directory."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SmeMembership(IdMixin, TimestampMixin, Base):
    """会员制: an SME's membership tier with a centre, valid on [valid_from, valid_until] (dates inclusive)."""

    __tablename__ = "sme_memberships"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_from <= valid_until", name="validity_ordered"),
        Index("ix_sme_memberships_centre_sme", "centre_id", "sme_id", "valid_from"),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    sme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    tier: Mapped[MembershipTier] = mapped_column(enum_column(MembershipTier, "membership_tier"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
