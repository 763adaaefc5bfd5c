"""Each centre's revenue ledger: accounts and balances, entries, manual entries and reversals, the
trial balance, period close, bank accounts. Finance writes; the centre's manager reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, PageDep, RequiredIdempotencyDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Day, Instant, Page
from api.schemas.ledger import (
    AccountRead,
    BalanceRead,
    BankAccountCreate,
    BankAccountRead,
    EntryCreate,
    EntryRead,
    ExportFormat,
    LedgerReasonIn,
    PeriodRead,
    TrialBalanceRead,
    export_table,
)
from api.schemas.tables import CSV_TYPE, Lang, LangQuery, attachment, csv_bytes
from models.enums import AccountPurpose, EntrySource
from services import reconciliation, settlements
from services.errors import Invalid
from services.ledger import access, bank_accounts, books, entries, export, periods

router = APIRouter(prefix=f"{API_PREFIX}/ledger", tags=["ledger"])

READ: Responses = {403: problem(access.FinanceOnly), 404: problem(access.LedgerNotFound)}
CentreQuery = Annotated[uuid.UUID | None, Query(description="The centre (default: the caller's only one)")]
Currency = Annotated[str | None, Query(pattern="^[A-Z]{3}$", description="Only accounts in this currency")]
AsOf = Annotated[Instant | None, Query(description="Count postings booked at or before this time (default: now)")]
PeriodPath = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])]


@router.get("/accounts", operation_id="listLedgerAccounts", response_model=Page[AccountRead], responses=READ)
async def list_accounts(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    centre_id: CentreQuery = None,
    currency: Currency = None,
    purpose: Annotated[AccountPurpose | None, Query()] = None,
) -> Page[AccountRead]:
    """The centre's chart of accounts, by currency and code."""
    result = await books.list_accounts(
        session, actor, centre_id=centre_id, currency=currency, purpose=purpose, limit=page.limit, cursor=page.cursor
    )
    return Page[AccountRead](items=[AccountRead.of(a) for a in result.items], next_cursor=result.next_cursor)


@router.get(
    "/accounts/{account_id}",
    operation_id="getLedgerAccount",
    response_model=BalanceRead,
    responses={**READ, 404: problem(books.AccountNotFound)},
)
async def get_account(
    account_id: uuid.UUID, actor: CurrentActor, session: SessionDep, as_of: AsOf = None
) -> BalanceRead:
    """One account with its balance as of a time, summed from its postings."""
    return BalanceRead.of(*await books.account_balance(session, actor, account_id, as_of))


@router.get("/trial-balance", operation_id="getTrialBalance", response_model=TrialBalanceRead, responses=READ)
async def trial_balance(
    actor: CurrentActor,
    session: SessionDep,
    centre_id: CentreQuery = None,
    as_of: AsOf = None,
    currency: Currency = None,
) -> TrialBalanceRead:
    """Every account's debits, credits and balance as of a time; per currency, debits equal credits."""
    centre, at, rows = await books.trial_balance(session, actor, centre_id=centre_id, as_of=as_of, currency=currency)
    return TrialBalanceRead.of(centre, at, rows)


EXPORT_TYPES = {
    ExportFormat.csv: CSV_TYPE,
    ExportFormat.beancount: "text/plain; charset=utf-8",
    ExportFormat.hledger: "text/plain; charset=utf-8",
}
EXPORT_SUFFIX = {ExportFormat.csv: "csv", ExportFormat.beancount: "beancount", ExportFormat.hledger: "journal"}


@router.get(
    "/export",
    operation_id="exportLedger",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as an attachment",
            "content": {media: {"schema": {"type": "string"}} for media in sorted(set(EXPORT_TYPES.values()))},
        },
        **READ,
        422: problem(Invalid),
    },
)
async def export_ledger(
    actor: CurrentActor,
    session: SessionDep,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv, beancount, or hledger (journal)")],
    date_from: Annotated[
        Day | None, Query(alias="from", description="First day, in the centre's time zone (default: the first entry)")
    ] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last day, included (default: today)")] = None,
    centre_id: CentreQuery = None,
    lang: LangQuery = Lang.en,
) -> Response:
    """The centre's ledger as a file for finance tools: beancount (bean-check, Fava), hledger's journal,
    or CSV (one row per posting). Opening balances for `from`; every account's balance at the end of
    `to` as an assertion, equal to the trial balance at that moment. Finance and the centre's manager."""
    found = await export.gather(session, actor, centre_id=centre_id, date_from=date_from, date_to=date_to)
    if fmt is ExportFormat.csv:
        body = csv_bytes(export_table(found), lang)
    else:
        body = (export.beancount(found) if fmt is ExportFormat.beancount else export.hledger(found)).encode()
    start = found.date_from.isoformat() if found.date_from else "start"
    name = f"ledger-{start}-{found.date_to.isoformat()}.{EXPORT_SUFFIX[fmt]}"
    return Response(body, media_type=EXPORT_TYPES[fmt], headers={"Content-Disposition": attachment(name)})


