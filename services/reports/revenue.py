"""Recognised revenue, from the ledger: what the centre's income accounts were credited (less what
was debited back) between two days in the centre's time zone, per currency, grouped by income kind,
institute, month or customer.

Income is what the accrual entries (and, for advances, the recognition entries) credit, net of VAT,
plus grants and fiscal post-subsidies finance books by hand; so each currency's total splits into
market-service income (6001.xx) and the rest, which is what the centre reports as its share of
market-service income. Readers: the centre's finance and manager (services/ledger/access.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose, AccountType, EntrySource
from models.ledger import JournalEntry, LedgerAccount, Posting
from models.organisations import Organisation
from models.settlements import Settlement
from services import clock
from services.actors import Actor
from services.errors import Invalid
from services.ledger import access
from services.ledger.entries import zone_of

# Entries whose source_ref is a settlement, and so name a customer.
CUSTOMER_SOURCES = (EntrySource.settlement_accrual, EntrySource.revenue_recognition)
MAX_DAYS = 3 * 366 + 1


class GroupBy(StrEnum):
    kind = "kind"
    institute = "institute"
    month = "month"
    customer = "customer"


@dataclass(frozen=True)
class RevenueLine:
    """One group's income: `key` is the income kind (or account purpose for grants), the institute's
    id (None: the headquarters), the month YYYY-MM, or the customer's id (None: no customer)."""

    key: str | None
    name: str
    name_en: str
    amount: int


@dataclass
class CurrencyRevenue:
    currency: str
    total: int = 0
    market_service: int = 0  # 6001.xx: income from services to clients
    other: int = 0  # grants, post-subsidies and any other income account
    lines: list[RevenueLine] = field(default_factory=list)


@dataclass
class RevenueReport:
    centre: Organisation
    date_from: date
    date_to: date
    group_by: GroupBy
    currencies: list[CurrencyRevenue]


@dataclass(frozen=True)
class DayRange:
    """[start, end) in UTC for the days `date_from`..`date_to` (both included) in a time zone."""

    date_from: date
    date_to: date
    start: datetime
    end: datetime


