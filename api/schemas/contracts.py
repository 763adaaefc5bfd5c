"""Contracts on the wire: parties, IP terms, versions, signatures, milestones, events."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import BasisPoints, Day, InputModel, Money, MoneyIn, OutputModel
from models.contracts import Contract, ContractMilestone, ContractParty
from models.enums import (
    BilledOn,
    ContractEventKind,
    ContractPartyRole,
    ContractSource,
    ContractStatus,
    ContractType,
    ContractVersionStatus,
    LicenceKind,
    MilestoneStatus,
    NewIpBasis,
    RevenueSharesBasis,
    TeamRewardSource,
)
from services.contracts import (
    UNSET,
    AmendmentInput,
    Amount,
    BackgroundIpInput,
    ContractChanges,
    ContractInput,
    IpTermsInput,
    LicenceInput,
    MilestoneInput,
    ShareInput,
    Unset,
)

T = TypeVar("T")

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$", description="Lower-case hex SHA-256")]


def _amount(money: Money | None) -> Amount | None:
    return None if money is None else Amount(amount=money.amount, currency=money.currency)


def _given(body: BaseModel, name: str, value: T) -> T | Unset:
    """`value` when the body sets `name`, else UNSET: a change leaves the fields it omits as they are."""
    assert name in type(body).model_fields, name
    return value if name in body.model_fields_set else UNSET


class MilestoneIn(InputModel):
    title: Text200
    amount: MoneyIn
    due_offset_days: Annotated[int | None, Field(ge=0, le=3650, description="Days after the start date")] = None
    billed_on: BilledOn = Field(
        default=BilledOn.acceptance,
        description="When the amount becomes owed: on acceptance of the delivery (default), or as an advance "
        "(预付款) when the contract comes into force (deferred revenue until accepted)",
    )

    def to_input(self) -> MilestoneInput:
        return MilestoneInput(
            title=self.title,
            amount=self.amount.amount,
            currency=self.amount.currency,
            due_offset_days=self.due_offset_days,
            billed_on=self.billed_on,
        )


def _milestones(milestones: list[MilestoneIn] | None) -> list[MilestoneInput] | None:
    return None if milestones is None else [m.to_input() for m in milestones]


class ContractCreate(InputModel):
    contract_type: ContractType
    title: Text200
    scope: Annotated[
        str | None, Field(max_length=20000, description="标的与范围: what is to be done or transferred")
    ] = None
    provider_org_id: uuid.UUID | None = Field(
        default=None, description="The centre or institute; may be omitted when you act for exactly one"
    )
    client_org_id: uuid.UUID = Field(description="The SME")
    co_builder_org_ids: Annotated[list[uuid.UUID], Field(max_length=20)] = Field(
        default_factory=list, description="共建单位 bound by the contract (universities, institutes, firms)"
    )
    value: MoneyIn
    technology_portion: MoneyIn | None = Field(default=None, description="技术性收入: the technology part of the value")
    start_date: Day | None = None
    end_date: Day | None = Field(default=None, description="Exclusive end")
    confidentiality_months: Annotated[int | None, Field(ge=0, le=1200)] = None
    pilot_result_id: uuid.UUID | None = Field(
        default=None, description="A pilot-scale result of the provider to transfer or license (transfer/licence only)"
    )
    milestones: Annotated[list[MilestoneIn], Field(min_length=1, max_length=50)]

    def to_input(self) -> ContractInput:
        return ContractInput(
            contract_type=self.contract_type,
            title=self.title,
            client_org_id=self.client_org_id,
            value=Amount(amount=self.value.amount, currency=self.value.currency),
            milestones=[m.to_input() for m in self.milestones],
            scope=self.scope,
            provider_org_id=self.provider_org_id,
            co_builder_org_ids=self.co_builder_org_ids,
            technology_portion=_amount(self.technology_portion),
            start_date=self.start_date,
            end_date=self.end_date,
            confidentiality_months=self.confidentiality_months,
            pilot_result_id=self.pilot_result_id,
        )


class ContractUpdate(InputModel):
    """Draft fields (409 once anyone signed) and the registration fields (any time: not in the signed text)."""

    title: Text200 | None = None
    scope: Annotated[str | None, Field(max_length=20000)] = None
    co_builder_org_ids: Annotated[list[uuid.UUID] | None, Field(max_length=20)] = None
    value: MoneyIn | None = None
    technology_portion: MoneyIn | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    confidentiality_months: Annotated[int | None, Field(ge=0, le=1200)] = None
    milestones: Annotated[list[MilestoneIn] | None, Field(min_length=1, max_length=50)] = None
    registration_number: Annotated[str | None, Field(max_length=64, description="技术合同登记号")] = None
    registration_date: Day | None = None
    registration_registry: Annotated[
        str | None, Field(max_length=200, description="技术合同登记机构 (the registry)")
    ] = None
    vat_exempt: bool | None = Field(default=None, description="免征增值税 (技术转让、技术开发及相关咨询服务)")

    def to_changes(self) -> ContractChanges:
        """The fields the body sets; the others stay as they are."""
        return ContractChanges(
            title=_given(self, "title", self.title),
            scope=_given(self, "scope", self.scope),
            co_builder_org_ids=_given(self, "co_builder_org_ids", self.co_builder_org_ids),
            value=_given(self, "value", _amount(self.value)),
            technology_portion=_given(self, "technology_portion", _amount(self.technology_portion)),
            start_date=_given(self, "start_date", self.start_date),
            end_date=_given(self, "end_date", self.end_date),
            confidentiality_months=_given(self, "confidentiality_months", self.confidentiality_months),
            milestones=_given(self, "milestones", _milestones(self.milestones)),
            registration_number=_given(self, "registration_number", self.registration_number),
            registration_date=_given(self, "registration_date", self.registration_date),
            registration_registry=_given(self, "registration_registry", self.registration_registry),
            vat_exempt=_given(self, "vat_exempt", self.vat_exempt),
        )


class BackgroundIp(InputModel):
    organisation_id: uuid.UUID = Field(description="The party that brings it")
    pilot_result_id: uuid.UUID | None = None
    patent_numbers: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=100)] = Field(
        default_factory=list
    )
    description: Annotated[str | None, Field(max_length=2000)] = None

    def to_input(self) -> BackgroundIpInput:
        return BackgroundIpInput(
            organisation_id=self.organisation_id,
            pilot_result_id=self.pilot_result_id,
            patent_numbers=self.patent_numbers,
            description=self.description,
        )


class Share(InputModel):
    organisation_id: uuid.UUID
    bps: BasisPoints

    def to_input(self) -> ShareInput:
        return ShareInput(organisation_id=self.organisation_id, bps=self.bps)


class LicenceGrant(InputModel):
    licensee_org_id: uuid.UUID
    kind: LicenceKind
    pilot_result_id: uuid.UUID | None = Field(default=None, description="Defaults to the contract's pilot result")
    field_of_use: Annotated[
        str, Field(min_length=1, max_length=200, description='"all fields" / "全部领域" = every field')
    ]
    territory: Annotated[
        str, Field(min_length=1, max_length=200, description='"worldwide" / "全球" / "全国" = everywhere')
    ]
    starts_on: Day
    ends_on: Day | None = Field(default=None, description="Exclusive end; null until the rights lapse")
    sublicensable: bool = False

    def to_input(self) -> LicenceInput:
        return LicenceInput(
            licensee_org_id=self.licensee_org_id,
            kind=self.kind,
            field_of_use=self.field_of_use,
            territory=self.territory,
            starts_on=self.starts_on,
            pilot_result_id=self.pilot_result_id,
            ends_on=self.ends_on,
            sublicensable=self.sublicensable,
        )


class IpTermsIn(InputModel):
    background_ip: Annotated[list[BackgroundIp], Field(max_length=50)] = Field(default_factory=list)
    new_ip_ownership: Annotated[list[Share], Field(min_length=1, max_length=20)] = Field(
        description="Ownership of new IP per party; sums to exactly 10000"
    )
    licences: Annotated[list[LicenceGrant], Field(max_length=20)] = Field(default_factory=list)
    revenue_shares: Annotated[list[Share], Field(min_length=1, max_length=20)] = Field(
        description="Shares of this contract's income per party; sums to exactly 10000"
    )
    team_reward_bps: BasisPoints | None = Field(
        default=None,
        description="The research team's share of net transfer/licence income; default: the centre's policy, "
        "else 5000 (促进科技成果转化法 第四十五条)",
    )
    publication_rights: Annotated[str | None, Field(max_length=4000)] = None

    def to_input(self) -> IpTermsInput:
        return IpTermsInput(
            new_ip_ownership=[s.to_input() for s in self.new_ip_ownership],
            revenue_shares=[s.to_input() for s in self.revenue_shares],
            background_ip=[b.to_input() for b in self.background_ip],
            licences=[g.to_input() for g in self.licences],
            team_reward_bps=self.team_reward_bps,
            publication_rights=self.publication_rights,
        )


class SignIn(InputModel):
    organisation_id: uuid.UUID | None = Field(
        default=None, description="The party you sign for; may be omitted when you can sign for exactly one"
    )
    document_sha256: Sha256 | None = Field(
        default=None, description="The hash of the document you reviewed; 409 if the version changed since"
    )


class AmendmentIn(InputModel):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    title: Text200 | None = None
    scope: Annotated[str | None, Field(max_length=20000)] = None
    value: MoneyIn | None = None
    technology_portion: MoneyIn | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    confidentiality_months: Annotated[int | None, Field(ge=0, le=1200)] = None
    milestones: Annotated[list[MilestoneIn] | None, Field(min_length=1, max_length=50)] = Field(
        default=None, description="The full new list, in order; delivered or accepted milestones must stay as they are"
    )
    ip_terms: IpTermsIn | None = None

    def to_input(self) -> AmendmentInput:
        """The reason and the fields the body sets; the others stay as in force."""
        return AmendmentInput(
            reason=self.reason,
            title=_given(self, "title", self.title),
            scope=_given(self, "scope", self.scope),
            value=_given(self, "value", _amount(self.value)),
            technology_portion=_given(self, "technology_portion", _amount(self.technology_portion)),
            start_date=_given(self, "start_date", self.start_date),
            end_date=_given(self, "end_date", self.end_date),
            confidentiality_months=_given(self, "confidentiality_months", self.confidentiality_months),
            milestones=_given(self, "milestones", _milestones(self.milestones)),
            ip_terms=_given(self, "ip_terms", None if self.ip_terms is None else self.ip_terms.to_input()),
        )


class DeliverIn(InputModel):
    note: Annotated[str, Field(min_length=1, max_length=4000)]
    attachment_ids: Annotated[list[uuid.UUID], Field(max_length=20)] = Field(default_factory=list)


class ContractReasonIn(InputModel):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


# Outputs.


class MilestoneOwedRead(OutputModel):
    amount: Money
    owed_at: datetime


class ContractMilestoneRead(OutputModel):
    id: uuid.UUID
    seq: int
    title: str
    amount: Money
    due_offset_days: int | None = Field(description="Days after the contract starts")
    due_on: date | None = Field(description="Fixed when the contract becomes active")
    billed_on: BilledOn = Field(description="acceptance (owed when accepted) or activation (an advance)")
    status: MilestoneStatus
    delivered_at: datetime | None
    delivery_note: str | None
    delivery_attachment_ids: list[uuid.UUID]
    accepted_at: datetime | None
    rejection_reason: str | None
    owed: MilestoneOwedRead | None = Field(
        description="What accepting it (or, for an advance, the contract coming into force) made owed, and when; "
        "null until then"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_milestone(cls, data: Any) -> Any:
        """A milestone row, its amount as Money."""
        if not isinstance(data, ContractMilestone):
            return data
        owed = data.owed
        return {name: getattr(data, name) for name in cls.model_fields if name not in ("amount", "owed")} | {
            "amount": Money(amount=data.amount, currency=data.currency),
            "owed": None
            if owed is None
            else {"amount": Money(amount=owed.amount, currency=owed.currency), "owed_at": owed.owed_at},
            "delivery_attachment_ids": data.delivery_attachment_ids or [],
        }


class ContractPartyRead(OutputModel):
    organisation_id: uuid.UUID
    name: str
    role: ContractPartyRole
    signatory_user_id: uuid.UUID | None = Field(description="Who signed the version in force for this party")

    @model_validator(mode="before")
    @classmethod
    def _from_party(cls, data: Any) -> Any:
        """A party row with its organisation's name (loaded with the contract)."""
        if not isinstance(data, ContractParty):
            return data
        return {
            "organisation_id": data.organisation_id,
            "name": data.organisation.name,
            "role": data.role,
            "signatory_user_id": data.signatory_user_id,
        }


