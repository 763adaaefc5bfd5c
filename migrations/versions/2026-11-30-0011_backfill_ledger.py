"""backfill: every centre's CNY chart of accounts, and a settlement with its accrual entry for what
is already owed

Centres made before the ledger get the chart a new centre gets (services/ledger/chart.py, frozen
here). Every booking charge and every `contract_amounts_owed` row that has no settlement gets one,
numbered per centre and year, due after the centre's payment terms (default 30 days), with its
accrual entry (Dr receivable / Cr income of its kind / Cr VAT output) dated when it became owed. A
centre owing itself (an internal booking) gets none. Idempotent: what exists is left alone. No
application code is imported.

Revision ID: 5b7c1e0d9a42
Revises: 8f2e8dc8d2c9
Create Date: 2026-11-30 00:11:00+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "5b7c1e0d9a42"
down_revision: str | Sequence[str] | None = "8f2e8dc8d2c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# purpose -> (code, type, name, name_en), as services/ledger/chart.py had them on 2026-11-30.
STANDARD = {
    "stripe_clearing": ("1012", "asset", "其他货币资金—Stripe 清算", "Stripe clearing"),
    "receivable": ("1122", "asset", "应收账款", "Accounts receivable"),
    "deferred_revenue": ("2204", "liability", "合同负债（预收账款）", "Deferred revenue"),
    "team_reward_payable": ("2211", "liability", "应付职工薪酬—成果完成团队奖励", "Team reward payable"),
    "vat_output": ("2221", "liability", "应交税费—应交增值税（销项税额）", "VAT output"),
    "grant_income": ("6301", "income", "营业外收入—竞争性课题收入", "Competitive grant income"),
    "subsidy_income": ("6302", "income", "营业外收入—财政后补助收入", "Fiscal post-subsidy income"),
    "payment_fees": ("6603", "expense", "财务费用—支付手续费", "Payment fees"),
    "revenue_share_expense": ("6401", "expense", "主营业务成本—收益分成", "Revenue share expense"),
    "team_reward_expense": ("6402", "expense", "主营业务成本—团队奖励", "Team reward expense"),
    "write_off_expense": ("6702", "expense", "信用减值损失—坏账核销", "Bad debts written off"),
}
INCOME = {
    "contract_rd": ("01", "合同研发", "contract R&D"),
    "transfer_licensing": ("02", "技术转让与许可", "transfer and licensing"),
    "consulting": ("03", "技术咨询", "consulting"),
    "testing": ("04", "检验检测与技术服务", "testing and technical services"),
    "instrument_sharing": ("05", "仪器开放共享", "instrument sharing"),
}

orgs = sa.table(
    "organisations",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("timezone", sa.String()),
)
policies = sa.table(
    "centre_policies",
    sa.column("organisation_id", sa.Uuid()),
    sa.column("payment_terms_days", sa.Integer()),
    sa.column("vat_rate_bps", sa.Integer()),
)
accounts = sa.table(
    "ledger_accounts",
    *(sa.column(c, sa.Uuid()) for c in ("id", "centre_id")),
    *(
        sa.column(c, sa.String())
        for c in ("currency", "key", "type", "purpose", "income_kind", "code", "name", "name_en")
    ),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
bookings = sa.table(
    "bookings",
    *(sa.column(c, sa.Uuid()) for c in ("id", "instrument_id", "provider_org_id", "customer_org_id")),
    sa.column("charge_amount", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("charged_at", sa.DateTime(timezone=True)),
)
listings = sa.table("listings", sa.column("id", sa.Uuid()), sa.column("title", sa.String()))
owed = sa.table(
    "contract_amounts_owed",
    *(sa.column(c, sa.Uuid()) for c in ("contract_id", "milestone_id", "provider_org_id", "client_org_id")),
    sa.column("amount", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("income_kind", sa.String()),
    sa.column("owed_at", sa.DateTime(timezone=True)),
)
contracts = sa.table("contracts", sa.column("id", sa.Uuid()), sa.column("title", sa.String()))
milestones = sa.table("contract_milestones", sa.column("id", sa.Uuid()), sa.column("title", sa.String()))
settlements = sa.table(
    "settlements",
    *(
        sa.column(c, sa.Uuid())
        for c in ("id", "centre_id", "source_id", "contract_id", "debtor_org_id", "provider_org_id")
    ),
    *(sa.column(c, sa.String()) for c in ("number", "source", "income_kind", "description", "currency", "status")),
    *(sa.column(c, sa.BigInteger()) for c in ("amount", "vat_amount", "paid_amount", "written_off_amount")),
    sa.column("vat_rate_bps", sa.Integer()),
    sa.column("deferred", sa.Boolean()),
    sa.column("owed_at", sa.DateTime(timezone=True)),
    sa.column("due_on", sa.Date()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
counters = sa.table(
    "settlement_counters",
    sa.column("centre_id", sa.Uuid()),
    sa.column("year", sa.Integer()),
    sa.column("last", sa.Integer()),
)
entries = sa.table(
    "ledger_entries",
    *(sa.column(c, sa.Uuid()) for c in ("id", "centre_id")),
    *(sa.column(c, sa.String()) for c in ("period", "description", "source", "source_ref")),
    sa.column("booked_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
postings = sa.table(
    "ledger_postings",
    *(sa.column(c, sa.Uuid()) for c in ("id", "entry_id", "account_id", "centre_id", "institute_id")),
    sa.column("line", sa.Integer()),
    sa.column("amount", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("booked_at", sa.DateTime(timezone=True)),
    sa.column("memo", sa.String()),
)


def _chart_rows(centre_id: uuid.UUID, now: datetime) -> list[dict]:
    rows = [
        {"purpose": p, "key": p, "income_kind": None, "code": code, "type": t, "name": name, "name_en": en}
        for p, (code, t, name, en) in STANDARD.items()
    ]
    rows += [
        {
            "purpose": "income",
            "key": f"income:{kind}",
            "income_kind": kind,
            "code": f"6001.{suffix}",
            "type": "income",
            "name": f"主营业务收入—市场化服务收入—{zh}",
            "name_en": f"Market-service income: {en}",
        }
        for kind, (suffix, zh, en) in INCOME.items()
    ]
    return [{**r, "id": uuid.uuid4(), "centre_id": centre_id, "currency": "CNY", "created_at": now} for r in rows]


class _Books:
    """What the backfill needs of the database, read once."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.orgs = {r.id: r for r in conn.execute(sa.select(orgs)).all()}
        self.policies = {r.organisation_id: r for r in conn.execute(sa.select(policies)).all()}
        self.accounts = {
            (r.centre_id, r.currency, r.key): r.id
            for r in conn.execute(sa.select(accounts.c.id, accounts.c.centre_id, accounts.c.currency, accounts.c.key))
        }
        self.counters = {(r.centre_id, r.year): r.last for r in conn.execute(sa.select(counters)).all()}
        self.settled = {
            (r.source, r.source_id) for r in conn.execute(sa.select(settlements.c.source, settlements.c.source_id))
        }

    def centre_of(self, org_id: uuid.UUID) -> uuid.UUID:
        org = self.orgs[org_id]
        return org.parent_id if org.kind == "institute" and org.parent_id else org.id

    def policy(self, org_id: uuid.UUID):
        return self.policies.get(org_id) or self.policies.get(self.orgs[org_id].parent_id)

    def account(self, centre_id: uuid.UUID, currency: str, key: str, purpose: str, kind: str | None) -> uuid.UUID:
        found = self.accounts.get((centre_id, currency, key))
        if found is None:
            row = next(r for r in _chart_rows(centre_id, datetime.now(UTC)) if r["key"] == key)
            row["currency"] = currency
            self.conn.execute(sa.insert(accounts).values(**row))
            found = self.accounts[(centre_id, currency, key)] = row["id"]
        return found

    def number(self, centre_id: uuid.UUID, year: int) -> str:
        last = self.counters.get((centre_id, year), 0) + 1
        if last == 1:
            self.conn.execute(sa.insert(counters).values(centre_id=centre_id, year=year, last=1))
        else:
            self.conn.execute(
                sa.update(counters).where(counters.c.centre_id == centre_id, counters.c.year == year).values(last=last)
            )
        self.counters[(centre_id, year)] = last
        return f"JS-{year}-{last:06d}"

    def settle(self, *, source, source_id, provider, debtor, kind, amount, currency, owed_at, description, contract_id):
        if (source, source_id) in self.settled or amount <= 0:
            return
        centre = self.centre_of(provider)
        if self.centre_of(debtor) == centre:
            return  # an internal booking: the centre does not owe itself
        zone = ZoneInfo(self.orgs[centre].timezone or "Asia/Shanghai")
        policy = self.policy(provider)
        terms, vat_bps = (policy.payment_terms_days, policy.vat_rate_bps) if policy is not None else (30, 0)
        vat = (amount * vat_bps * 2 + 10_000 + vat_bps) // (2 * (10_000 + vat_bps))
        owed_on = owed_at.astimezone(zone).date()
        settlement_id, entry_id, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
        number = self.number(centre, owed_on.year)
        self.conn.execute(
            sa.insert(settlements).values(
                id=settlement_id,
                centre_id=centre,
                number=number,
                source=source,
                source_id=source_id,
                contract_id=contract_id,
                debtor_org_id=debtor,
                provider_org_id=provider,
                income_kind=kind,
                description=description[:500],
                amount=amount,
                currency=currency,
                vat_rate_bps=vat_bps,
                vat_amount=vat,
                deferred=False,
                owed_at=owed_at,
                due_on=owed_on + timedelta(days=terms),
                status="open",
                paid_amount=0,
                written_off_amount=0,
                created_at=now,
                updated_at=now,
            )
        )
        institute = provider if self.orgs[provider].kind == "institute" else None
        lines = [
            (self.account(centre, currency, "receivable", "receivable", None), amount, number),
            (self.account(centre, currency, f"income:{kind}", "income", kind), -(amount - vat), None),
            (self.account(centre, currency, "vat_output", "vat_output", None), -vat, None),
        ]
        lines = [line for line in lines if line[1] != 0]
        self.conn.execute(
            sa.insert(postings),
            [
                {
                    "id": uuid.uuid4(),
                    "entry_id": entry_id,
                    "line": n,
                    "account_id": account_id,
                    "centre_id": centre,
                    "institute_id": institute,
                    "amount": amt,
                    "currency": currency,
                    "booked_at": owed_at,
                    "memo": memo,
                }
                for n, (account_id, amt, memo) in enumerate(lines, start=1)
            ],
        )
        self.conn.execute(
            sa.insert(entries).values(
                id=entry_id,
                centre_id=centre,
                booked_at=owed_at,
                period=owed_at.astimezone(zone).strftime("%Y-%m"),
                description=f"{number} {description}"[:500],
                source="settlement_accrual",
                source_ref=str(settlement_id),
                created_at=now,
            )
        )
        self.settled.add((source, source_id))


