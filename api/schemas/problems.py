"""Technical problems, invitations, NDA acceptances and clarifying questions on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AnyHttpUrl, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import InputModel, Instant, Money, MoneyIn, OutputModel, PatchModel
from models.enums import ConfidentialityTier, OrganisationKind, ProblemStatus, TechField
from services import problems

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
T = TypeVar("T")


def _positive_money(value: Money) -> Money:
    if value.amount < 0:
        raise ValueError("amount must not be negative")
    return value


class AttachmentLink(InputModel):
    """A reference to a file kept in the organisation's document store (uploads are not proxied here)."""

    name: Title
    url: AnyHttpUrl
    media_type: Annotated[str, StringConstraints(max_length=100)] | None = None
    size_bytes: Annotated[int, Field(ge=0, le=2**40)] | None = None

    def to_link(self) -> problems.AttachmentLink:
        return problems.AttachmentLink(
            name=self.name, url=str(self.url), media_type=self.media_type, size_bytes=self.size_bytes
        )


class AttachmentLinkRead(OutputModel):
    name: str
    url: str
    media_type: str | None = None
    size_bytes: int | None = None


Attachments = Annotated[list[AttachmentLink], Field(max_length=20)]


class BudgetRange(InputModel):
    """What the SME expects to pay: `min` ≤ `max`, same currency."""

    min: Annotated[MoneyIn, AfterValidator(_positive_money)]
    max: Annotated[MoneyIn, AfterValidator(_positive_money)]

    @model_validator(mode="after")
    def _ordered(self) -> BudgetRange:
        if self.min.currency != self.max.currency:
            raise ValueError("min and max must be in the same currency")
        if self.min.amount > self.max.amount:
            raise ValueError("min must not exceed max")
        return self

    def to_budget(self) -> problems.Budget:
        return problems.Budget(min_amount=self.min.amount, max_amount=self.max.amount, currency=self.min.currency)


class ProblemCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "高镍三元正极材料高温循环衰减问题",
                    "summary": "NCM811 正极在 45℃ 循环 500 次后容量保持率低于 80%，寻求包覆或掺杂改性方案。",
                    "description": "现有工艺为共沉淀前驱体加高温固相烧结；需在不改变主产线的前提下提升高温循环寿命。",
                    "technical_field": "new_materials",
                    "budget": {
                        "min": {"amount": 50000000, "currency": "CNY"},
                        "max": {"amount": 120000000, "currency": "CNY"},
                    },
                    "deadline": "2027-01-15T18:00:00+08:00",
                    "confidentiality": "public",
                }
            ]
        }
    )

    organisation_id: uuid.UUID | None = Field(
        default=None, description="The SME posting it; needed only when you work for several SMEs"
    )
    title: Title
    summary: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="Shown to every provider that can see the problem, also before an NDA is accepted"
    )
    description: LongText = Field(description="The details; for the `nda` tier only after the NDA is accepted")
    desired_outcome: LongText | None = None
    technical_field: TechField = Field(description="One of the eight high-tech fields, as in the catalogue")
    budget: BudgetRange
    deadline: Instant = Field(description="Last moment for proposals and for an award; must carry an offset")
    attachments: Attachments = Field(default_factory=list)
    confidentiality: ConfidentialityTier
    nda_terms: LongText | None = Field(default=None, description="Required for the `nda` tier, refused otherwise")
    anonymous: bool = Field(default=False, description="Hide the SME's name from providers until it accepts a proposal")
    invited_organisation_ids: Annotated[list[uuid.UUID], Field(max_length=50)] = Field(
        default_factory=list, description="Centres or institutes invited (`invite_only` tier only)"
    )

    def to_input(self) -> problems.ProblemInput:
        return problems.ProblemInput(
            organisation_id=self.organisation_id,
            title=self.title,
            summary=self.summary,
            description=self.description,
            desired_outcome=self.desired_outcome,
            technical_field=self.technical_field,
            budget=self.budget.to_budget(),
            deadline=self.deadline,
            attachments=[a.to_link() for a in self.attachments],
            confidentiality=self.confidentiality,
            nda_terms=self.nda_terms,
            anonymous=self.anonymous,
            invited_organisation_ids=self.invited_organisation_ids,
        )


