"""Settlements: what clients owe for bookings and milestones; offline payments and write-offs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, PageDep, RequiredIdempotencyDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.settlements import OfflinePaymentCreate, PaymentRead, SettlementRead, WriteOffCreate
from models.enums import SettlementSource, SettlementStatus
from services import settlements
from services.errors import Invalid
from services.ledger import access, bank_accounts, periods

router = APIRouter(prefix=f"{API_PREFIX}/settlements", tags=["settlements"])

NOT_FOUND: Responses = {404: problem(settlements.SettlementNotFound)}


@router.get("", operation_id="listSettlements", response_model=Page[SettlementRead])
async def list_settlements(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[SettlementStatus | None, Query(alias="status")] = None,
    centre_id: Annotated[uuid.UUID | None, Query(description="Only this centre's")] = None,
    debtor_org_id: Annotated[uuid.UUID | None, Query(description="Only what this organisation owes")] = None,
    source: Annotated[SettlementSource | None, Query(description="booking or milestone")] = None,
    contract_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[SettlementRead]:
    """Settlements the caller may see (as debtor, provider staff, or the centre's finance), newest first."""
    result = await settlements.list_visible(
        session,
        actor,
        status=status_,
        centre_id=centre_id,
        debtor_org_id=debtor_org_id,
        source=source,
        contract_id=contract_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[SettlementRead](items=[SettlementRead.of(s) for s in result.items], next_cursor=result.next_cursor)


@router.get("/{settlement_id}", operation_id="getSettlement", response_model=SettlementRead, responses=NOT_FOUND)
async def get_settlement(settlement_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> SettlementRead:
    """One settlement: debtor's members, the provider's staff and the centre's finance see it."""
    return SettlementRead.of(await settlements.get(session, actor, settlement_id))


@router.get(
    "/{settlement_id}/payments",
    operation_id="listSettlementPayments",
    response_model=list[PaymentRead],
    responses=NOT_FOUND,
)
async def list_payments(settlement_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> list[PaymentRead]:
    """Every payment received against a visible settlement (reversed ones say so), oldest first."""
    settlement, rows = await settlements.payments_of(session, actor, settlement_id)
    return [PaymentRead.of(p, settlement, allocation) for p, allocation in rows]


@router.post(
    "/{settlement_id}/offline-payments",
    operation_id="recordOfflinePayment",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
    responses={
        **NOT_FOUND,
        403: problem(access.FinanceOnly),
        409: problems_doc(
            settlements.Overpayment,
            settlements.SettlementClosed,
            settlements.DuplicateBankReference,
            periods.PeriodClosed,
        ),
        422: problems_doc(Invalid, bank_accounts.BankAccountNotFound),
    },
)
async def record_offline_payment(
    settlement_id: uuid.UUID,
    body: OfflinePaymentCreate,
    actor: CurrentActor,
    session: SessionDep,
    idem: RequiredIdempotencyDep,
) -> Response:
    """Finance records a bank transfer received into one of the centre's bank accounts (partial payments
    allowed; never more than is owed); the receipt is shared under the contract's terms at once."""

    async def record() -> PaymentRead:
        payment = await settlements.record_offline(session, actor, settlement_id, body.to_input())
        settlement = await settlements.get(session, actor, settlement_id)
        return PaymentRead.of(payment, settlement, await settlements.allocation_of(session, payment.id))

    return await idem.run(record, PaymentRead, location=lambda p: f"/api/v1/settlements/{p.settlement_id}/payments")


@router.post(
    "/{settlement_id}/write-off",
    operation_id="writeOffSettlement",
    response_model=SettlementRead,
    responses={**NOT_FOUND, 403: problem(access.FinanceOnly), 409: problem(settlements.SettlementClosed)},
)
async def write_off_settlement(
    settlement_id: uuid.UUID, body: WriteOffCreate, actor: CurrentActor, session: SessionDep
) -> SettlementRead:
    """Finance writes off what is left of a settlement, with a reason (Dr bad debts / Cr receivable)."""
    return SettlementRead.of(await settlements.write_off(session, actor, settlement_id, reason=body.reason))
