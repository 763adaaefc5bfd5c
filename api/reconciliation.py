"""Reconciliation: statements imported into a centre's bank accounts (files or Stripe's API), the
work queue of unmatched lines, manual matches and their reversals, the period's report. The
centre's finance staff write; its manager reads; other roles of the centre 403; anyone else 404."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api.deps import API_PREFIX, CurrentActor, PageDep, RequiredIdempotencyDep, SessionDep, SettingsDep, StripeDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.reconciliation import (
    ImportRead,
    LineRead,
    MatchCreate,
    MatchRead,
    ReportRead,
    StripeSyncCreate,
)
from models.enums import LineStatus
from services import reconciliation, settlements
from services.errors import Invalid
from services.ledger import access, bank_accounts, periods
from services.reconciliation import matching, profiles
from services.reconciliation import report as recon_report
from services.stripe_gateway import CardPaymentsNotConfigured, StripeRefused, StripeUnavailable

router = APIRouter(prefix=f"{API_PREFIX}/reconciliation", tags=["reconciliation"])

READ: Responses = {403: problem(access.FinanceOnly), 404: problem(access.LedgerNotFound)}
CentreQuery = Annotated[uuid.UUID | None, Query(description="The centre (default: the caller's only one)")]


@router.post(
    "/imports",
    operation_id="importStatement",
    summary="Import a bank or Stripe statement",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportRead,
    responses={
        403: problem(access.FinanceOnly),
        404: problems_doc(bank_accounts.BankAccountNotFound, access.LedgerNotFound),
        409: problems_doc(reconciliation.StatementAlreadyImported, periods.PeriodClosed),
        413: problem(reconciliation.ImportTooLarge),
        422: problems_doc(reconciliation.UnreadableStatement, Invalid),
    },
)
async def import_statement(
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    idem: RequiredIdempotencyDep,
    file: Annotated[UploadFile, File(description="The statement: CSV, Excel (.xlsx), camt.053 XML or Stripe CSV")],
    bank_account_id: Annotated[uuid.UUID, Form(description="The centre's bank account it is the statement of")],
    profile: Annotated[
        str,
        Form(description=f"How to read it: {', '.join(profiles.ALL_PROFILES)} (see docs/reconciliation.md)"),
    ],
) -> Response:
    """Finance imports a statement into one of the centre's bank accounts: each line once (the same
    or an overlapping file adds nothing new), its closing balance checked against the ledger, then
    the automatic matching rules run over the account's unmatched lines."""
    stream = file.file
    identity = hashlib.sha256()
    while chunk := stream.read(1 << 16):
        identity.update(chunk)
        if stream.tell() > settings.import_max_bytes:
            break
    stream.seek(0)
    identity.update(f"|{bank_account_id}|{profile}".encode())

    async def run() -> ImportRead:
        data = reconciliation.ImportInput(bank_account_id=bank_account_id, profile=profile, filename=file.filename)
        result = await reconciliation.import_file(session, actor, data, stream, max_bytes=settings.import_max_bytes)
        return ImportRead.of(result)

    return await idem.run(run, ImportRead, request_body=identity.digest())


@router.post(
    "/stripe-sync",
    operation_id="syncStripeStatement",
    summary="Pull Stripe balance transactions and payouts",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportRead,
    responses={
        403: problem(access.FinanceOnly),
        404: problems_doc(bank_accounts.BankAccountNotFound, access.LedgerNotFound),
        409: problem(StripeRefused),
        503: problems_doc(CardPaymentsNotConfigured, StripeUnavailable),
    },
)
async def sync_stripe(
    body: StripeSyncCreate, actor: CurrentActor, session: SessionDep, stripe: StripeDep, idem: RequiredIdempotencyDep
) -> Response:
    """Finance pulls the centre's Stripe balance transactions (its card charges) and its share of each
    payout, page after page, as Stripe lines of the bank account payouts arrive in; then the automatic
    rules run (payout id <-> bank line, charge <-> card payment)."""

    async def run() -> ImportRead:
        return ImportRead.of(await reconciliation.stripe_sync(session, actor, stripe, body.to_input()))

    return await idem.run(run, ImportRead)


