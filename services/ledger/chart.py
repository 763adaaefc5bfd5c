"""Each centre's chart of accounts: one account per purpose and currency (and per income kind,
co-builder, voucher issuer or bank account where the purpose needs one).

The CNY chart is opened with the centre (`open_chart`); an account in another currency, or for a
new co-builder, issuer or bank account, is opened the first time a posting needs it (`account`).
Codes follow China's enterprise accounting standards' chart where one fits (1002 bank deposits,
1122 receivables, 6001 main business income...), with a suffix per income kind or counterparty.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ACCOUNT_TYPES, AccountPurpose, IncomeKind
from models.ledger import LedgerAccount
from models.organisations import Organisation


@dataclass(frozen=True)
class ChartLine:
    code: str
    name: str
    name_en: str


CHART: dict[AccountPurpose, ChartLine] = {
    AccountPurpose.bank: ChartLine("1002", "银行存款", "Bank deposits"),
    AccountPurpose.stripe_clearing: ChartLine("1012", "其他货币资金—Stripe 清算", "Stripe clearing"),
    AccountPurpose.receivable: ChartLine("1122", "应收账款", "Accounts receivable"),
    AccountPurpose.voucher_receivable: ChartLine("1221", "其他应收款—应收创新券款", "Voucher receivable"),
    AccountPurpose.disputed_funds: ChartLine("1231", "其他应收款—银行卡争议款项", "Card funds held in dispute"),
    AccountPurpose.deferred_revenue: ChartLine("2204", "合同负债（预收账款）", "Deferred revenue"),
    AccountPurpose.co_builder_payable: ChartLine("2241", "其他应付款—共建单位收益分成", "Payable to co-builders"),
    AccountPurpose.team_reward_payable: ChartLine("2211", "应付职工薪酬—成果完成团队奖励", "Team reward payable"),
    AccountPurpose.vat_output: ChartLine("2221", "应交税费—应交增值税（销项税额）", "VAT output"),
    AccountPurpose.income: ChartLine("6001", "主营业务收入—市场化服务收入", "Market-service income"),
    AccountPurpose.grant_income: ChartLine("6301", "营业外收入—竞争性课题收入", "Competitive grant income"),
    AccountPurpose.subsidy_income: ChartLine("6302", "营业外收入—财政后补助收入", "Fiscal post-subsidy income"),
    AccountPurpose.payment_fees: ChartLine("6603", "财务费用—支付手续费", "Payment fees"),
    AccountPurpose.revenue_share_expense: ChartLine("6401", "主营业务成本—收益分成", "Revenue share expense"),
    AccountPurpose.team_reward_expense: ChartLine("6402", "主营业务成本—团队奖励", "Team reward expense"),
    AccountPurpose.write_off_expense: ChartLine("6702", "信用减值损失—坏账核销", "Bad debts written off"),
    AccountPurpose.bank_charges: ChartLine("6603.02", "财务费用—银行手续费", "Bank charges"),
    AccountPurpose.fx_difference: ChartLine("6603.03", "财务费用—汇兑损益", "Exchange differences"),
}

INCOME_NAMES: dict[IncomeKind, tuple[str, str, str]] = {
    IncomeKind.contract_rd: ("01", "合同研发", "contract R&D"),
    IncomeKind.transfer_licensing: ("02", "技术转让与许可", "transfer and licensing"),
    IncomeKind.consulting: ("03", "技术咨询", "consulting"),
    IncomeKind.testing: ("04", "检验检测与技术服务", "testing and technical services"),
    IncomeKind.instrument_sharing: ("05", "仪器开放共享", "instrument sharing"),
}

# Opened with every centre, in CNY: the accounts that need no counterparty.
STANDARD = (
    AccountPurpose.stripe_clearing,
    AccountPurpose.disputed_funds,
    AccountPurpose.receivable,
    AccountPurpose.deferred_revenue,
    AccountPurpose.team_reward_payable,
    AccountPurpose.vat_output,
    AccountPurpose.grant_income,
    AccountPurpose.subsidy_income,
    AccountPurpose.payment_fees,
    AccountPurpose.revenue_share_expense,
    AccountPurpose.team_reward_expense,
    AccountPurpose.write_off_expense,
)


@dataclass(frozen=True)
class AccountSpec:
    """Which account: the purpose and, where it needs one, the income kind or counterparty."""

    purpose: AccountPurpose
    income_kind: IncomeKind | None = None
    counterparty: Organisation | None = None
    bank_account_id: uuid.UUID | None = None
    bank_account_name: str | None = None

    @property
    def key(self) -> str:
        if self.purpose is AccountPurpose.income:
            return f"income:{self.income_kind}"
        if self.counterparty is not None:
            return f"{self.purpose}:{self.counterparty.id}"
        if self.bank_account_id is not None:
            return f"bank:{self.bank_account_id}"
        return str(self.purpose)

    def describe(self, sequence: int | None) -> ChartLine:
        line = CHART[self.purpose]
        if self.purpose is AccountPurpose.income:
            assert self.income_kind is not None
            suffix, zh, en = INCOME_NAMES[self.income_kind]
            return ChartLine(f"{line.code}.{suffix}", f"{line.name}—{zh}", f"{line.name_en}: {en}")
        if self.counterparty is not None:
            name_en = self.counterparty.name_en or self.counterparty.name
            return ChartLine(
                f"{line.code}.{sequence or 0:03d}",
                f"{line.name}—{self.counterparty.name}",
                f"{line.name_en}: {name_en}",
            )
        if self.bank_account_name is not None:
            return ChartLine(f"{line.code}.{sequence or 0:03d}", f"{line.name}—{self.bank_account_name}", line.name_en)
        return line


def _needs(spec: AccountSpec) -> None:
    if (spec.purpose is AccountPurpose.income) != (spec.income_kind is not None):
        raise ValueError("an income account, and only one, names its income kind")
    per_counterparty = spec.purpose in (AccountPurpose.co_builder_payable, AccountPurpose.voucher_receivable)
    if per_counterparty != (spec.counterparty is not None):
        raise ValueError(f"{spec.purpose} accounts name their counterparty")
    if (spec.purpose is AccountPurpose.bank) != (spec.bank_account_id is not None):
        raise ValueError("a bank account's ledger account names the bank account")


async def account(session: AsyncSession, centre_id: uuid.UUID, currency: str, spec: AccountSpec) -> LedgerAccount:
    """The centre's account for `spec` in `currency`, opened now if this is its first use."""
    _needs(spec)
    key = spec.key
    stmt = select(LedgerAccount).where(
        LedgerAccount.centre_id == centre_id, LedgerAccount.currency == currency, LedgerAccount.key == key
    )
    found = await session.scalar(stmt)
    if found is not None:
        return found
    sequence = None
    if spec.counterparty is not None or spec.bank_account_id is not None:
        taken = await session.scalars(
            select(LedgerAccount.code).where(
                LedgerAccount.centre_id == centre_id, LedgerAccount.purpose == spec.purpose
            )
        )
        sequence = len(set(taken.all())) + 1
    line = spec.describe(sequence)
    row = LedgerAccount(
        centre_id=centre_id,
        currency=currency,
        key=key,
        type=ACCOUNT_TYPES[spec.purpose],
        purpose=spec.purpose,
        income_kind=spec.income_kind,
        counterparty_org_id=spec.counterparty.id if spec.counterparty is not None else None,
        bank_account_id=spec.bank_account_id,
        code=line.code,
        name=line.name,
        name_en=line.name_en,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # opened by a concurrent first use: take theirs
        found = await session.scalar(stmt)
        assert found is not None
        return found
    return row


async def open_chart(session: AsyncSession, centre_id: uuid.UUID, currency: str = "CNY") -> list[LedgerAccount]:
    """The accounts every centre has from the start, in `currency` (income one per kind)."""
    opened = [await account(session, centre_id, currency, AccountSpec(p)) for p in STANDARD]
    for kind in IncomeKind:
        opened.append(await account(session, centre_id, currency, AccountSpec(AccountPurpose.income, income_kind=kind)))
    return opened
