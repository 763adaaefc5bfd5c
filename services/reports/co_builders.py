"""Co-builder statements: for a month, what each co-builder was allocated from a centre's receipts
and paid out, from its payable account in the centre's ledger (opening, each movement, closing).

Seen by the co-builder's members (all its statements) and by the centre's finance staff and
manager (every co-builder of the centre); anyone else gets nothing (404 when naming a centre).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose, OrganisationKind
from models.ledger import JournalEntry, LedgerAccount, Posting
from models.organisations import Organisation
from services.actors import Actor
from services.ledger import access, periods
from services.ledger.entries import zone_of


@dataclass
class Movement:
    booked_at: datetime
    entry_id: uuid.UUID
    description: str
    source: str
    allocated: int  # credited to the payable (a share of a receipt)
    paid_out: int  # debited (a payout to the co-builder, or a reversal)


@dataclass
class Statement:
    centre: Organisation
    co_builder: Organisation
    account: LedgerAccount
    period: str
    opening: int
    closing: int = 0
    movements: list[Movement] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        return sum(m.allocated for m in self.movements)

    @property
    def paid_out(self) -> int:
        return sum(m.paid_out for m in self.movements)


async def statements(
    session: AsyncSession,
    actor: Actor,
    period: str,
    *,
    centre_id: uuid.UUID | None = None,
    co_builder_id: uuid.UUID | None = None,
) -> list[Statement]:
    """The month's statements the actor may read, by centre and co-builder."""
    periods.parse_period(period)
    own_co_builders = {m.organisation_id for m in actor.memberships if m.kind is OrganisationKind.co_builder}
    finance = access.reader_centres(actor)
    if centre_id is not None and centre_id not in finance:
        access.require(actor, centre_id)  # 404 or 403, as for the ledger itself
    stmt = select(LedgerAccount).where(
        LedgerAccount.purpose == AccountPurpose.co_builder_payable,
        or_(LedgerAccount.centre_id.in_(list(finance)), LedgerAccount.counterparty_org_id.in_(list(own_co_builders))),
    )
    if centre_id is not None:
        stmt = stmt.where(LedgerAccount.centre_id == centre_id)
    if co_builder_id is not None:
        stmt = stmt.where(LedgerAccount.counterparty_org_id == co_builder_id)
    accounts = (await session.scalars(stmt.order_by(LedgerAccount.centre_id, LedgerAccount.code))).all()
    return [await _statement(session, account, period) for account in accounts]


async def _statement(session: AsyncSession, account: LedgerAccount, period: str) -> Statement:
    start, end = periods.period_bounds(period, await zone_of(session, account.centre_id))
    before = await session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0)).where(
            Posting.account_id == account.id, Posting.booked_at < start
        )
    )
    rows = (
        await session.execute(
            select(
                Posting.amount, JournalEntry.id, JournalEntry.booked_at, JournalEntry.description, JournalEntry.source
            )
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.account_id == account.id, Posting.booked_at >= start, Posting.booked_at < end)
            .order_by(JournalEntry.booked_at, JournalEntry.id)
        )
    ).all()
    centre = await session.get(Organisation, account.centre_id)
    co_builder = await session.get(Organisation, account.counterparty_org_id)
    assert centre is not None and co_builder is not None
    # A payable is a credit balance: credits add to what is owed to the co-builder.
    statement = Statement(centre, co_builder, account, period, opening=-int(before or 0))
    for amount, entry_id, booked_at, description, source in rows:
        statement.movements.append(
            Movement(booked_at, entry_id, description, source.value, max(-amount, 0), max(amount, 0))
        )
    statement.closing = statement.opening + statement.allocated - statement.paid_out
    return statement
