"""Proposals (方案): a centre's answer to a problem or a service request, with every revision kept."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import ContractType, ProposalStatus
from models.organisations import Organisation


class Proposal(IdMixin, TimestampMixin, Base):
    """A provider's offer to solve a problem (or, later, to answer a service request).

    The current terms live on the row (so lists sort by price and duration); every revision,
    the first included, is kept in `proposal_revisions` with its milestones.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        # The parent is a problem or (issue 4 item 4, added with service offers) a service request.
        CheckConstraint("(problem_id IS NULL) <> (service_request_id IS NULL)", name="one_parent"),
        CheckConstraint("price_amount > 0", name="price_positive"),
        CheckConstraint("duration_days > 0", name="duration_positive"),
        # One live proposal per organisation per problem.
        Index(
            "uq_proposals_live_per_org",
            "problem_id",
            "provider_org_id",
            unique=True,
            postgresql_where=text("status IN ('submitted', 'accepted')"),
            sqlite_where=text("status IN ('submitted', 'accepted')"),
        ),
        # One live proposal per service request (a request names a single provider).
        Index(
            "uq_proposals_live_per_request",
            "service_request_id",
            unique=True,
            postgresql_where=text("status IN ('submitted', 'accepted')"),
            sqlite_where=text("status IN ('submitted', 'accepted')"),
        ),
        # At most one accepted proposal per problem, whatever the concurrency.
        Index(
            "uq_proposals_one_accepted",
            "problem_id",
            unique=True,
            postgresql_where=text("status = 'accepted'"),
            sqlite_where=text("status = 'accepted'"),
        ),
    )

    problem_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("problems.id", ondelete="RESTRICT"), index=True)
    service_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    provider_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status"), default=ProposalStatus.submitted
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    approach: Mapped[str] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    duration_days: Mapped[int] = mapped_column(Integer)
    contract_type: Mapped[ContractType] = mapped_column(enum_column(ContractType, "contract_type"))
    valid_until: Mapped[datetime]
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    withdrawn_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]

    provider_org: Mapped[Organisation] = relationship(lazy="raise")
    revisions: Mapped[list[ProposalRevision]] = relationship(
        lazy="raise", order_by="ProposalRevision.revision", back_populates="proposal"
    )


class ProposalRevision(IdMixin, TimestampMixin, Base):
    """One version of a proposal's terms, immutable once written."""

    __tablename__ = "proposal_revisions"
    __table_args__ = (UniqueConstraint("proposal_id", "revision"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approach: Mapped[str] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    duration_days: Mapped[int] = mapped_column(Integer)
    contract_type: Mapped[ContractType] = mapped_column(enum_column(ContractType, "contract_type"))
    valid_until: Mapped[datetime]
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(1000))

    proposal: Mapped[Proposal] = relationship(lazy="raise", back_populates="revisions")
    milestones: Mapped[list[ProposalMilestone]] = relationship(
        lazy="raise", order_by="ProposalMilestone.seq", back_populates="revision_row"
    )


class ProposalMilestone(IdMixin, Base):
    """A milestone of one proposal revision; the amounts of a revision sum to its price."""

    __tablename__ = "proposal_milestones"
    __table_args__ = (
        UniqueConstraint("revision_id", "seq"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("due_offset_days > 0", name="due_offset_positive"),
    )

    revision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("proposal_revisions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    due_offset_days: Mapped[int] = mapped_column(Integer)

    revision_row: Mapped[ProposalRevision] = relationship(lazy="raise", back_populates="milestones")
