"""The ledger for finance tools: beancount (for bean-check and Fava), hledger's journal, and CSV rows.

Days are the centre's (its time zone): an export covers `from`..`to` (both included). Each ledger
account becomes one account of the file, named by its type, purpose and currency in beancount's
legal alphabet (`Assets:Receivable:CNY`, `Income:MarketService:Testing:CNY`,
`Liabilities:CoBuilderPayable:2241-001:CNY`), with its code and Chinese and English names as
metadata. With `from`, the balances before that day come first as one opening entry (the ledger
sums to zero per currency, so it balances on its own); the file ends with each account's balance at
the end of `to` as an assertion (`balance` in beancount, `=` in hledger), the trial balance as of
that moment, which both tools check.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.enums import AccountPurpose, AccountType, IncomeKind
from models.ledger import JournalEntry, LedgerAccount
from models.organisations import Organisation
from services import clock
from services.actors import Actor
from services.errors import Invalid
from services.ledger import access, balances
from services.ledger.entries import zone_of
from services.money import decimal_text

ROOTS = {
    AccountType.asset: "Assets",
    AccountType.liability: "Liabilities",
    AccountType.income: "Income",
    AccountType.expense: "Expenses",
}
PURPOSE_NAMES = {
    AccountPurpose.bank: "Bank",
    AccountPurpose.stripe_clearing: "StripeClearing",
    AccountPurpose.receivable: "Receivable",
    AccountPurpose.voucher_receivable: "VoucherReceivable",
    AccountPurpose.disputed_funds: "DisputedFunds",
    AccountPurpose.deferred_revenue: "DeferredRevenue",
    AccountPurpose.co_builder_payable: "CoBuilderPayable",
    AccountPurpose.team_reward_payable: "TeamRewardPayable",
    AccountPurpose.vat_output: "VATOutput",
    AccountPurpose.income: "MarketService",
    AccountPurpose.grant_income: "Grants",
    AccountPurpose.subsidy_income: "PostSubsidies",
    AccountPurpose.payment_fees: "PaymentFees",
    AccountPurpose.revenue_share_expense: "RevenueShare",
    AccountPurpose.team_reward_expense: "TeamReward",
    AccountPurpose.write_off_expense: "BadDebts",
}
KIND_NAMES = {
    IncomeKind.contract_rd: "ContractRD",
    IncomeKind.transfer_licensing: "TransferLicensing",
    IncomeKind.consulting: "Consulting",
    IncomeKind.testing: "Testing",
    IncomeKind.instrument_sharing: "InstrumentSharing",
}
_NOT_LEGAL = re.compile(r"[^A-Za-z0-9-]")


def _component(text: str) -> str:
    """One account-name component: letters, digits and dashes, starting with a capital or digit."""
    cleaned = _NOT_LEGAL.sub("-", text).strip("-") or "X"
    return cleaned[0].upper() + cleaned[1:]


def account_name(account: LedgerAccount) -> str:
    """The account's name in beancount and hledger (unique per ledger account)."""
    purpose = account.purpose
    parts = [ROOTS[account.type]]
    parts.append(PURPOSE_NAMES.get(purpose) or "".join(w.capitalize() for w in str(purpose).split("_")))
    if account.income_kind is not None:
        parts.append(KIND_NAMES.get(account.income_kind) or _component(str(account.income_kind)))
    elif account.counterparty_org_id is not None or account.bank_account_id is not None or "." in account.code:
        parts.append(_component(account.code.replace(".", "-")))
    parts.append(account.currency)
    return ":".join(_component(p) for p in parts)


@dataclass(frozen=True)
class ExportAccount:
    account: LedgerAccount
    name: str  # in the file
    opening: int  # net (debits - credits) before `from`
    closing: int  # net at the end of `to`


