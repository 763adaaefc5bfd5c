"""Reports on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from api.schemas.common import Money, OutputModel
from api.schemas.tables import Amount, Cell, Column, Lang, Table
from services.reports import co_builders, receivables, revenue


class StatementLine(OutputModel):
    booked_at: datetime
    entry_id: uuid.UUID
    description: str
    source: str = Field(description="revenue_allocation (a share of a receipt), manual (a payout), reversal, ...")
    allocated: Money = Field(description="Added to what is owed to the co-builder")
    paid_out: Money = Field(description="Paid to the co-builder (or reversed)")


class CoBuilderStatement(OutputModel):
    """One co-builder's payable in one centre's ledger, over one month."""

    centre_id: uuid.UUID
    centre_name: str
    co_builder_id: uuid.UUID
    co_builder_name: str
    account_id: uuid.UUID
    period: str
    opening: Money = Field(description="Owed to the co-builder at the start of the month")
    allocated: Money
    paid_out: Money
    closing: Money = Field(description="opening + allocated - paid out")
    lines: list[StatementLine]

    @classmethod
    def of(cls, s: co_builders.Statement) -> CoBuilderStatement:
        c = s.account.currency

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=c)

        return cls(
            centre_id=s.centre.id,
            centre_name=s.centre.name,
            co_builder_id=s.co_builder.id,
            co_builder_name=s.co_builder.name,
            account_id=s.account.id,
            period=s.period,
            opening=money(s.opening),
            allocated=money(s.allocated),
            paid_out=money(s.paid_out),
            closing=money(s.closing),
            lines=[
                StatementLine(
                    booked_at=m.booked_at,
                    entry_id=m.entry_id,
                    description=m.description,
                    source=m.source,
                    allocated=money(m.allocated),
                    paid_out=money(m.paid_out),
                )
                for m in s.movements
            ],
        )


def statement_tables(found: list[co_builders.Statement]) -> list[Table]:
    """Each statement as rows: its opening, every movement with the running balance, its closing."""
    table = Table(
        "co-builder statements",
        [
            Column("Centre", "创新中心"),
            Column("Co-builder", "共建单位"),
            Column("Period", "期间"),
            Column("Currency", "币种"),
            Column("Line", "行类型"),
            Column("Booked at", "记账时间"),
            Column("Entry", "分录编号"),
            Column("Source", "来源"),
            Column("Description", "摘要"),
            Column("Allocated", "本期分成"),
            Column("Paid out", "本期支付"),
            Column("Balance owed", "应付余额"),
        ],
    )
    for s in found:
        c = s.account.currency
        head: list[Cell] = [s.centre.name, s.co_builder.name, s.period, c]
        running = s.opening
        table.rows.append([*head, "期初 / opening", None, None, None, None, None, None, Amount(running, c)])
        tz = ZoneInfo(s.centre.timezone or "Asia/Shanghai")
        for m in s.movements:
            running += m.allocated - m.paid_out
            table.rows.append(
                [
                    *head,
                    "发生 / movement",
                    m.booked_at.astimezone(tz),
                    str(m.entry_id),
                    m.source,
                    m.description,
                    Amount(m.allocated, c),
                    Amount(m.paid_out, c),
                    Amount(running, c),
                ]
            )
        table.rows.append(
            [
                *head,
                "期末 / closing",
                None,
                None,
                None,
                None,
                Amount(s.allocated, c),
                Amount(s.paid_out, c),
                Amount(s.closing, c),
            ]
        )
    return [table]


class RevenueLineRead(OutputModel):
    key: str | None = Field(
        description="The income kind (or grant_income / subsidy_income), institute id (null: headquarters), "
        "month YYYY-MM, or customer organisation id (null: no customer: grants, subsidies, manual entries)"
    )
    name: str
    name_en: str
    amount: Money = Field(description="Income recognised (credits less debits to the income accounts), net of VAT")


class RevenueCurrencyRead(OutputModel):
    currency: str
    total: Money
    market_service: Money = Field(description="Market-service income (6001.xx), part of the total")
    other: Money = Field(description="Grants, fiscal post-subsidies and other income, the rest of the total")
    lines: list[RevenueLineRead]


class RevenueReportRead(OutputModel):
    """Recognised revenue from the ledger, per currency and group."""

    centre_id: uuid.UUID
    centre_name: str
    date_from: date = Field(serialization_alias="from", description="First day, in the centre's time zone")
    date_to: date = Field(serialization_alias="to", description="Last day, included")
    group_by: revenue.GroupBy
    currencies: list[RevenueCurrencyRead]

    @classmethod
    def of(cls, r: revenue.RevenueReport) -> RevenueReportRead:
        def money(amount: int, c: str) -> Money:
            return Money(amount=amount, currency=c)

        return cls(
            centre_id=r.centre.id,
            centre_name=r.centre.name,
            date_from=r.date_from,
            date_to=r.date_to,
            group_by=r.group_by,
            currencies=[
                RevenueCurrencyRead(
                    currency=c.currency,
                    total=money(c.total, c.currency),
                    market_service=money(c.market_service, c.currency),
                    other=money(c.other, c.currency),
                    lines=[
                        RevenueLineRead(key=x.key, name=x.name, name_en=x.name_en, amount=money(x.amount, c.currency))
                        for x in c.lines
                    ],
                )
                for c in r.currencies
            ],
        )


GROUP_HEADERS = {
    revenue.GroupBy.kind: Column("Income kind", "收入类别"),
    revenue.GroupBy.institute: Column("Institute", "研究院"),
    revenue.GroupBy.month: Column("Month", "月份"),
    revenue.GroupBy.customer: Column("Customer", "客户"),
}


def revenue_tables(r: revenue.RevenueReport, lang: Lang) -> list[Table]:
    table = Table(
        "revenue",
        [
            Column("Currency", "币种"),
            GROUP_HEADERS[r.group_by],
            Column("Key", "编码"),
            Column("Revenue", "确认收入"),
        ],
    )
    for c in r.currencies:
        for x in c.lines:
            table.rows.append(
                [c.currency, x.name if lang is Lang.zh else x.name_en, x.key, Amount(x.amount, c.currency)]
            )
        total = "合计" if lang is Lang.zh else "Total"
        market = "其中：市场化服务收入" if lang is Lang.zh else "of which market-service income"
        table.rows.append([c.currency, total, None, Amount(c.total, c.currency)])
        table.rows.append([c.currency, market, None, Amount(c.market_service, c.currency)])
    return [table]


class AgingBucketsRead(OutputModel):
    not_due: Money = Field(description="Not yet due")
    days_0_30: Money = Field(description="0-30 days past due (due today counts as 0)")
    days_31_60: Money
    days_61_90: Money
    over_90: Money = Field(description="More than 90 days past due")
    total: Money

    @classmethod
    def of(cls, buckets: dict[str, int], currency: str) -> AgingBucketsRead:
        values = {k: Money(amount=v, currency=currency) for k, v in buckets.items()}
        return cls(**values, total=Money(amount=sum(buckets.values()), currency=currency))


class AgingCustomerRead(OutputModel):
    debtor_org_id: uuid.UUID
    debtor_name: str
    buckets: AgingBucketsRead


class AgedSettlementRead(OutputModel):
    settlement_id: uuid.UUID
    number: str
    debtor_org_id: uuid.UUID
    debtor_name: str
    due_on: date
    days_past_due: int = Field(description="Negative while not yet due")
    bucket: str
    outstanding: Money = Field(description="Amount less payments and write-offs")


class AgingCurrencyRead(OutputModel):
    currency: str
    buckets: AgingBucketsRead
    customers: list[AgingCustomerRead]


class AgingReportRead(OutputModel):
    """Open receivables aged by days past their due date, in the centre's time zone."""

    centre_id: uuid.UUID
    centre_name: str
    as_of: date = Field(description="Today in the centre's time zone")
    currencies: list[AgingCurrencyRead]
    settlements: list[AgedSettlementRead]

    @classmethod
    def of(cls, r: receivables.AgingReport) -> AgingReportRead:
        return cls(
            centre_id=r.centre.id,
            centre_name=r.centre.name,
            as_of=r.as_of,
            currencies=[
                AgingCurrencyRead(
                    currency=c.currency,
                    buckets=AgingBucketsRead.of(c.buckets, c.currency),
                    customers=[
                        AgingCustomerRead(
                            debtor_org_id=x.debtor.id,
                            debtor_name=x.debtor.name,
                            buckets=AgingBucketsRead.of(x.buckets, c.currency),
                        )
                        for x in c.customers
                    ],
                )
                for c in r.currencies
            ],
            settlements=[
                AgedSettlementRead(
                    settlement_id=a.settlement.id,
                    number=a.settlement.number,
                    debtor_org_id=a.debtor.id,
                    debtor_name=a.debtor.name,
                    due_on=a.settlement.due_on,
                    days_past_due=a.days_past_due,
                    bucket=a.bucket,
                    outstanding=Money(amount=a.outstanding, currency=a.settlement.currency),
                )
                for a in r.settlements
            ],
        )