def day_range(date_from: date, date_to: date, zone: str) -> DayRange:
    if date_to < date_from:
        raise Invalid("`to` is before `from`", loc=["query", "to"])
    if (date_to - date_from).days > MAX_DAYS:
        raise Invalid("a report covers at most three years", loc=["query", "to"])
    tz = ZoneInfo(zone)
    start = datetime(date_from.year, date_from.month, date_from.day, tzinfo=tz)
    end = datetime(date_to.year, date_to.month, date_to.day, tzinfo=tz) + timedelta(days=1)
    return DayRange(date_from, date_to, start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")))


def today_in(zone: str) -> date:
    return clock.now().astimezone(ZoneInfo(zone)).date()


async def revenue(
    session: AsyncSession,
    actor: Actor,
    *,
    centre_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    group_by: GroupBy,
) -> RevenueReport:
    """The centre's recognised revenue over the days asked (default: this month so far)."""
    centre_id = access.centre_for(actor, centre_id)
    centre = await session.get(Organisation, centre_id)
    assert centre is not None
    zone = await zone_of(session, centre_id)
    today = today_in(zone)
    days = day_range(date_from or today.replace(day=1), date_to or today, zone)

    in_range = (
        Posting.centre_id == centre_id,
        Posting.booked_at >= days.start,
        Posting.booked_at < days.end,
        LedgerAccount.type == AccountType.income,
    )
    credited = -func.sum(Posting.amount)
    by_account = (
        await session.execute(
            select(LedgerAccount, credited)
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(*in_range)
            .group_by(LedgerAccount.id)
            .order_by(LedgerAccount.code)
        )
    ).all()
    per_currency: dict[str, CurrencyRevenue] = {}
    for account, amount in by_account:
        c = per_currency.setdefault(account.currency, CurrencyRevenue(account.currency))
        c.total += int(amount)
        if account.purpose == AccountPurpose.income:
            c.market_service += int(amount)
        else:
            c.other += int(amount)

    lines: dict[str, list[RevenueLine]]
    if group_by is GroupBy.kind:
        lines = _by_kind(by_account)
    else:
        base = select(Posting.currency, credited).join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        if group_by is GroupBy.institute:
            rows = (
                await session.execute(
                    base.add_columns(Posting.institute_id)
                    .where(*in_range)
                    .group_by(Posting.currency, Posting.institute_id)
                )
            ).all()
            lines = await _by_institute(session, centre, rows)
        elif group_by is GroupBy.month:
            rows = (
                await session.execute(
                    base.add_columns(JournalEntry.period)
                    .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                    .where(*in_range)
                    .group_by(Posting.currency, JournalEntry.period)
                )
            ).all()
            lines = _by_month(rows)
        else:
            rows = (
                await session.execute(
                    base.add_columns(JournalEntry.source, JournalEntry.source_ref)
                    .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                    .where(*in_range)
                    .group_by(Posting.currency, JournalEntry.source, JournalEntry.source_ref)
                )
            ).all()
            lines = await _by_customer(session, rows)
    for currency, found in lines.items():
        per_currency.setdefault(currency, CurrencyRevenue(currency)).lines = found
    return RevenueReport(
        centre, days.date_from, days.date_to, group_by, [per_currency[c] for c in sorted(per_currency)]
    )


def _by_kind(by_account: Sequence[Any]) -> dict[str, list[RevenueLine]]:
    """One line per income account (income kind, grants, post-subsidies), by code."""
    out: dict[str, list[RevenueLine]] = defaultdict(list)
    for account, amount in by_account:
        key = str(account.income_kind) if account.income_kind is not None else str(account.purpose)
        out[account.currency].append(RevenueLine(key, account.name, account.name_en, int(amount)))
    return out


async def _by_institute(
    session: AsyncSession, centre: Organisation, rows: Sequence[Any]
) -> dict[str, list[RevenueLine]]:
    ids = {r[2] for r in rows if r[2] is not None}
    orgs = {o.id: o for o in await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    out: dict[str, list[RevenueLine]] = defaultdict(list)
    for currency, amount, institute_id in rows:
        if institute_id is None:
            line = RevenueLine(None, f"{centre.name}（本部）", "headquarters", int(amount))
        else:
            org = orgs[institute_id]
            line = RevenueLine(str(institute_id), org.name, org.name_en or org.name, int(amount))
        out[currency].append(line)
    for found in out.values():
        found.sort(key=lambda line: (line.key is not None, line.name))
    return out


def _by_month(rows: Sequence[Any]) -> dict[str, list[RevenueLine]]:
    out: dict[str, list[RevenueLine]] = defaultdict(list)
    for currency, amount, period in sorted(rows, key=lambda r: r[2]):
        out[currency].append(RevenueLine(period, period, period, int(amount)))
    return out


async def _by_customer(session: AsyncSession, rows: Sequence[Any]) -> dict[str, list[RevenueLine]]:
    """Income entries made for a settlement belong to its debtor; the rest (grants, manual
    entries) to no customer."""
    settlement_ids = {uuid.UUID(r[3]) for r in rows if r[2] in CUSTOMER_SOURCES}
    debtor_of: dict[uuid.UUID, uuid.UUID] = {}
    chunk = sorted(settlement_ids)
    for i in range(0, len(chunk), 500):
        pairs = await session.execute(
            select(Settlement.id, Settlement.debtor_org_id).where(Settlement.id.in_(chunk[i : i + 500]))
        )
        debtor_of.update({sid: debtor for sid, debtor in pairs})
    sums: dict[tuple[str, uuid.UUID | None], int] = defaultdict(int)
    for currency, amount, source, source_ref in rows:
        debtor = debtor_of.get(uuid.UUID(source_ref)) if source in CUSTOMER_SOURCES else None
        sums[(currency, debtor)] += int(amount)
    ids = {d for _, d in sums if d is not None}
    orgs = {o.id: o for o in await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    out: dict[str, list[RevenueLine]] = defaultdict(list)
    for (currency, debtor), amount in sums.items():
        if debtor is None:
            line = RevenueLine(
                None, "（无客户：课题、补助及手工分录）", "(no customer: grants, subsidies, manual)", amount
            )
        else:
            org = orgs[debtor]
            line = RevenueLine(str(debtor), org.name, org.name_en or org.name, amount)
        out[currency].append(line)
    for listed in out.values():
        listed.sort(key=lambda line: (line.key is None, -line.amount, line.name))
    return out
