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
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, enum_column
from models.enums import ConfidentialityTier, ProblemStatus, TechField


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