def upgrade() -> None:
    books = _Books(op.get_bind())
    now = datetime.now(UTC)
    for org in books.orgs.values():
        if org.kind == "centre":
            missing = [r for r in _chart_rows(org.id, now) if (org.id, "CNY", r["key"]) not in books.accounts]
            if missing:
                op.bulk_insert(accounts, missing)
                books.accounts.update({(org.id, "CNY", r["key"]): r["id"] for r in missing})
    charged = books.conn.execute(
        sa.select(bookings, listings.c.title)
        .join(listings, listings.c.id == bookings.c.instrument_id)
        .where(bookings.c.charge_amount > 0)
        .order_by(bookings.c.charged_at)
    ).all()
    for b in charged:
        books.settle(
            source="booking",
            source_id=b.id,
            provider=b.provider_org_id,
            debtor=b.customer_org_id,
            kind="instrument_sharing",
            amount=b.charge_amount,
            currency=b.currency,
            owed_at=b.charged_at,
            description=f"仪器预约 / instrument booking: {b.title}",
            contract_id=None,
        )
    rows = books.conn.execute(
        sa.select(owed, contracts.c.title.label("contract_title"), milestones.c.title.label("milestone_title"))
        .join(contracts, contracts.c.id == owed.c.contract_id)
        .join(milestones, milestones.c.id == owed.c.milestone_id)
        .order_by(owed.c.owed_at)
    ).all()
    for r in rows:
        books.settle(
            source="milestone",
            source_id=r.milestone_id,
            provider=r.provider_org_id,
            debtor=r.client_org_id,
            kind=r.income_kind,
            amount=r.amount,
            currency=r.currency,
            owed_at=r.owed_at,
            description=f"{r.contract_title}：{r.milestone_title}",
            contract_id=r.contract_id,
        )


def downgrade() -> None:
    """Nothing to undo row by row: the ledger is append-only, and the previous revision's downgrade
    drops its tables."""
