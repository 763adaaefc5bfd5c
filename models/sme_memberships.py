"""SME membership tiers with a centre (会员制), which give rate discounts."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import (
    MembershipTier,
)


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
