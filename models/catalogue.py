"""The catalogue: pilot-scale results, shared instruments and service offers, one `listings` row each.

Joined-table inheritance: `listings` holds what every kind shares (owner, status, texts, price,
the segmented search text) so one search covers all three; each kind adds its own table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import (
    ListingKind,
    ListingStatus,
    TechField,
)


class Listing(IdMixin, TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__: tuple[Any, ...] = (
        CheckConstraint("price_amount IS NULL OR price_amount >= 0", name="price_not_negative"),
        Index("ix_listings_status_published", "status", "published_at", "id"),
        Index("ix_listings_status_price", "status", "price_amount", "id"),
        Index("ix_listings_publication_seq", "publication_seq", unique=True),
    )
    # Class configuration, which SQLAlchemy's typing declares an instance attribute.
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_on": "kind"}  # type: ignore[misc]

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


class ListingField(Base):
    """One technical field of a listing, for the search filter (the list itself is in `fields`)."""

    __tablename__ = "listing_fields"
    __table_args__: tuple[Any, ...] = (Index("ix_listing_fields_field_listing", "field", "listing_id"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[TechField] = mapped_column(enum_column(TechField, "tech_field"), primary_key=True)
