"""Organisations, users and their memberships."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import CentreCategory, InvitationStatus, OrganisationKind, Role


class Organisation(IdMixin, TimestampMixin, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'institute' AND parent_id IS NOT NULL) OR (kind <> 'institute' AND parent_id IS NULL)",
            name="institute_has_parent",
        ),
    )

    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "organisation_kind"))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    # 统一社会信用代码, GB 32100-2015, validated with its check character.
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    # Administrative division code (GB/T 2260), six digits: province, city, county.
    region: Mapped[str] = mapped_column(String(6), index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    centre_category: Mapped[CentreCategory | None] = mapped_column(enum_column(CentreCategory, "centre_category"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    description: Mapped[str | None] = mapped_column(String(4000))

    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id", lazy="raise")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="raise")


class Membership(IdMixin, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    organisation: Mapped[Organisation] = relationship(lazy="raise")


class MembershipInvitation(IdMixin, TimestampMixin, Base):
    """An administrator's offer of a role in an organisation to an e-mail address. The membership
    exists once the account with that e-mail accepts (`/me/invitations`); until then the inviting
    organisation learns nothing about the account, not even whether it exists."""

    __tablename__ = "membership_invitations"
    __table_args__ = (
        Index(
            "uq_membership_invitations_pending",
            "organisation_id",
            "email",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus, "invitation_status"), default=InvitationStatus.pending
    )
    responded_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="raise")