def aging_tables(r: receivables.AgingReport, lang: Lang) -> list[Table]:
    """By customer (the CSV, and the first sheet), and by settlement (the second sheet)."""
    zh = lang is Lang.zh
    bucket_columns = [Column(en, zh_) for zh_, en in (receivables.BUCKET_NAMES[b] for b in receivables.BUCKETS)]
    by_customer = Table(
        "by customer",
        [Column("Currency", "币种"), Column("Customer", "客户"), *bucket_columns, Column("Total", "合计")],
    )
    for c in r.currencies:
        for x in c.customers:
            by_customer.rows.append(
                [
                    c.currency,
                    x.debtor.name,
                    *(Amount(x.buckets[b], c.currency) for b in receivables.BUCKETS),
                    Amount(x.total, c.currency),
                ]
            )
        by_customer.rows.append(
            [
                c.currency,
                "合计" if zh else "Total",
                *(Amount(c.buckets[b], c.currency) for b in receivables.BUCKETS),
                Amount(c.total, c.currency),
            ]
        )
    by_settlement = Table(
        "by settlement",
        [
            Column("Currency", "币种"),
            Column("Settlement", "结算单号"),
            Column("Customer", "客户"),
            Column("Due on", "到期日"),
            Column("Days past due", "逾期天数"),
            Column("Bucket", "账龄区间"),
            Column("Outstanding", "未收金额"),
        ],
    )
    for a in r.settlements:
        name = receivables.BUCKET_NAMES[a.bucket][0 if zh else 1]
        by_settlement.rows.append(
            [
                a.settlement.currency,
                a.settlement.number,
                a.debtor.name,
                a.settlement.due_on,
                a.days_past_due,
                name,
                Amount(a.outstanding, a.settlement.currency),
            ]
        )
    return [by_customer, by_settlement]
