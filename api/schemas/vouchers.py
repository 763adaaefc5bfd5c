"""Innovation vouchers on the wire: programmes, vouchers, redemptions and claims."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, RootModel, StringConstraints, model_validator

from api.schemas.common import InputModel, Instant, Money, MoneyIn, OutputModel
from models.enums import IncomeKind, VoucherClaimStatus, VoucherRedemptionStatus
from models.vouchers import Voucher, VoucherClaim, VoucherProgramme, VoucherRedemption
from services import vouchers

MAX_AMOUNT = 10**15
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def _positive(money: Money, field: str) -> None:
    if not 0 < money.amount <= MAX_AMOUNT:
        raise ValueError(f"{field} must be between 1 and {MAX_AMOUNT} minor units")


class ProgrammeCreate(InputModel):
    issuer_org_id: uuid.UUID | None = Field(
        default=None, description="The government organisation running it (needed only if you administer several)"
    )
    name: Name
    description: Text | None = None
    budget: MoneyIn = Field(description="The fiscal money set aside: vouchers are issued and redeemed within it")
    face_value: MoneyIn = Field(description="Of each voucher issued (same currency as the budget)")
    valid_from: Instant
    valid_until: Instant = Field(description="Vouchers are redeemed in [valid_from, valid_until)")
    eligible_income_kinds: list[IncomeKind] = Field(
        min_length=1, description="The settlements' income kinds vouchers may cover, e.g. instrument_sharing"
    )
    max_share_bps: int = Field(
        ge=1, le=10000, description="At most this share of a settlement's amount (amount × bps // 10000, rounded down)"
    )
    annual_cap_per_sme: MoneyIn = Field(
        description="What one SME may redeem from this programme per calendar year in the issuer's time zone"
    )

    @model_validator(mode="after")
    def _amounts(self) -> ProgrammeCreate:
        for name in ("budget", "face_value", "annual_cap_per_sme"):
            _positive(getattr(self, name), name)
        if {self.face_value.currency, self.annual_cap_per_sme.currency} != {self.budget.currency}:
            raise ValueError("the budget, face value and annual cap are in one currency")
        return self

    def to_input(self) -> vouchers.ProgrammeInput:
        return vouchers.ProgrammeInput(
            issuer_org_id=self.issuer_org_id,
            name=self.name,
            description=self.description,
            currency=self.budget.currency,
            budget=self.budget.amount,
            face_value=self.face_value.amount,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            eligible_income_kinds=self.eligible_income_kinds,
            max_share_bps=self.max_share_bps,
            annual_cap_per_sme=self.annual_cap_per_sme.amount,
        )


class ProgrammeUpdate(InputModel):
    name: Name | None = None
    description: Text | None = None
    budget: MoneyIn | None = Field(default=None, description="Never below what is already redeemed")

    @model_validator(mode="after")
    def _amounts(self) -> ProgrammeUpdate:
        if self.budget is not None:
            _positive(self.budget, "budget")
        return self

    def to_input(self) -> vouchers.ProgrammeChange:
        return vouchers.ProgrammeChange(
            name=self.name,
            description=self.description,
            budget=self.budget.amount if self.budget is not None else None,
        )


class ProgrammeRead(OutputModel):
    id: uuid.UUID
    issuer_org_id: uuid.UUID
    name: str
    description: str | None
    budget: Money
    face_value: Money
    valid_from: datetime
    valid_until: datetime
    eligible_income_kinds: list[IncomeKind]
    max_share_bps: int
    annual_cap_per_sme: Money
    issued: Money = Field(description="Face values of the vouchers issued")
    redeemed: Money = Field(description="Covered by redemptions still standing (claimed, paid or not yet claimed)")
    budget_left: Money = Field(description="Budget less what is redeemed")
    created_at: datetime

    @classmethod
    def of(cls, p: VoucherProgramme) -> ProgrammeRead:
        c = p.currency
        return cls(
            id=p.id,
            issuer_org_id=p.issuer_org_id,
            name=p.name,
            description=p.description,
            budget=_money(p.budget, c),
            face_value=_money(p.face_value, c),
            valid_from=p.valid_from,
            valid_until=p.valid_until,
            eligible_income_kinds=[IncomeKind(k) for k in p.eligible_income_kinds],
            max_share_bps=p.max_share_bps,
            annual_cap_per_sme=_money(p.annual_cap_per_sme, c),
            issued=_money(p.issued_amount, c),
            redeemed=_money(p.redeemed_amount, c),
            budget_left=_money(p.budget - p.redeemed_amount, c),
            created_at=p.created_at,
        )


class VouchersIssue(InputModel):
    sme_org_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=500, description="One voucher of the face value to each SME"
    )

    def to_input(self) -> vouchers.IssueInput:
        return vouchers.IssueInput(sme_org_ids=self.sme_org_ids)


class VoucherRead(OutputModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    sme_org_id: uuid.UUID
    face_value: Money
    balance: Money = Field(description="What the voucher can still cover")
    created_at: datetime

    @classmethod
    def of(cls, v: Voucher) -> VoucherRead:
        return cls(
            id=v.id,
            programme_id=v.programme_id,
            sme_org_id=v.sme_org_id,
            face_value=_money(v.face_value, v.currency),
            balance=_money(v.balance, v.currency),
            created_at=v.created_at,
        )


VoucherList = RootModel[list[VoucherRead]]


class RedemptionCreate(InputModel):
    voucher_id: uuid.UUID
    amount: MoneyIn = Field(description="What the voucher covers of this settlement")

    @model_validator(mode="after")
    def _amount(self) -> RedemptionCreate:
        _positive(self.amount, "amount")
        return self

    def to_input(self) -> vouchers.RedemptionInput:
        return vouchers.RedemptionInput(voucher_id=self.voucher_id, amount=self.amount.amount)


class RedemptionCancel(InputModel):
    reason: Reason


class RedemptionRead(OutputModel):
    id: uuid.UUID
    voucher_id: uuid.UUID
    programme_id: uuid.UUID
    settlement_id: uuid.UUID
    sme_org_id: uuid.UUID
    centre_id: uuid.UUID
    amount: Money
    status: VoucherRedemptionStatus
    year: int = Field(description="The calendar year (issuer's time zone) it counts against the annual cap")
    payment_id: uuid.UUID = Field(description="The settlement payment (channel voucher) that records it")
    claim_id: uuid.UUID | None
    returned_at: datetime | None
    return_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, r: VoucherRedemption) -> RedemptionRead:
        return cls(
            id=r.id,
            voucher_id=r.voucher_id,
            programme_id=r.programme_id,
            settlement_id=r.settlement_id,
            sme_org_id=r.sme_org_id,
            centre_id=r.centre_id,
            amount=_money(r.amount, r.currency),
            status=r.status,
            year=r.year,
            payment_id=r.payment_id,
            claim_id=r.claim_id,
            returned_at=r.returned_at,
            return_reason=r.return_reason,
            created_at=r.created_at,
        )


class ClaimCreate(InputModel):
    redemption_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=200, description="Redemptions of one programme at your centre, not yet claimed"
    )
    bank_account_id: uuid.UUID = Field(description="The centre's bank account the issuer pays into")
    note: Text | None = Field(default=None, description="For the issuer (e.g. the paper evidence's file numbers)")

    def to_input(self) -> vouchers.ClaimInput:
        return vouchers.ClaimInput(
            redemption_ids=self.redemption_ids, bank_account_id=self.bank_account_id, note=self.note
        )


class ClaimReject(InputModel):
    reason: Reason


class ClaimPay(InputModel):
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The issuer's bank serial number (交易流水号) of the transfer"
    )

    def to_input(self) -> vouchers.PayInput:
        return vouchers.PayInput(reference=self.reference)


class OwnSharePaymentRead(OutputModel):
    payment_id: uuid.UUID
    channel: str = Field(description="bank_transfer or card")
    amount: int = Field(description="Minor units, net of refunds, in the claim's currency")
    reference: str | None = Field(description="The bank's serial number, or the Stripe charge (ch_…)")
    value_date: str


class ClaimEvidenceRead(OutputModel):
    """What the issuer checks for one redemption: the settlement, what it was for, and that the SME paid
    its own share."""

    redemption_id: uuid.UUID
    voucher_id: uuid.UUID
    sme_org_id: uuid.UUID
    amount: int = Field(description="The voucher's share (minor units, the claim's currency)")
    settlement_id: uuid.UUID
    settlement_number: str
    settlement_amount: int
    income_kind: IncomeKind
    source: str = Field(description="booking or milestone")
    source_id: uuid.UUID = Field(description="The booking's or the contract milestone's id")
    contract_id: uuid.UUID | None
    own_share_payments: list[OwnSharePaymentRead]


class ClaimRead(OutputModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    issuer_org_id: uuid.UUID
    centre_id: uuid.UUID
    amount: Money
    status: VoucherClaimStatus
    bank_account_id: uuid.UUID = Field(description="The centre's bank account to pay into")
    note: str | None
    evidence: list[ClaimEvidenceRead] = Field(
        description="Per redemption: the settlement, its contract or booking, and the payments of the SME's own share"
    )
    redemption_ids: list[uuid.UUID]
    decided_at: datetime | None
    reject_reason: str | None
    paid_at: datetime | None
    payment_reference: str | None
    entry_id: uuid.UUID | None = Field(description="The journal entry of the payment")
    created_at: datetime

    @classmethod
    def of(cls, c: VoucherClaim) -> ClaimRead:
        return cls(
            id=c.id,
            programme_id=c.programme_id,
            issuer_org_id=c.issuer_org_id,
            centre_id=c.centre_id,
            amount=_money(c.amount, c.currency),
            status=c.status,
            bank_account_id=c.bank_account_id,
            note=c.note,
            evidence=[ClaimEvidenceRead.model_validate(e) for e in c.evidence],
            redemption_ids=[uuid.UUID(e["redemption_id"]) for e in c.evidence],
            decided_at=c.decided_at,
            reject_reason=c.reject_reason,
            paid_at=c.paid_at,
            payment_reference=c.payment_reference,
            entry_id=c.entry_id,
            created_at=c.created_at,
        )
