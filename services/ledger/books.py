"""The ledger as finance staff use it: accounts and balances, entries, manual entries, the trial
balance and closing periods; each call checks the caller's reach (services/ledger/access.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import uuid7
from models.enums import AccountPurpose, EntrySource
from models.ledger import JournalEntry, LedgerAccount, LedgerPeriod, Posting
from models.organisations import Organisation
from services import clock
from services.actors import Actor
from services.errors import Invalid, NotFound
from services.ledger import access, balances, entries, periods
from services.pagination import Page, SortKey, paginate


class AccountNotFound(NotFound):
    title = "Ledger account not found"
    slug = "account-not-found"


@dataclass(frozen=True)
class ManualLine:
    account_id: uuid.UUID
    amount: int  # debit positive, credit negative
    currency: str
    memo: str | None = None
    institute_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ManualEntryInput:
    description: str
    lines: Sequence[ManualLine]
    booked_at: datetime | None = None  # default: now
    centre_id: uuid.UUID | None = None


async def list_accounts(
    session: AsyncSession,
    actor: Actor,
    *,
    centre_id: uuid.UUID | None,
    currency: str | None,
    purpose: AccountPurpose | None,
    limit: int,
    cursor: str | None,
) -> Page[LedgerAccount]:
    """The centre's chart of accounts, by code."""
    centre = access.centre_for(actor, centre_id)
    stmt = select(LedgerAccount).where(LedgerAccount.centre_id == centre)
    if currency is not None:
        stmt = stmt.where(LedgerAccount.currency == currency)
    if purpose is not None:
        stmt = stmt.where(LedgerAccount.purpose == purpose)
    keys = [SortKey(LedgerAccount.currency), SortKey(LedgerAccount.code), SortKey(LedgerAccount.id)]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def get_account(session: AsyncSession, actor: Actor, account_id: uuid.UUID) -> LedgerAccount:
    account = await session.get(LedgerAccount, account_id)
    if account is None or account.centre_id not in access.reader_centres(actor):
        raise AccountNotFound()
    access.require(actor, account.centre_id)
    return account


async def account_balance(
    session: AsyncSession, actor: Actor, account_id: uuid.UUID, as_of: datetime | None
) -> tuple[balances.Balance, datetime]:
    """One account's balance as of a time (default: now), and that time."""
    account = await get_account(session, actor, account_id)
    at = as_of or clock.now()
    return await balances.of_account(session, account, at), at


async def trial_balance(
    session: AsyncSession, actor: Actor, *, centre_id: uuid.UUID | None, as_of: datetime | None, currency: str | None
) -> tuple[uuid.UUID, datetime, list[balances.Balance]]:
    """Every account's balance as of a time; debits equal credits in each currency."""
    centre = access.centre_for(actor, centre_id)
    at = as_of or clock.now()
    return centre, at, await balances.trial_balance(session, centre, at, currency)


async def get_entry(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> JournalEntry:
    entry = await session.get(JournalEntry, entry_id)
    if entry is None or entry.centre_id not in access.reader_centres(actor):
        raise entries.EntryNotFound()
    access.require(actor, entry.centre_id)
    return await entries.load(session, entry_id)


async def list_entries(
    session: AsyncSession,
    actor: Actor,
    *,
    centre_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
    source: EntrySource | None,
    source_ref: str | None,
    booked_from: datetime | None,
    booked_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[JournalEntry]:
    """Entries of the centre's ledger, newest first; by account, source and booking time [from, to)."""
    centre = access.centre_for(actor, centre_id)
    stmt = entries.entries_of([centre])
    if account_id is not None:
        stmt = stmt.where(exists().where(Posting.entry_id == JournalEntry.id, Posting.account_id == account_id))
    if source is not None:
        stmt = stmt.where(JournalEntry.source == source)
    if source_ref is not None:
        stmt = stmt.where(JournalEntry.source_ref == source_ref)
    if booked_from is not None:
        stmt = stmt.where(JournalEntry.booked_at >= booked_from)
    if booked_to is not None:
        stmt = stmt.where(JournalEntry.booked_at < booked_to)
    keys = [SortKey(JournalEntry.booked_at, descending=True), SortKey(JournalEntry.id, descending=True)]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def post_manual(session: AsyncSession, actor: Actor, data: ManualEntryInput) -> JournalEntry:
    """Finance posts a balanced entry to the centre's own accounts (grants, subsidies, payouts to
    co-builders and the research team, corrections)."""
    centre = access.centre_for(actor, data.centre_id, write=True)
    wanted = {line.account_id for line in data.lines}
    found = {
        a.id: a
        for a in await session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_(wanted), LedgerAccount.centre_id == centre)
        )
    }
    lines = []
    for i, line in enumerate(data.lines):
        account = found.get(line.account_id)
        if account is None:
            raise Invalid("no such account in the centre's ledger", loc=["body", "postings", i, "account_id"])
        if line.currency != account.currency:
            raise Invalid(f"the account is kept in {account.currency}", loc=["body", "postings", i, "amount"])
        if line.institute_id is not None:
            institute = await session.get(Organisation, line.institute_id)
            if institute is None or institute.parent_id != centre:
                raise Invalid("not one of the centre's institutes", loc=["body", "postings", i, "institute_id"])
        lines.append(entries.Line(account, line.amount, line.institute_id, line.memo))
    entries.check_lines(centre, lines)
    if data.booked_at is not None and data.booked_at > clock.now():
        raise Invalid("an entry cannot be booked in the future", loc=["body", "booked_at"])
    return await entries.post(
        session,
        centre_id=centre,
        source=EntrySource.manual,
        source_ref=str(uuid7()),
        description=data.description,
        lines=lines,
        booked_at=data.booked_at,
        created_by=actor.user_id,
    )


async def close_period(session: AsyncSession, actor: Actor, period: str, centre_id: uuid.UUID | None) -> LedgerPeriod:
    """Finance closes an ended month of the centre's ledger."""
    centre = access.centre_for(actor, centre_id, write=True)
    zone = await entries.zone_of(session, centre)
    return await periods.close(session, centre, periods.parse_period(period), zone, actor.user_id)


async def reopen_period(
    session: AsyncSession, actor: Actor, period: str, centre_id: uuid.UUID | None, *, reason: str
) -> LedgerPeriod:
    """The centre's manager reopens a closed month, with a reason."""
    centre = access.centre_for(actor, centre_id, manager=True)
    return await periods.reopen(session, centre, periods.parse_period(period), actor.user_id, reason)