class ShareRead(OutputModel):
    organisation_id: uuid.UUID
    bps: int


class BackgroundIpRead(OutputModel):
    organisation_id: uuid.UUID
    pilot_result_id: uuid.UUID | None
    patent_numbers: list[str]
    description: str | None


class LicenceGrantRead(OutputModel):
    licensee_org_id: uuid.UUID
    kind: LicenceKind
    pilot_result_id: uuid.UUID | None
    field_of_use: str
    territory: str
    starts_on: date
    ends_on: date | None
    sublicensable: bool


class IpTermsRead(OutputModel):
    background_ip: list[BackgroundIpRead]
    new_ip_ownership: list[ShareRead]
    new_ip_ownership_basis: NewIpBasis | None = Field(
        None,
        description="agreed, or the Civil Code default for the contract type (docs/contracts.md); "
        "null on contracts drafted before defaults were recorded",
    )
    licences: list[LicenceGrantRead]
    revenue_shares: list[ShareRead]
    revenue_shares_basis: RevenueSharesBasis | None = Field(
        None, description="agreed, or the default of all income to the provider"
    )
    team_reward_bps: int
    team_reward_source: TeamRewardSource
    publication_rights: str | None


class RegistrationRead(OutputModel):
    number: str | None
    date: date | None
    registry: str | None
    vat_exempt: bool

    @model_validator(mode="before")
    @classmethod
    def _from_contract(cls, data: Any) -> Any:
        """The contract's registration columns (技术合同认定登记)."""
        if not isinstance(data, Contract):
            return data
        return {
            "number": data.registration_number,
            "date": data.registration_date,
            "registry": data.registration_registry,
            "vat_exempt": data.vat_exempt,
        }


