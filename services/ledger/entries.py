"""Journal entries: the one function that moves money (`post`), reversals, and reading entries.

`post` checks what the database checks again (at least two postings, none zero, balanced per
currency, each in its account's currency and centre, the period open), then writes the postings
and the header last, so the header's trigger sees the whole set. It is idempotent on its source:
posting the same `(source, source_ref)` again returns the entry already written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import uuid7
from models.enums import EntrySource
from models.ledger import JournalEntry, LedgerAccount, Posting
from models.organisations import Organisation
from services import clock
from services.errors import Conflict, Invalid, NotFound
from services.ledger import periods

MAX_LINES = 200


class EntryNotFound(NotFound):
    title = "Journal entry not found"
    slug = "entry-not-found"


class UnbalancedEntry(Invalid):
    title = "The postings do not make a balanced entry"
    slug = "unbalanced-entry"


class AlreadyReversed(Conflict):
    title = "The entry has already been reversed"
    slug = "entry-already-reversed"


@dataclass(frozen=True)
class Line:
    """One posting to write: a signed amount (debit positive) on an account."""

    account: LedgerAccount
    amount: int
    institute_id: uuid.UUID | None = None
    memo: str | None = None


def debit(account: LedgerAccount, amount: int, **kw: object) -> Line:
    return Line(account, amount, **kw)  # type: ignore[arg-type]


def credit(account: LedgerAccount, amount: int, **kw: object) -> Line:
    return Line(account, -amount, **kw)  # type: ignore[arg-type]


def check_lines(centre_id: uuid.UUID, lines: Sequence[Line], loc: list[str | int] | None = None) -> None:
    """422 naming the first rule the lines break (the database refuses the same sets)."""
    loc = loc or ["body", "postings"]
    live = [line for line in lines if line.amount != 0]
    if len(live) < 2:
        raise UnbalancedEntry("an entry needs at least two non-zero postings", loc=loc)
    if len(lines) > MAX_LINES:
        raise UnbalancedEntry(f"at most {MAX_LINES} postings", loc=loc)
    sums: dict[str, int] = defaultdict(int)
    for i, line in enumerate(lines):
        if line.amount == 0:
            raise UnbalancedEntry("a posting of zero says nothing", loc=[*loc, i, "amount"])
        if line.account.centre_id != centre_id:
            raise UnbalancedEntry("every account must be the centre's own", loc=[*loc, i, "account_id"])
        sums[line.account.currency] += line.amount
    off = {currency: total for currency, total in sums.items() if total}
    if off:
        detail = ", ".join(f"{c} {'debits' if t > 0 else 'credits'} exceed by {abs(t)}" for c, t in sorted(off.items()))
        raise UnbalancedEntry(f"debits and credits must be equal in each currency ({detail})", loc=loc)


async def zone_of(session: AsyncSession, centre_id: uuid.UUID) -> str:
    centre = await session.get(Organisation, centre_id)
    return centre.timezone if centre is not None else "Asia/Shanghai"


async def post(
    session: AsyncSession,
    *,
    centre_id: uuid.UUID,
    source: EntrySource,
    source_ref: str,
    description: str,
    lines: Sequence[Line],
    booked_at: datetime | None = None,
    created_by: uuid.UUID | None = None,
    reverses_entry_id: uuid.UUID | None = None,
) -> JournalEntry:
    """Write a balanced entry (or return the one already written for this source)."""
    existing = await session.scalar(
        select(JournalEntry.id).where(JournalEntry.source == source, JournalEntry.source_ref == source_ref)
    )
    if existing is not None:
        return await load(session, existing)
    lines = [line for line in lines if line.amount != 0]
    check_lines(centre_id, lines)
    booked_at = booked_at or clock.now()
    period = periods.period_of(booked_at, await zone_of(session, centre_id))
    await periods.require_open(session, centre_id, period)
    entry_id = uuid7()
    await session.execute(
        insert(Posting),
        [
            {
                "id": uuid7(),
                "entry_id": entry_id,
                "line": n,
                "account_id": line.account.id,
                "centre_id": centre_id,
                "amount": line.amount,
                "currency": line.account.currency,
                "booked_at": booked_at,
                "institute_id": line.institute_id,
                "memo": line.memo,
            }
            for n, line in enumerate(lines, start=1)
        ],
    )
    await session.execute(
        insert(JournalEntry).values(
            id=entry_id,
            centre_id=centre_id,
            booked_at=booked_at,
            period=period,
            description=description[:500],
            source=source,
            source_ref=source_ref,
            reverses_entry_id=reverses_entry_id,
            created_by=created_by,
            created_at=clock.now(),
        )
    )
    return await load(session, entry_id)


async def load(session: AsyncSession, entry_id: uuid.UUID) -> JournalEntry:
    entry = await session.scalar(
        select(JournalEntry)
        .options(selectinload(JournalEntry.postings))
        .where(JournalEntry.id == entry_id)
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise EntryNotFound()
    return entry


async def reverse(
    session: AsyncSession, entry: JournalEntry, *, description: str, created_by: uuid.UUID | None
) -> JournalEntry:
    """The entry's mirror image, dated now (an open period), linked to it; an entry is reversed once."""
    taken = await session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry.id))
    if taken is not None:
        raise AlreadyReversed(reversal_entry_id=str(taken))
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_({p.account_id for p in entry.postings}))
        )
    }
    lines = [Line(accounts[p.account_id], -p.amount, p.institute_id, p.memo) for p in entry.postings]
    return await post(
        session,
        centre_id=entry.centre_id,
        source=EntrySource.reversal,
        source_ref=str(entry.id),
        description=description,
        lines=lines,
        created_by=created_by,
        reverses_entry_id=entry.id,
    )


def entries_of(centre_ids: Sequence[uuid.UUID]) -> Select[JournalEntry]:
    """Entries of these centres' ledgers (with their postings)."""
    return (
        select(JournalEntry)
        .options(selectinload(JournalEntry.postings))
        .where(JournalEntry.centre_id.in_(list(centre_ids)))
    )
