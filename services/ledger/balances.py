"""Balances, always derived from the postings (no stored balance to drift): one account's as of
any time, and a centre's trial balance. Each is one aggregate over the (account, booked_at, amount)
index; bench/ledger_bench.py holds them against the raw SQL aggregate on 1M postings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountType
from models.ledger import LedgerAccount, Posting

DEBIT_NORMAL = (AccountType.asset, AccountType.expense)


@dataclass(frozen=True)
class Balance:
    """Sums of an account's postings up to a time: debits, credits, and the balance on its normal
    side (assets and expenses: debits - credits; liabilities and income: credits - debits)."""

    account: LedgerAccount
    debits: int
    credits: int

    @property
    def net(self) -> int:
        """Debits - credits (the sign every posting carries)."""
        return self.debits - self.credits

    @property
    def balance(self) -> int:
        return self.net if self.account.type in DEBIT_NORMAL else -self.net


_p = Posting.__table__
_DEBITS = func.coalesce(func.sum(case((_p.c.amount > 0, _p.c.amount), else_=0)), 0)
_CREDITS = func.coalesce(func.sum(case((_p.c.amount < 0, -_p.c.amount), else_=0)), 0)

# Built once: bound per call.
_ONE = select(_DEBITS, _CREDITS).where(
    _p.c.account_id == bindparam("account_id"), _p.c.booked_at <= bindparam("as_of", type_=_p.c.booked_at.type)
)
_ALL = (
    select(_p.c.account_id, _DEBITS, _CREDITS)
    .where(_p.c.centre_id == bindparam("centre_id"), _p.c.booked_at <= bindparam("as_of", type_=_p.c.booked_at.type))
    .group_by(_p.c.account_id)
)


async def of_account(session: AsyncSession, account: LedgerAccount, as_of: datetime) -> Balance:
    """The account's balance including every posting booked at or before `as_of`."""
    conn = await session.connection()
    debits, credits = (await conn.execute(_ONE, {"account_id": account.id, "as_of": as_of})).one()
    return Balance(account, int(debits), int(credits))


async def trial_balance(
    session: AsyncSession, centre_id: uuid.UUID, as_of: datetime, currency: str | None = None
) -> list[Balance]:
    """Every account of the centre (in `currency`, or all), with its sums as of `as_of`, by code."""
    conn = await session.connection()
    sums = {
        row[0]: (int(row[1]), int(row[2])) for row in await conn.execute(_ALL, {"centre_id": centre_id, "as_of": as_of})
    }
    stmt = select(LedgerAccount).where(LedgerAccount.centre_id == centre_id)
    if currency is not None:
        stmt = stmt.where(LedgerAccount.currency == currency)
    accounts = (await session.scalars(stmt.order_by(LedgerAccount.currency, LedgerAccount.code))).all()
    return [Balance(a, *sums.get(a.id, (0, 0))) for a in accounts]
