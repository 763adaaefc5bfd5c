"""Technical problems posted by SMEs, their NDA acceptances, invitations, questions and proposals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin
from models.enums import ConfidentialityTier, ContractType, ProblemStatus, ProposalStatus, TechField
from models.organisations import Organisation, enum_column


class Problem(IdMixin, TimestampMixin, Base):
    """A technical problem (技术难题) an SME cannot solve alone; centres answer with proposals."""

    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint("budget_min_amount >= 0 AND budget_min_amount <= budget_max_amount", name="budget_range"),
        CheckConstraint("(confidentiality = 'nda') = (nda_terms IS NOT NULL)", name="nda_terms_iff_nda"),
        Index("ix_problems_status_deadline", "status", "deadline"),
    )

    sme_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    # What every provider that can see the problem reads, NDA or not.
    summary: Mapped[str] = mapped_column(String(1000))
    # The details: behind the NDA for the nda tier.
    description: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str | None] = mapped_column(Text)
    technical_field: Mapped[TechField] = mapped_column(enum_column(TechField, "tech_field"), index=True)
    budget_min_amount: Mapped[int] = mapped_column(BigInteger)
    budget_max_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Last moment for proposals and for an award; afterwards the problem is expired.
    deadline: Mapped[datetime]
    # References to files kept elsewhere: [{"name", "url", "media_type", "size_bytes"}].
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    confidentiality: Mapped[ConfidentialityTier] = mapped_column(
        enum_column(ConfidentialityTier, "confidentiality_tier")
    )
    nda_terms: Mapped[str | None] = mapped_column(Text)
    # The SME's name is hidden from providers until it accepts a proposal (then shown to the winner).
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[ProblemStatus] = mapped_column(
        enum_column(ProblemStatus, "problem_status"), default=ProblemStatus.open
    )
    awarded_at: Mapped[datetime | None]
    awarded_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(1000))


class ProblemInvitation(IdMixin, TimestampMixin, Base):
    """A provider invited to an invite-only problem (the centre's invitation extends to its institutes)."""

    __tablename__ = "problem_invitations"
    __table_args__ = (UniqueConstraint("problem_id", "organisation_id"),)

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class NdaAcceptance(IdMixin, TimestampMixin, Base):
    """A provider organisation accepted a problem's NDA terms: who, when, and which text."""

    __tablename__ = "nda_acceptances"
    __table_args__ = (UniqueConstraint("problem_id", "organisation_id"),)

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    accepted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    accepted_at: Mapped[datetime]
    # SHA-256 (hex) of the NDA text accepted, so the record proves which terms were agreed.
    terms_sha256: Mapped[str] = mapped_column(String(64))


class ProblemQuestion(IdMixin, TimestampMixin, Base):
    """A provider's clarifying question and the SME's answer."""

    __tablename__ = "problem_questions"

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    asker_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    asked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    answered_at: Mapped[datetime | None]


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
