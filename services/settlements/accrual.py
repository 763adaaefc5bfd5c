"""Money becoming owed: a settlement and its accrual entry, written in the transaction that makes
the money owed (a booking's charge, a milestone accepted, an advance billed at activation).

Accrual: Dr receivable / Cr income of the kind (net of VAT) / Cr VAT output. An advance credits
deferred revenue instead, moved to income when its milestone is accepted (`recognise`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose, EntrySource, IncomeKind, OrganisationKind, SettlementSource, SettlementStatus
from models.organisations import Organisation
from models.settlements import Settlement
from services import clock
from services.ledger import chart, entries
from services.ledger.chart import AccountSpec
from services.money import BPS_WHOLE
from services.settlements.core import DEFAULT_PAYMENT_TERMS_DAYS, due_date, next_number, policy_of


@dataclass(frozen=True)
class Owed:
    """What an area hands over when money becomes owed."""

    source: SettlementSource
    source_id: uuid.UUID
    provider_org_id: uuid.UUID
    debtor_org_id: uuid.UUID
    income_kind: IncomeKind
    amount: int
    currency: str
    description: str
    contract_id: uuid.UUID | None = None
    deferred: bool = False  # billed in advance: deferred revenue until the milestone is accepted


def vat_included(amount: int, rate_bps: int) -> int:
    """The VAT inside a VAT-inclusive amount (含税价), rounded half up to the minor unit."""
    whole = BPS_WHOLE + rate_bps
    return (amount * rate_bps * 2 + whole) // (2 * whole)


async def centre_of(session: AsyncSession, org_id: uuid.UUID) -> Organisation:
    """The centre an organisation belongs to (itself, or an institute's parent)."""
    org = await session.get(Organisation, org_id)
    assert org is not None
    if org.kind is OrganisationKind.institute and org.parent_id is not None:
        parent = await session.get(Organisation, org.parent_id)
        assert parent is not None
        return parent
    return org


def institute_of(provider: Organisation) -> uuid.UUID | None:
    """The institute a posting belongs to (None for the centre's headquarters)."""
    return provider.id if provider.kind is OrganisationKind.institute else None


async def owe(session: AsyncSession, owed: Owed) -> Settlement | None:
    """The settlement for `owed` with its accrual entry (the one already made, on a retry); None for
    a zero amount or when the centre would owe itself (an internal booking)."""
    if owed.amount <= 0:
        return None
    existing = await session.scalar(
        select(Settlement).where(Settlement.source == owed.source, Settlement.source_id == owed.source_id)
    )
    if existing is not None:
        return existing
    centre = await centre_of(session, owed.provider_org_id)
    if (await centre_of(session, owed.debtor_org_id)).id == centre.id:
        return None
    provider = await session.get(Organisation, owed.provider_org_id)
    assert provider is not None
    policy = await policy_of(session, owed.provider_org_id)
    terms = policy.payment_terms_days if policy is not None else DEFAULT_PAYMENT_TERMS_DAYS
    vat_bps = policy.vat_rate_bps if policy is not None else 0
    owed_at = clock.now()
    owed_on = owed_at.astimezone(ZoneInfo(centre.timezone)).date()
    settlement = Settlement(
        centre_id=centre.id,
        number=await next_number(session, centre.id, owed_on.year),
        source=owed.source,
        source_id=owed.source_id,
        contract_id=owed.contract_id,
        debtor_org_id=owed.debtor_org_id,
        provider_org_id=owed.provider_org_id,
        income_kind=owed.income_kind,
        description=owed.description[:500],
        amount=owed.amount,
        currency=owed.currency,
        vat_rate_bps=vat_bps,
        vat_amount=vat_included(owed.amount, vat_bps),
        deferred=owed.deferred,
        owed_at=owed_at,
        due_on=due_date(owed_on, terms),
        status=SettlementStatus.open,
        paid_amount=0,
        written_off_amount=0,
    )
    session.add(settlement)
    await session.flush()
    await _accrue(session, settlement, institute_of(provider))
    return settlement


async def _accrue(session: AsyncSession, s: Settlement, institute_id: uuid.UUID | None) -> None:
    def acct(spec: AccountSpec):
        return chart.account(session, s.centre_id, s.currency, spec)

    receivable = await acct(AccountSpec(AccountPurpose.receivable))
    if s.deferred:
        earned = await acct(AccountSpec(AccountPurpose.deferred_revenue))
    else:
        earned = await acct(AccountSpec(AccountPurpose.income, income_kind=s.income_kind))
    vat = await acct(AccountSpec(AccountPurpose.vat_output))
    await entries.post(
        session,
        centre_id=s.centre_id,
        source=EntrySource.settlement_accrual,
        source_ref=str(s.id),
        description=f"{s.number} {s.description}",
        booked_at=s.owed_at,
        lines=[
            entries.debit(receivable, s.amount, institute_id=institute_id, memo=s.number),
            entries.credit(earned, s.amount - s.vat_amount, institute_id=institute_id),
            entries.credit(vat, s.vat_amount, institute_id=institute_id),
        ],
    )


async def recognise(session: AsyncSession, source: SettlementSource, source_id: uuid.UUID) -> None:
    """An advance's milestone was accepted: its revenue moves from deferred revenue to income."""
    s = await session.scalar(select(Settlement).where(Settlement.source == source, Settlement.source_id == source_id))
    if s is None or not s.deferred:
        return
    provider = await session.get(Organisation, s.provider_org_id)
    assert provider is not None
    institute_id = institute_of(provider)
    deferred = await chart.account(session, s.centre_id, s.currency, AccountSpec(AccountPurpose.deferred_revenue))
    income = await chart.account(
        session, s.centre_id, s.currency, AccountSpec(AccountPurpose.income, income_kind=s.income_kind)
    )
    net = s.amount - s.vat_amount
    await entries.post(
        session,
        centre_id=s.centre_id,
        source=EntrySource.revenue_recognition,
        source_ref=str(s.id),
        description=f"{s.number} 预收转收入 / advance earned: {s.description}",
        lines=[
            entries.debit(deferred, net, institute_id=institute_id),
            entries.credit(income, net, institute_id=institute_id),
        ],
    )
