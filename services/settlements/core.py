"""Settlements: what a client owes a centre for one booking or milestone, and who sees them.

Visible to the debtor's members, the provider's staff (HQ staff for their institutes too) and the
centre's finance staff and manager; everyone else gets 404.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import CentrePolicy
from models.enums import IncomeKind, SettlementSource, SettlementStatus
from models.organisations import Organisation
from models.settlements import Settlement, SettlementCounter
from services.actors import Actor
from services.errors import Conflict, NotFound
from services.ledger import access
from services.pagination import Page, SortKey, paginate

DEFAULT_PAYMENT_TERMS_DAYS = 30
DEFAULT_REWARD_INCOME_KINDS = (IncomeKind.transfer_licensing,)


class SettlementNotFound(NotFound):
    title = "Settlement not found"
    slug = "settlement-not-found"


class SettlementClosed(Conflict):
    title = "The settlement is already paid or written off"
    slug = "settlement-closed"


class Overpayment(Conflict):
    title = "The payment is more than what is still owed"
    slug = "overpayment"


def visible_settlements(actor: Actor) -> Select[Settlement]:
    """Settlements the actor may read: as debtor, as provider staff, or as the centre's finance."""
    stmt = select(Settlement)
    return stmt.where(
        or_(
            Settlement.debtor_org_id.in_(list(actor.private_org_ids)),
            Settlement.provider_org_id.in_(list(actor.provider_org_ids())),
            Settlement.centre_id.in_(list(access.reader_centres(actor))),
        )
    )


async def get(session: AsyncSession, actor: Actor, settlement_id: uuid.UUID, *, lock: bool = False) -> Settlement:
    """One visible settlement (locked for a change when asked), else 404."""
    stmt = visible_settlements(actor).where(Settlement.id == settlement_id)
    if lock:
        stmt = stmt.with_for_update()
    found = await session.scalar(stmt.execution_options(populate_existing=lock))
    if found is None:
        raise SettlementNotFound()
    return found


async def lock(session: AsyncSession, settlement_id: uuid.UUID) -> Settlement:
    """A settlement locked for a change, by id, for a caller whose access was checked elsewhere (a
    voucher issuer's officer deciding a claim sees the redemption, not the settlement)."""
    found = await session.scalar(
        select(Settlement)
        .where(Settlement.id == settlement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise SettlementNotFound()
    return found


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    status: SettlementStatus | None = None,
    centre_id: uuid.UUID | None = None,
    debtor_org_id: uuid.UUID | None = None,
    source: SettlementSource | None = None,
    contract_id: uuid.UUID | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Settlement]:
    """Visible settlements, newest first, with optional filters."""
    stmt = visible_settlements(actor)
    for column, value in (
        (Settlement.status, status),
        (Settlement.centre_id, centre_id),
        (Settlement.debtor_org_id, debtor_org_id),
        (Settlement.source, source),
        (Settlement.contract_id, contract_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return await paginate(session, stmt, [SortKey(Settlement.id, descending=True)], limit=limit, cursor=cursor)


async def next_number(session: AsyncSession, centre_id: uuid.UUID, year: int) -> str:
    """The centre's next settlement number of the year, taken in one atomic upsert."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(SettlementCounter)
        .values(centre_id=centre_id, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[SettlementCounter.centre_id, SettlementCounter.year],
            set_={"last": SettlementCounter.last + 1},
        )
        .returning(SettlementCounter.last)
    )
    last = (await session.execute(stmt)).scalar_one()
    return f"JS-{year}-{last:06d}"


async def policy_of(session: AsyncSession, org_id: uuid.UUID) -> CentrePolicy | None:
    """The finance policy an organisation follows: its own, else its parent centre's."""
    org = await session.get(Organisation, org_id)
    for candidate in (org_id, org.parent_id if org is not None else None):
        if candidate is not None and (policy := await session.get(CentrePolicy, candidate)) is not None:
            return policy
    return None


def status_after(settlement: Settlement) -> SettlementStatus:
    """The state that follows from what was paid and written off."""
    if settlement.written_off_amount:
        return SettlementStatus.written_off
    if settlement.paid_amount >= settlement.amount:
        return SettlementStatus.paid
    return SettlementStatus.partially_paid if settlement.paid_amount else SettlementStatus.open


def due_date(owed_on: date, terms_days: int) -> date:
    return owed_on + timedelta(days=terms_days)
