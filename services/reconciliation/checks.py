"""Statement balances against the ledger (M12): a statement's closing balance must equal the
ledger's bank account at the end of that day (in the centre's time zone). Checked at import, and
again whenever the report is read or the period is closed, so matching the lines that explain a
difference (or a manual entry for an opening balance) resolves it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import BalanceCheckStatus
from models.ledger import BankAccount
from models.reconciliation import BalanceCheck, StatementImport
from services.ledger import balances, bank_accounts, entries


@dataclass(frozen=True)
class CheckResult:
    check: BalanceCheck

    @property
    def difference(self) -> int:
        return self.check.statement_balance - self.check.ledger_balance


def end_of_day(day: date, zone: str) -> datetime:
    """The last instant of `day` in the zone (postings booked at or before it count)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(zone)) - timedelta(microseconds=1)


async def ledger_balance(session: AsyncSession, bank: BankAccount, day: date) -> int:
    account = await bank_accounts.ledger_account(session, bank)
    zone = await entries.zone_of(session, bank.centre_id)
    return (await balances.of_account(session, account, end_of_day(day, zone))).balance


async def record(
    session: AsyncSession, bank: BankAccount, statement: StatementImport, as_of: date, amount: int
) -> CheckResult:
    check = BalanceCheck(
        centre_id=bank.centre_id,
        bank_account_id=bank.id,
        import_id=statement.id,
        as_of=as_of,
        currency=bank.currency,
        statement_balance=amount,
        ledger_balance=0,
        status=BalanceCheckStatus.failed,
    )
    session.add(check)
    await refresh(session, bank, check)
    return CheckResult(check)


async def refresh(session: AsyncSession, bank: BankAccount, check: BalanceCheck) -> None:
    check.ledger_balance = await ledger_balance(session, bank, check.as_of)
    agreed = check.ledger_balance == check.statement_balance
    check.status = BalanceCheckStatus.passed if agreed else BalanceCheckStatus.failed
    await session.flush()


async def recheck(session: AsyncSession, centre_id: uuid.UUID, until: date | None = None) -> list[BalanceCheck]:
    """Every check of the centre (as of `until` or before), checked again now; returns them all."""
    stmt = select(BalanceCheck).where(BalanceCheck.centre_id == centre_id)
    if until is not None:
        stmt = stmt.where(BalanceCheck.as_of <= until)
    found = list((await session.scalars(stmt.order_by(BalanceCheck.as_of, BalanceCheck.id))).all())
    banks: dict[uuid.UUID, BankAccount] = {}
    for check in found:
        if check.bank_account_id not in banks:
            bank = await session.get(BankAccount, check.bank_account_id)
            assert bank is not None
            banks[bank.id] = bank
        await refresh(session, banks[check.bank_account_id], check)
    return found