class ProblemUpdate(PatchModel):
    """Changes to an open problem; the tier, NDA text and anonymity are fixed at posting."""

    title: Title | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    description: LongText | None = None
    desired_outcome: LongText | None = None
    technical_field: TechField | None = None
    budget: BudgetRange | None = None
    deadline: Instant | None = None
    attachments: Attachments | None = None

    @classmethod
    def not_null_fields(cls) -> tuple[str, ...]:
        return ("title", "summary", "description", "technical_field", "budget", "deadline", "attachments")

    def to_changes(self) -> problems.ProblemChanges:
        """The fields sent, as the service's changes; a field not sent stays unset. Only
        `desired_outcome` may be sent as null (to clear it), so None means "not sent" for the rest."""
        return problems.ProblemChanges(
            title=_sent(self.title),
            summary=_sent(self.summary),
            description=_sent(self.description),
            desired_outcome=self.desired_outcome if "desired_outcome" in self.model_fields_set else problems.UNSET,
            technical_field=_sent(self.technical_field),
            budget=self.budget.to_budget() if self.budget is not None else problems.UNSET,
            deadline=_sent(self.deadline),
            attachments=[a.to_link() for a in self.attachments] if self.attachments is not None else problems.UNSET,
        )


def _sent(value: T | None) -> T | problems.Unset:
    return problems.UNSET if value is None else value


class ProblemClose(InputModel):
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


class OrganisationRef(OutputModel):
    id: uuid.UUID
    name: str
    name_en: str | None = None
    kind: OrganisationKind


class BudgetRead(OutputModel):
    min: Money
    max: Money

    @model_validator(mode="before")
    @classmethod
    def _from_budget(cls, data: Any) -> Any:
        if isinstance(data, problems.Budget):
            return {
                "min": Money(amount=data.min_amount, currency=data.currency),
                "max": Money(amount=data.max_amount, currency=data.currency),
            }
        return data


class ProblemRead(OutputModel):
    """A problem as the caller may see it. Fields behind the NDA are null (attachments empty) until the
    caller's organisation accepts it; `sme` is null while the SME stays hidden from the caller."""

    # Read from services.problems.ProblemView, which is already redacted for the caller.

    id: uuid.UUID
    title: str
    summary: str
    technical_field: TechField
    confidentiality: ConfidentialityTier
    status: ProblemStatus = Field(description="Effective status: `expired` as soon as the deadline has passed")
    deadline: datetime
    nda_terms: str | None = Field(description="The NDA text to accept (`nda` tier)")
    anonymous: bool
    details_visible: bool = Field(description="False while the NDA stands between the caller and the details")
    nda_accepted: bool = Field(description="The caller's organisation has accepted the NDA")
    is_owner: bool = Field(description="The caller belongs to the posting SME")
    sme: OrganisationRef | None
    description: str | None
    desired_outcome: str | None
    budget: BudgetRead | None
    attachments: list[AttachmentLinkRead]
    created_at: datetime
    updated_at: datetime
    awarded_at: datetime | None
    closed_at: datetime | None


class InvitationCreate(InputModel):
    organisation_id: uuid.UUID = Field(description="A centre or institute; a centre's invitation covers its institutes")


class ProblemInvitationRead(OutputModel):
    """A centre or institute invited to a problem (not MemberInvitationRead: a person invited to join)."""

    id: uuid.UUID
    problem_id: uuid.UUID
    organisation_id: uuid.UUID
    invited_by: uuid.UUID
    created_at: datetime


class NdaAcceptanceCreate(InputModel):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The centre or institute accepting; needed only when you work for several"
    )


class NdaAcceptanceRead(OutputModel):
    id: uuid.UUID
    problem_id: uuid.UUID
    organisation_id: uuid.UUID
    accepted_by: uuid.UUID
    accepted_at: datetime
    terms_sha256: str = Field(description="SHA-256 (hex) of the NDA text accepted")


class QuestionCreate(InputModel):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The centre or institute asking; needed only when you work for several"
    )
    question: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class AnswerCreate(InputModel):
    answer: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class QuestionRead(OutputModel):
    """A clarifying question; `asker_*` are null except for the SME and the asker's own organisation."""

    id: uuid.UUID
    problem_id: uuid.UUID
    question: str
    asker_org_id: uuid.UUID | None
    asked_by: uuid.UUID | None
    answer: str | None
    answered_at: datetime | None
    created_at: datetime
