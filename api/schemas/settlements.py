"""Settlements, payments and revenue allocations on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from api.schemas.common import Day, InputModel, Money, MoneyIn, OutputModel
from models.enums import IncomeKind, PaymentChannel, SettlementSource, SettlementStatus
from models.settlements import Payment, RevenueAllocation, Settlement
from services import settlements
from services.money import MAX_AMOUNT

# A positive amount that fits the database's 64-bit integers (and any real transfer).
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


class VatRead(OutputModel):
    rate_bps: int = Field(description="The centre's VAT rate when the amount became owed (basis points)")
    amount: Money = Field(description="The VAT inside the amount (prices are VAT-inclusive, rounded half up)")


class SettlementRead(OutputModel):
    """What a client owes a centre for one booking or milestone, and where it stands."""

    id: uuid.UUID
    number: str = Field(description="Quote it on a bank transfer (JS-<year>-<number>), e.g. JS-2026-000123")
    centre_id: uuid.UUID
    provider_org_id: uuid.UUID = Field(description="The centre or institute that provided the service")
    debtor_org_id: uuid.UUID = Field(description="The organisation that owes it")
    source: SettlementSource
    source_id: uuid.UUID = Field(description="The booking's or the contract milestone's id")
    contract_id: uuid.UUID | None
    income_kind: IncomeKind
    description: str
    amount: Money = Field(description="Owed in all, VAT included")
    vat: VatRead
    paid: Money
    written_off: Money
    outstanding: Money = Field(description="Still to pay: amount - paid - written off")
    status: SettlementStatus
    billed_in_advance: bool = Field(
        description="An advance (预付款): income is recognised when the milestone is accepted"
    )
    owed_at: datetime
    due_on: date = Field(description="Owed date in the centre's time zone plus its payment terms")
    written_off_at: datetime | None
    write_off_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Settlement) -> SettlementRead:
        return cls(
            id=s.id,
            number=s.number,
            centre_id=s.centre_id,
            provider_org_id=s.provider_org_id,
            debtor_org_id=s.debtor_org_id,
            source=s.source,
            source_id=s.source_id,
            contract_id=s.contract_id,
            income_kind=s.income_kind,
            description=s.description,
            amount=_money(s.amount, s.currency),
            vat=VatRead(rate_bps=s.vat_rate_bps, amount=_money(s.vat_amount, s.currency)),
            paid=_money(s.paid_amount, s.currency),
            written_off=_money(s.written_off_amount, s.currency),
            outstanding=_money(s.outstanding, s.currency),
            status=s.status,
            billed_in_advance=s.deferred,
            owed_at=s.owed_at,
            due_on=s.due_on,
            written_off_at=s.written_off_at,
            write_off_reason=s.write_off_reason,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class OfflinePaymentCreate(InputModel):
    bank_account_id: uuid.UUID = Field(description="The centre's bank account the transfer arrived in")
    amount: MoneyIn = Field(description="Received; at most what is still owed (partial payments allowed)")
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The bank's serial number (交易流水号); once per bank account"
    )
    value_date: Day = Field(description="The day the money arrived (the entry is dated then)")

    @model_validator(mode="after")
    def _positive(self) -> OfflinePaymentCreate:
        if not 0 < self.amount.amount <= MAX_AMOUNT:
            raise ValueError(f"amount must be between 1 and {MAX_AMOUNT} minor units")
        return self

    def to_input(self) -> settlements.OfflinePaymentInput:
        return settlements.OfflinePaymentInput(
            bank_account_id=self.bank_account_id,
            amount=self.amount.amount,
            currency=self.amount.currency,
            reference=self.reference,
            value_date=self.value_date,
        )


class AllocationLineRead(OutputModel):
    share: str = Field(description="party (a co-builder or other party), provider (kept), or team_reward")
    organisation_id: uuid.UUID | None
    bps: int = Field(description="The party's revenue share in the contract's IP terms (basis points)")
    of_bps: int = Field(description="Of that share: 10000 for a party; the team reward's bps or the rest")
    amount: Money


class AllocationRead(OutputModel):
    contract_id: uuid.UUID
    contract_version: int = Field(description="The contract version in force when the money was received")
    base: Money = Field(description="The receipt net of VAT, which the shares split")
    rule: str
    entry_id: uuid.UUID | None
    lines: list[AllocationLineRead]

    @classmethod
    def of(cls, a: RevenueAllocation) -> AllocationRead:
        return cls(
            contract_id=a.contract_id,
            contract_version=a.contract_version,
            base=_money(a.base_amount, a.currency),
            rule=a.rule,
            entry_id=a.entry_id,
            lines=[
                AllocationLineRead(
                    share=line.share,
                    organisation_id=line.organisation_id,
                    bps=line.bps,
                    of_bps=line.of_bps,
                    amount=_money(line.amount, a.currency),
                )
                for line in a.lines
            ],
        )


class PaymentRead(OutputModel):
    id: uuid.UUID
    settlement_id: uuid.UUID
    channel: PaymentChannel
    amount: Money
    bank_account_id: uuid.UUID | None
    reference: str | None = Field(description="The bank's serial number (交易流水号) of a transfer")
    external_ref: str | None = Field(description="The card processor's id of the payment (a Stripe charge, ch_…)")
    refunded: Money = Field(description="What has been refunded of it")
    value_date: date
    received_at: datetime
    entry_id: uuid.UUID = Field(description="The journal entry that recorded it")
    reversed_by_entry_id: uuid.UUID | None
    allocation: AllocationRead | None = Field(description="How it was shared under the contract, if any")
    settlement: SettlementRead = Field(description="The settlement after this payment")

    @classmethod
    def of(cls, p: Payment, settlement: Settlement, allocation: RevenueAllocation | None) -> PaymentRead:
        return cls(
            id=p.id,
            settlement_id=p.settlement_id,
            channel=p.channel,
            amount=_money(p.amount, p.currency),
            bank_account_id=p.bank_account_id,
            reference=p.reference,
            external_ref=p.external_ref,
            refunded=_money(p.refunded_amount, p.currency),
            value_date=p.value_date,
            received_at=p.received_at,
            entry_id=p.entry_id,
            reversed_by_entry_id=p.reversed_by_entry_id,
            allocation=AllocationRead.of(allocation) if allocation is not None else None,
            settlement=SettlementRead.of(settlement),
        )


class WriteOffCreate(InputModel):
    reason: Reason = Field(description="Why what is left will not be collected (kept on the settlement)")