@router.get(
    "/items",
    operation_id="listReconciliationItems",
    summary="Statement lines: the work queue",
    response_model=Page[LineRead],
    responses=READ,
)
async def list_items(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[LineStatus | None, Query(alias="status", description="unmatched: the work queue")] = None,
    bank_account_id: Annotated[uuid.UUID | None, Query()] = None,
    centre_id: CentreQuery = None,
) -> Page[LineRead]:
    """The centre's statement lines, oldest first; each unmatched one with suggested candidates
    (settlements it names or whose amount left it equals, payments without a line, the payout it names)."""
    result = await recon_report.items(
        session,
        actor,
        status=status_,
        centre_id=centre_id,
        bank_account_id=bank_account_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[LineRead](
        items=[LineRead.of(i.line, i.candidates) for i in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/matches",
    operation_id="createMatch",
    summary="Match lines by hand",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchRead,
    responses={
        403: problem(access.FinanceOnly),
        404: problems_doc(
            matching.LineNotFound, settlements.SettlementNotFound, settlements.PaymentNotFound, access.LedgerNotFound
        ),
        409: problems_doc(
            reconciliation.LineAlreadyMatched,
            reconciliation.PaymentAlreadyMatched,
            settlements.Overpayment,
            settlements.SettlementClosed,
            periods.PeriodClosed,
        ),
        422: problems_doc(reconciliation.SidesDiffer, Invalid),
    },
)
async def create_match(
    body: MatchCreate, actor: CurrentActor, session: SessionDep, idem: RequiredIdempotencyDep
) -> Response:
    """Finance matches statement lines to settlements (recording the receipts as offline payments),
    payments already recorded or Stripe payouts, with a reason; bank charges and exchange differences
    are booked as adjustment entries. The two sides must sum equal."""

    async def run() -> MatchRead:
        group = await reconciliation.match(session, actor, body.to_input())
        return MatchRead.of(group, (await matching.items_of(session, [group.id]))[group.id])

    return await idem.run(run, MatchRead, location=lambda m: f"/api/v1/reconciliation/matches/{m.id}")


@router.get(
    "/matches/{match_id}",
    operation_id="getMatch",
    summary="One match",
    response_model=MatchRead,
    responses={**READ, 404: problem(reconciliation.MatchNotFound)},
)
async def get_match(match_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> MatchRead:
    """A match with its items, the entries it booked and, once reversed, who reversed it and why."""
    group = await matching.get(session, actor, match_id)
    access.require(actor, group.centre_id)
    return MatchRead.of(group, (await matching.items_of(session, [group.id]))[group.id])


@router.delete(
    "/matches/{match_id}",
    operation_id="reverseMatch",
    summary="Reverse a match (audited)",
    response_model=MatchRead,
    responses={
        403: problem(access.FinanceOnly),
        404: problem(reconciliation.MatchNotFound),
        409: problems_doc(reconciliation.MatchAlreadyReversed, settlements.SettlementClosed, periods.PeriodClosed),
    },
)
async def reverse_match(
    match_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    reason: Annotated[str, Query(min_length=1, max_length=1000, description="Why (recorded)")],
) -> MatchRead:
    """Finance reverses a match: the entries it booked are reversed (receipts with their revenue
    allocation, so the settlements owe them again), its lines return to the queue, and the match
    stays on record as reversed, with who, when and why."""
    group = await reconciliation.reverse(session, actor, match_id, reason=reason)
    return MatchRead.of(group, (await matching.items_of(session, [group.id]))[group.id])


@router.get(
    "/report",
    operation_id="getReconciliationReport",
    summary="The period's reconciliation report",
    response_model=ReportRead,
    responses={**READ, 422: problem(Invalid)},
)
async def get_report(
    actor: CurrentActor,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])],
    centre_id: CentreQuery = None,
) -> ReportRead:
    """A month (in the centre's time zone): matches by rule, unmatched lines (statement side) and
    unmatched bank receipts (book side), differences booked, clearing-account balances at the month's
    end, and statement balance checks (re-checked now), the failing ones listed."""
    return ReportRead.of(await recon_report.report(session, actor, period, centre_id))