@dataclass
class LedgerExport:
    centre: Organisation
    zone: str
    date_from: date | None  # None: from the first entry, with no opening balances
    date_to: date
    opened_on: date  # the date every account is opened (and the opening entry dated)
    accounts: list[ExportAccount]
    entries: list[JournalEntry]

    def local(self, when: datetime) -> datetime:
        return when.astimezone(ZoneInfo(self.zone))


async def gather(
    session: AsyncSession,
    actor: Actor,
    *,
    centre_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
) -> LedgerExport:
    """The centre's accounts with their opening and closing balances and the entries between."""
    centre_id = access.centre_for(actor, centre_id)
    centre = await session.get(Organisation, centre_id)
    assert centre is not None
    zone = await zone_of(session, centre_id)
    tz = ZoneInfo(zone)
    today = clock.now().astimezone(tz).date()
    date_to = date_to or today
    if date_from is not None and date_to < date_from:
        raise Invalid("`to` is before `from`", loc=["query", "to"])
    end = datetime(date_to.year, date_to.month, date_to.day, tzinfo=tz) + timedelta(days=1)
    start = datetime(date_from.year, date_from.month, date_from.day, tzinfo=tz) if date_from is not None else None
    moment = timedelta(microseconds=1)
    closing = await balances.trial_balance(session, centre_id, end - moment)
    opening = (
        {b.account.id: b.net for b in await balances.trial_balance(session, centre_id, start - moment)}
        if start is not None
        else {}
    )
    stmt = (
        select(JournalEntry)
        .options(selectinload(JournalEntry.postings))
        .where(JournalEntry.centre_id == centre_id, JournalEntry.booked_at < end)
        .order_by(JournalEntry.booked_at, JournalEntry.id)
    )
    if start is not None:
        stmt = stmt.where(JournalEntry.booked_at >= start)
    found = list((await session.scalars(stmt)).all())
    if date_from is not None:
        opened_on = date_from
    elif found:
        opened_on = found[0].booked_at.astimezone(tz).date()
    else:
        opened_on = date_to
    names: set[str] = set()
    accounts = []
    for b in closing:
        name = account_name(b.account)
        if name in names:  # a purpose added later without its own name: keep every account apart
            name = f"{name}-{_component(b.account.code.replace('.', '-'))}"
        names.add(name)
        accounts.append(ExportAccount(b.account, name, opening.get(b.account.id, 0), b.net))
    return LedgerExport(centre, zone, date_from, date_to, opened_on, accounts, found)


def _quoted(text: str) -> str:
    one_line = " ".join(text.split())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _amount(net: int, currency: str) -> str:
    return f"{decimal_text(net, currency)} {currency}"


