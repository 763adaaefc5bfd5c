"""Reports for the finance back office: recognised revenue, receivables aging and co-builder
statements, as JSON or as CSV / XLSX downloads (`?format=`, Chinese headers with `?lang=zh`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import API_PREFIX, CurrentActor, SessionDep
from api.errors import Responses, problem
from api.schemas.common import Day
from api.schemas.reports import (
    AgingReportRead,
    CoBuilderStatement,
    RevenueReportRead,
    aging_tables,
    revenue_tables,
    statement_tables,
)
from api.schemas.tables import DOWNLOADS, FormatQuery, Lang, LangQuery, ReportFormat, download
from services.errors import Invalid
from services.ledger import access
from services.reports import co_builders, receivables, revenue

router = APIRouter(prefix=f"{API_PREFIX}/reports", tags=["reports"])

READ: Responses = {
    **DOWNLOADS,
    403: problem(access.FinanceOnly),
    404: problem(access.LedgerNotFound),
    422: problem(Invalid),
}
CentreQuery = Annotated[uuid.UUID | None, Query(description="The centre (default: the caller's only one)")]


@router.get(
    "/co-builder-statements",
    operation_id="listCoBuilderStatements",
    response_model=list[CoBuilderStatement],
    responses=READ,
)
async def co_builder_statements(
    actor: CurrentActor,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"], description="YYYY-MM")],
    centre_id: Annotated[uuid.UUID | None, Query(description="Only this centre's ledger")] = None,
    co_builder_id: Annotated[uuid.UUID | None, Query(description="Only this co-builder")] = None,
    fmt: FormatQuery = ReportFormat.json,
    lang: LangQuery = Lang.en,
) -> list[CoBuilderStatement] | Response:
    """Each co-builder's month in a centre's ledger: opening payable, shares allocated from receipts,
    payouts, closing. Co-builders see their own; the centre's finance and manager see every one.
    As a download: the opening, each movement with the running balance, and the closing."""
    found = await co_builders.statements(session, actor, period, centre_id=centre_id, co_builder_id=co_builder_id)
    if fmt is not ReportFormat.json:
        return download(statement_tables(found), fmt, lang, f"co-builder-statements-{period}")
    return [CoBuilderStatement.of(s) for s in found]


@router.get(
    "/revenue",
    operation_id="getRevenueReport",
    response_model=RevenueReportRead,
    responses=READ,
)
async def revenue_report(
    actor: CurrentActor,
    session: SessionDep,
    date_from: Annotated[
        Day | None, Query(alias="from", description="First day (default: the 1st of this month)")
    ] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last day, included (default: today)")] = None,
    group_by: Annotated[
        revenue.GroupBy, Query(description="kind, institute, month or customer")
    ] = revenue.GroupBy.kind,
    centre_id: CentreQuery = None,
    fmt: FormatQuery = ReportFormat.json,
    lang: LangQuery = Lang.en,
) -> RevenueReportRead | Response:
    """Revenue recognised in the centre's ledger between two days (in its time zone), per currency:
    the income accounts' credits less debits, net of VAT, grouped by income kind, institute, month or
    customer; each currency's total with its market-service part. Finance and the centre's manager."""
    report = await revenue.revenue(
        session, actor, centre_id=centre_id, date_from=date_from, date_to=date_to, group_by=group_by
    )
    if fmt is not ReportFormat.json:
        name = f"revenue-{report.date_from.isoformat()}-{report.date_to.isoformat()}-{report.group_by}"
        return download(revenue_tables(report, lang), fmt, lang, name)
    return RevenueReportRead.of(report)


@router.get(
    "/receivables-aging",
    operation_id="getReceivablesAging",
    response_model=AgingReportRead,
    responses=READ,
)
async def receivables_aging(
    actor: CurrentActor,
    session: SessionDep,
    centre_id: CentreQuery = None,
    fmt: FormatQuery = ReportFormat.json,
    lang: LangQuery = Lang.en,
) -> AgingReportRead | Response:
    """What clients still owe the centre, by days past due as of today in the centre's time zone:
    not yet due, 0-30, 31-60, 61-90, over 90; per currency and customer, with every open settlement.
    Finance and the centre's manager."""
    report = await receivables.aging(session, actor, centre_id=centre_id)
    if fmt is not ReportFormat.json:
        return download(aging_tables(report, lang), fmt, lang, f"receivables-aging-{report.as_of.isoformat()}")
    return AgingReportRead.of(report)
