"""A centre's bank accounts: where transfers arrive; each has its own ledger account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose
from models.ledger import BankAccount, LedgerAccount
from services.actors import Actor
from services.errors import AlreadyExists, NotFound
from services.ledger import access, chart
from services.pagination import Page, SortKey, paginate


class BankAccountNotFound(NotFound):
    title = "Bank account not found"
    slug = "bank-account-not-found"


class BankAccountExists(AlreadyExists):
    title = "The centre already has this bank account"
    slug = "bank-account-exists"


@dataclass(frozen=True)
class BankAccountInput:
    name: str
    bank_name: str
    account_number: str
    currency: str
    centre_id: uuid.UUID | None = None


async def create(session: AsyncSession, actor: Actor, data: BankAccountInput) -> BankAccount:
    """Add a bank account to the centre (finance) and open its ledger account."""
    centre_id = access.centre_for(actor, data.centre_id, write=True)
    row = BankAccount(
        centre_id=centre_id,
        name=data.name,
        bank_name=data.bank_name,
        account_number=data.account_number,
        currency=data.currency,
        created_by=actor.user_id,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise BankAccountExists() from exc
    await ledger_account(session, row)
    return row


async def ledger_account(session: AsyncSession, bank_account: BankAccount) -> LedgerAccount:
    """The bank account's own ledger account (1002.nnn)."""
    spec = chart.AccountSpec(
        AccountPurpose.bank,
        bank_account_id=bank_account.id,
        bank_account_name=f"{bank_account.bank_name} {bank_account.name}",
    )
    return await chart.account(session, bank_account.centre_id, bank_account.currency, spec)


async def get(session: AsyncSession, actor: Actor, bank_account_id: uuid.UUID, *, write: bool = False) -> BankAccount:
    """One of the centre's bank accounts the actor may use (404 otherwise)."""
    row = await session.get(BankAccount, bank_account_id)
    if row is None or row.centre_id not in access.reader_centres(actor):
        raise BankAccountNotFound()
    access.require(actor, row.centre_id, write=write)
    return row


async def list_for(
    session: AsyncSession, actor: Actor, centre_id: uuid.UUID | None, *, limit: int, cursor: str | None
) -> Page[BankAccount]:
    """The centre's bank accounts, oldest first."""
    centre = access.centre_for(actor, centre_id)
    stmt = select(BankAccount).where(BankAccount.centre_id == centre)
    return await paginate(session, stmt, [SortKey(BankAccount.id)], limit=limit, cursor=cursor)