def beancount(export: LedgerExport) -> str:
    """The export as a beancount file: bean-check passes and Fava opens it."""
    by_id = {a.account.id: a for a in export.accounts}
    currencies = sorted({a.account.currency for a in export.accounts})
    out = [
        f"; {export.centre.name}: ledger export "
        f"{export.date_from.isoformat() if export.date_from else 'start'} .. {export.date_to.isoformat()}"
        f" ({export.zone})",
        f'option "title" {_quoted(export.centre.name + " 账簿")}',
    ]
    main = "CNY" if "CNY" in currencies or not currencies else currencies[0]
    out.append(f'option "operating_currency" "{main}"')
    out.append("")
    for c in currencies:
        out.append(f"{export.opened_on.isoformat()} commodity {c}")
    out.append("")
    for a in export.accounts:
        acc = a.account
        out += [
            f"{export.opened_on.isoformat()} open {a.name} {acc.currency}",
            f"  code: {_quoted(acc.code)}",
            f"  name: {_quoted(acc.name)}",
            f"  name_en: {_quoted(acc.name_en)}",
            f"  ledger_account_id: {_quoted(str(acc.id))}",
        ]
    out.append("")
    opening = [a for a in export.accounts if a.opening]
    if opening:
        out.append(f"{export.opened_on.isoformat()} * {_quoted('期初余额 / opening balances')}")
        out += [f"  {a.name}  {_amount(a.opening, a.account.currency)}" for a in opening]
        out.append("")
    for e in export.entries:
        out += [
            f"{export.local(e.booked_at).date().isoformat()} * {_quoted(e.description)}",
            f"  entry_id: {_quoted(str(e.id))}",
            f"  source: {_quoted(str(e.source))}",
            f"  source_ref: {_quoted(e.source_ref)}",
            f"  booked_at: {_quoted(export.local(e.booked_at).isoformat())}",
        ]
        if e.reverses_entry_id is not None:
            out.append(f"  reverses_entry_id: {_quoted(str(e.reverses_entry_id))}")
        for p in e.postings:
            a = by_id[p.account_id]
            out.append(f"  {a.name}  {_amount(p.amount, p.currency)}")
            if p.memo:
                out.append(f"    memo: {_quoted(p.memo)}")
            if p.institute_id is not None:
                out.append(f"    institute_id: {_quoted(str(p.institute_id))}")
        out.append("")
    check_on = (export.date_to + timedelta(days=1)).isoformat()
    out.append(f"; balances at the end of {export.date_to.isoformat()} (GET /ledger/trial-balance)")
    out += [  # `~ 0`: exact to the fen (beancount would otherwise tolerate half a unit of the last digit each way)
        f"{check_on} balance {a.name}  {decimal_text(a.closing, a.account.currency)} ~ "
        f"{decimal_text(0, a.account.currency)} {a.account.currency}"
        for a in export.accounts
    ]
    return "\n".join(out) + "\n"


def _tag(text: str) -> str:
    """A value for an hledger tag (which ends at a comma or the line's end)."""
    return " ".join(text.replace(",", "，").split())


HLEDGER_TYPES = {AccountType.asset: "A", AccountType.liability: "L", AccountType.income: "R", AccountType.expense: "X"}


def hledger(export: LedgerExport) -> str:
    """The export as an hledger journal (hledger reads its own format, not beancount's): the same
    accounts (declared, with their code and names as tags), entries and closing assertions."""
    by_id = {a.account.id: a for a in export.accounts}
    out = [
        f"; {export.centre.name}: ledger export "
        f"{export.date_from.isoformat() if export.date_from else 'start'} .. {export.date_to.isoformat()}"
        f" ({export.zone})",
        "",
    ]
    for c in sorted({a.account.currency for a in export.accounts}):
        out.append(f"commodity {c}")
    out.append("")
    for a in export.accounts:
        acc = a.account
        out.append(
            f"account {a.name}  ; type:{HLEDGER_TYPES[acc.type]}, code:{acc.code}, name:{_tag(acc.name)}, "
            f"name_en:{_tag(acc.name_en)}, ledger_account_id:{acc.id}"
        )
    out.append("")
    opening = [a for a in export.accounts if a.opening]
    if opening:
        out.append(f"{export.opened_on.isoformat()} * 期初余额 / opening balances")
        out += [f"    {a.name}  {_amount(a.opening, a.account.currency)}" for a in opening]
        out.append("")
    for e in export.entries:
        out.append(
            f"{export.local(e.booked_at).date().isoformat()} * {' '.join(e.description.split())}"
            f"  ; entry_id:{e.id}, source:{e.source}, source_ref:{_tag(e.source_ref)}"
        )
        for p in e.postings:
            line = f"    {by_id[p.account_id].name}  {_amount(p.amount, p.currency)}"
            if p.memo:
                line += f"  ; memo:{_tag(p.memo)}"
            out.append(line)
        out.append("")
    out.append(f"{export.date_to.isoformat()} * 期末余额核对 / balances at the end of the day (trial balance)")
    out += [f"    {a.name}  0 {a.account.currency} = {_amount(a.closing, a.account.currency)}" for a in export.accounts]
    return "\n".join(out) + "\n"
