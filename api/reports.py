"""Reports: co-builder statements (revenue and receivables reports join them with the back office)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentActor, SessionDep
from api.errors import problem
from api.schemas.reports import CoBuilderStatement
from services.errors import Invalid
from services.ledger import access
from services.reports import co_builders

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/co-builder-statements",
    operation_id="getCoBuilderStatement",
    response_model=list[CoBuilderStatement],
    responses={403: problem(access.FinanceOnly), 404: problem(access.LedgerNotFound), 422: problem(Invalid)},
)
async def co_builder_statements(
    actor: CurrentActor,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"], description="YYYY-MM")],
    centre_id: Annotated[uuid.UUID | None, Query(description="Only this centre's ledger")] = None,
    co_builder_id: Annotated[uuid.UUID | None, Query(description="Only this co-builder")] = None,
) -> list[CoBuilderStatement]:
    """Each co-builder's month in a centre's ledger: opening payable, shares allocated from receipts,
    payouts, closing. Co-builders see their own; the centre's finance and manager see every one."""
    found = await co_builders.statements(session, actor, period, centre_id=centre_id, co_builder_id=co_builder_id)
    return [CoBuilderStatement.of(s) for s in found]
