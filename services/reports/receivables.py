"""Receivables aging: what clients still owe the centre (open and partly paid settlements), by how
many days past its due date each amount is, counted in the centre's time zone.

Days past due = today (in the centre's zone) - the due date; a settlement due today is 0 days past
due. Buckets: not yet due (< 0), 0-30, 31-60, 61-90, over 90 days. The outstanding amount is what
is left after payments and write-offs, so the report's total per currency equals the receivable
account's balance (1122) when every settlement's accrual and payments are in the ledger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import SettlementStatus
from models.organisations import Organisation
from models.settlements import Settlement
from services.actors import Actor
from services.ledger import access
from services.ledger.entries import zone_of
from services.reports.revenue import today_in

BUCKETS = ("not_due", "days_0_30", "days_31_60", "days_61_90", "over_90")
BUCKET_NAMES = {
    "not_due": ("未到期", "not yet due"),
    "days_0_30": ("逾期0–30天", "0–30 days past due"),
    "days_31_60": ("逾期31–60天", "31–60 days past due"),
    "days_61_90": ("逾期61–90天", "61–90 days past due"),
    "over_90": ("逾期90天以上", "over 90 days past due"),
}
OPEN = (SettlementStatus.open, SettlementStatus.partially_paid)


def bucket_of(days_past_due: int) -> str:
    if days_past_due < 0:
        return "not_due"
    if days_past_due <= 30:
        return "days_0_30"
    if days_past_due <= 60:
        return "days_31_60"
    if days_past_due <= 90:
        return "days_61_90"
    return "over_90"


def empty_buckets() -> dict[str, int]:
    return dict.fromkeys(BUCKETS, 0)


@dataclass(frozen=True)
class AgedSettlement:
    settlement: Settlement
    debtor: Organisation
    days_past_due: int
    bucket: str
    outstanding: int


@dataclass
class CustomerAging:
    debtor: Organisation
    buckets: dict[str, int] = field(default_factory=empty_buckets)

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass
class CurrencyAging:
    currency: str
    buckets: dict[str, int] = field(default_factory=empty_buckets)
    customers: list[CustomerAging] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass
class AgingReport:
    centre: Organisation
    as_of: date  # today in the centre's time zone
    currencies: list[CurrencyAging]
    settlements: list[AgedSettlement]


async def aging(session: AsyncSession, actor: Actor, *, centre_id: uuid.UUID | None) -> AgingReport:
    """The centre's open settlements aged as of today in its time zone, per currency and customer."""
    centre_id = access.centre_for(actor, centre_id)
    centre = await session.get(Organisation, centre_id)
    assert centre is not None
    today = today_in(await zone_of(session, centre_id))
    rows = (
        await session.execute(
            select(Settlement, Organisation)
            .join(Organisation, Organisation.id == Settlement.debtor_org_id)
            .where(Settlement.centre_id == centre_id, Settlement.status.in_(OPEN))
            .order_by(Settlement.currency, Settlement.due_on, Settlement.number)
        )
    ).all()
    aged: list[AgedSettlement] = []
    per_currency: dict[str, CurrencyAging] = {}
    per_customer: dict[tuple[str, uuid.UUID], CustomerAging] = {}
    for settlement, debtor in rows:
        outstanding = settlement.outstanding
        if outstanding <= 0:
            continue
        days = (today - settlement.due_on).days
        bucket = bucket_of(days)
        aged.append(AgedSettlement(settlement, debtor, days, bucket, outstanding))
        currency = per_currency.setdefault(settlement.currency, CurrencyAging(settlement.currency))
        currency.buckets[bucket] += outstanding
        customer = per_customer.get((settlement.currency, debtor.id))
        if customer is None:
            customer = per_customer[(settlement.currency, debtor.id)] = CustomerAging(debtor)
            currency.customers.append(customer)
        customer.buckets[bucket] += outstanding
    for currency in per_currency.values():
        currency.customers.sort(key=lambda c: (-c.total, c.debtor.name))
    return AgingReport(centre, today, [per_currency[c] for c in sorted(per_currency)], aged)