# ContractRead fields built from several columns (the rest are read by name).
_GROUPED = frozenset({"value", "technology_portion", "registration"})


class ContractRead(OutputModel):
    id: uuid.UUID
    contract_type: ContractType
    status: ContractStatus
    title: str
    scope: str | None
    provider_org_id: uuid.UUID = Field(description="The centre or institute")
    client_org_id: uuid.UUID = Field(description="The SME")
    parties: list[ContractPartyRead]
    value: Money
    technology_portion: Money | None
    registration: RegistrationRead
    start_date: date | None
    end_date: date | None
    confidentiality_months: int | None
    ip_terms: IpTermsRead
    source: ContractSource
    proposal_id: uuid.UUID | None
    service_request_id: uuid.UUID | None
    pilot_result_id: uuid.UUID | None
    version: int = Field(description="The latest version (open or signed)")
    effective_version: int | None = Field(description="The latest version every party signed")
    activated_at: datetime | None
    completed_at: datetime | None
    terminated_at: datetime | None
    termination_reason: str | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    milestones: list[ContractMilestoneRead]

    @model_validator(mode="before")
    @classmethod
    def _from_contract(cls, data: Any) -> Any:
        """A contract loaded with its parties and milestones; amounts as Money in its currency."""
        if not isinstance(data, Contract):
            return data
        tech = data.technology_amount
        return {name: getattr(data, name) for name in cls.model_fields if name not in _GROUPED} | {
            "value": Money(amount=data.value_amount, currency=data.currency),
            "technology_portion": None if tech is None else Money(amount=tech, currency=data.currency),
            "registration": data,
        }


class SignatureRead(OutputModel):
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    signed_at: datetime
    document_sha256: str


class ContractVersionRead(OutputModel):
    number: int
    status: ContractVersionStatus
    document_sha256: str = Field(description="SHA-256 of the canonical document of this version")
    reason: str | None
    created_by: uuid.UUID
    created_at: datetime
    signed_at: datetime | None = Field(description="When the last party signed")
    signatures: list[SignatureRead]


class ContractEventRead(OutputModel):
    id: uuid.UUID
    kind: ContractEventKind
    actor_user_id: uuid.UUID | None
    version: int | None
    details: dict[str, Any]
    created_at: datetime