@router.get("/entries", operation_id="listLedgerEntries", response_model=Page[EntryRead], responses=READ)
async def list_entries(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    centre_id: CentreQuery = None,
    account_id: Annotated[uuid.UUID | None, Query(description="Only entries posting to this account")] = None,
    source: Annotated[EntrySource | None, Query()] = None,
    source_ref: Annotated[str | None, Query(max_length=255, description="With `source`: one document's")] = None,
    booked_from: Annotated[Instant | None, Query(alias="from", description="Booked at or after")] = None,
    booked_to: Annotated[Instant | None, Query(alias="to", description="Booked before")] = None,
) -> Page[EntryRead]:
    """The centre's journal, newest first."""
    result = await books.list_entries(
        session,
        actor,
        centre_id=centre_id,
        account_id=account_id,
        source=source,
        source_ref=source_ref,
        booked_from=booked_from,
        booked_to=booked_to,
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[EntryRead](items=[EntryRead.of(e) for e in result.items], next_cursor=result.next_cursor)


@router.post(
    "/entries",
    operation_id="postLedgerEntry",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryRead,
    responses={**READ, 409: problem(periods.PeriodClosed), 422: problems_doc(Invalid, entries.UnbalancedEntry)},
)
async def post_entry(
    body: EntryCreate, actor: CurrentActor, session: SessionDep, idem: RequiredIdempotencyDep
) -> Response:
    """Finance posts a manual entry (grants, post-subsidies, payouts to co-builders and the team,
    corrections); debits equal credits per currency, into an open period."""

    async def post() -> EntryRead:
        return EntryRead.of(await books.post_manual(session, actor, body.to_input()))

    return await idem.run(post, EntryRead, location=lambda e: f"/api/v1/ledger/entries/{e.id}")


@router.get(
    "/entries/{entry_id}",
    operation_id="getLedgerEntry",
    response_model=EntryRead,
    responses={**READ, 404: problem(entries.EntryNotFound)},
)
async def get_entry(entry_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> EntryRead:
    """One journal entry with its postings."""
    return EntryRead.of(await books.get_entry(session, actor, entry_id))


@router.post(
    "/entries/{entry_id}/reverse",
    operation_id="reverseLedgerEntry",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryRead,
    responses={
        **READ,
        404: problem(entries.EntryNotFound),
        409: problems_doc(entries.AlreadyReversed, settlements.EntryNotReversible, periods.PeriodClosed),
    },
)
async def reverse_entry(
    entry_id: uuid.UUID, body: LedgerReasonIn, actor: CurrentActor, session: SessionDep
) -> EntryRead:
    """Finance reverses an entry with its mirror image, dated now: a manual entry, or a payment (with its
    allocation; the settlement owes it again). An entry is reversed once."""
    return EntryRead.of(await settlements.reverse_entry(session, actor, entry_id, reason=body.reason))


@router.post(
    "/periods/{period}/close",
    operation_id="closeLedgerPeriod",
    response_model=PeriodRead,
    responses={
        **READ,
        409: problems_doc(periods.PeriodNotEnded, periods.PeriodAlreadyInState, reconciliation.BalanceCheckFailed),
    },
)
async def close_period(
    period: PeriodPath, actor: CurrentActor, session: SessionDep, centre_id: CentreQuery = None
) -> PeriodRead:
    """Finance closes an ended month (in the centre's time zone): nothing may be posted into it. Refused
    (409) while a bank statement's balance up to the month's end disagrees with the ledger; closed with
    `warnings` while statement lines of the month are unmatched."""
    closed = await reconciliation.close_period(session, actor, period, centre_id)
    return PeriodRead.of(closed.period, warnings=closed.warnings)


@router.post(
    "/periods/{period}/reopen",
    operation_id="reopenLedgerPeriod",
    response_model=PeriodRead,
    responses={
        403: problem(access.ManagerOnly),
        404: problem(access.LedgerNotFound),
        409: problem(periods.PeriodAlreadyInState),
    },
)
async def reopen_period(
    period: PeriodPath, body: LedgerReasonIn, actor: CurrentActor, session: SessionDep, centre_id: CentreQuery = None
) -> PeriodRead:
    """The centre's manager reopens a closed month, with a reason (recorded)."""
    return PeriodRead.of(await books.reopen_period(session, actor, period, centre_id, reason=body.reason))


@router.get("/bank-accounts", operation_id="listBankAccounts", response_model=Page[BankAccountRead], responses=READ)
async def list_bank_accounts(
    actor: CurrentActor, session: SessionDep, page: PageDep, centre_id: CentreQuery = None
) -> Page[BankAccountRead]:
    """The centre's bank accounts."""
    result = await bank_accounts.list_for(session, actor, centre_id, limit=page.limit, cursor=page.cursor)
    return Page[BankAccountRead](items=[BankAccountRead.of(b) for b in result.items], next_cursor=result.next_cursor)


@router.post(
    "/bank-accounts",
    operation_id="createBankAccount",
    status_code=status.HTTP_201_CREATED,
    response_model=BankAccountRead,
    responses={**READ, 409: problem(bank_accounts.BankAccountExists)},
)
async def create_bank_account(body: BankAccountCreate, actor: CurrentActor, session: SessionDep) -> BankAccountRead:
    """Finance adds one of the centre's bank accounts (its ledger account 1002.nnn is opened with it)."""
    return BankAccountRead.of(await bank_accounts.create(session, actor, body.to_input()))
