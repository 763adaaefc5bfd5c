"""Innovation vouchers (科技创新券): programmes, vouchers, redemptions against settlements, claims."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, RequiredIdempotencyDep, SessionDep, StripeDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.vouchers import (
    ClaimCreate,
    ClaimPay,
    ClaimRead,
    ClaimReject,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
    RedemptionCancel,
    RedemptionCreate,
    RedemptionRead,
    VoucherList,
    VoucherRead,
    VouchersIssue,
)
from models.enums import VoucherClaimStatus
from services import card_payments, settlements, vouchers
from services.errors import Invalid, RoleNotAllowed
from services.ledger import access, bank_accounts, periods
from services.stripe_gateway import StripeGateway

router = APIRouter(prefix=API_PREFIX, tags=["vouchers"])

PROGRAMME_404: Responses = {404: problem(vouchers.ProgrammeNotFound)}
CLAIM_404: Responses = {404: problem(vouchers.ClaimNotFound)}


def _cancel_later(tasks: BackgroundTasks, stripe: StripeGateway, stripe_ids: list[str]) -> None:
    """Open PaymentIntents the change made stale are cancelled at Stripe after the commit (best effort:
    a payment of one that still arrives is flagged for finance, not applied)."""
    if stripe_ids and stripe.configured:
        tasks.add_task(card_payments.cancel_at_stripe, stripe, stripe_ids)


@router.get("/voucher-programmes", response_model=Page[ProgrammeRead], operation_id="listVoucherProgrammes")
async def list_programmes(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    issuer_org_id: Annotated[uuid.UUID | None, Query(description="Only this issuer's")] = None,
    active: Annotated[bool | None, Query(description="Only those whose window contains now (or not)")] = None,
) -> Page[ProgrammeRead]:
    """Voucher programmes (public policy: every signed-in user reads them), newest first."""
    result = await vouchers.list_programmes(
        session, actor, issuer_org_id=issuer_org_id, active=active, limit=page.limit, cursor=page.cursor
    )
    return Page[ProgrammeRead](items=[ProgrammeRead.of(p) for p in result.items], next_cursor=result.next_cursor)


@router.post(
    "/voucher-programmes",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeRead,
    operation_id="createVoucherProgramme",
    summary="Set up a voucher programme",
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_programme(
    body: ProgrammeCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """A government organisation's issuer_admin sets up a programme: budget, face value, validity window,
    eligible income kinds, the share of a price a voucher may cover, each SME's annual cap."""

    async def run() -> ProgrammeRead:
        return ProgrammeRead.of(await vouchers.create(session, actor, body.to_input()))

    return await idem.run(run, ProgrammeRead, location=lambda p: f"/api/v1/voucher-programmes/{p.id}")


@router.get(
    "/voucher-programmes/{programme_id}",
    response_model=ProgrammeRead,
    operation_id="getVoucherProgramme",
    responses=PROGRAMME_404,
)
async def get_programme(programme_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ProgrammeRead:
    """One programme, with what is issued and redeemed of its budget."""
    return ProgrammeRead.of(await vouchers.get(session, actor, programme_id))


@router.patch(
    "/voucher-programmes/{programme_id}",
    response_model=ProgrammeRead,
    operation_id="updateVoucherProgramme",
    responses={**PROGRAMME_404, 403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def update_programme(
    programme_id: uuid.UUID, body: ProgrammeUpdate, actor: CurrentActor, session: SessionDep
) -> ProgrammeRead:
    """The issuer_admin renames a programme or adjusts its budget (never below what is redeemed)."""
    return ProgrammeRead.of(await vouchers.update(session, actor, programme_id, body.to_input()))


@router.post(
    "/voucher-programmes/{programme_id}/vouchers",
    status_code=status.HTTP_201_CREATED,
    response_model=list[VoucherRead],
    operation_id="issueVouchers",
    summary="Issue vouchers to SMEs",
    responses={
        **PROGRAMME_404,
        403: problem(RoleNotAllowed),
        409: problems_doc(vouchers.BudgetExhausted, vouchers.ProgrammeEnded),
        422: problem(Invalid),
    },
)
async def issue_vouchers(
    programme_id: uuid.UUID, body: VouchersIssue, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """The issuer_admin issues one voucher of the face value to each SME named, within the budget."""

    async def run() -> list[VoucherRead]:
        return [VoucherRead.of(v) for v in await vouchers.issue(session, actor, programme_id, body.to_input())]

    return await idem.run(run, VoucherList)


@router.get("/vouchers", response_model=Page[VoucherRead], operation_id="listVouchers")
async def list_vouchers(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    programme_id: Annotated[uuid.UUID | None, Query()] = None,
    sme_org_id: Annotated[uuid.UUID | None, Query(description="Only this SME's")] = None,
) -> Page[VoucherRead]:
    """An SME's members see its vouchers and their balances; the issuer's officers its programmes' vouchers."""
    result = await vouchers.list_vouchers(
        session, actor, programme_id=programme_id, sme_org_id=sme_org_id, limit=page.limit, cursor=page.cursor
    )
    return Page[VoucherRead](items=[VoucherRead.of(v) for v in result.items], next_cursor=result.next_cursor)


@router.post(
    "/settlements/{settlement_id}/voucher-redemptions",
    status_code=status.HTTP_201_CREATED,
    response_model=RedemptionRead,
    operation_id="redeemVoucher",
    summary="Apply a voucher to a settlement",
    responses={
        404: problem(settlements.SettlementNotFound),
        403: problem(RoleNotAllowed),
        409: problem(periods.PeriodClosed),
        422: problems_doc(vouchers.RedemptionRefused, Invalid),
    },
)
async def redeem_voucher(
    settlement_id: uuid.UUID,
    body: RedemptionCreate,
    actor: CurrentActor,
    session: SessionDep,
    stripe: StripeDep,
    tasks: BackgroundTasks,
    idem: RequiredIdempotencyDep,
) -> Response:
    """A member of the SME that owes the settlement covers part of it with a voucher. Every rule is
    checked; a refusal is 422 `voucher-redemption-refused` naming the `rule` (owner, currency,
    eligibility, validity, remainder, share_cap, annual_cap, balance, budget). An open PaymentIntent is
    cancelled: the next one asks for the new remainder."""

    async def run() -> RedemptionRead:
        redemption, stale = await vouchers.redeem(session, actor, settlement_id, body.to_input())
        _cancel_later(tasks, stripe, stale)
        return RedemptionRead.of(redemption)

    return await idem.run(run, RedemptionRead)


@router.get(
    "/settlements/{settlement_id}/voucher-redemptions",
    response_model=list[RedemptionRead],
    operation_id="listVoucherRedemptions",
    responses={404: problem(settlements.SettlementNotFound)},
)
async def list_redemptions(settlement_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> list[RedemptionRead]:
    """The vouchers applied to a visible settlement (returned ones say so), oldest first."""
    return [RedemptionRead.of(r) for r in await vouchers.redemptions_of(session, actor, settlement_id)]


@router.post(
    "/voucher-redemptions/{redemption_id}/cancel",
    response_model=RedemptionRead,
    operation_id="cancelVoucherRedemption",
    responses={
        404: problem(vouchers.RedemptionNotFound),
        403: problem(RoleNotAllowed),
        409: problems_doc(vouchers.RedemptionState, settlements.SettlementClosed, periods.PeriodClosed),
    },
)
async def cancel_redemption(
    redemption_id: uuid.UUID,
    body: RedemptionCancel,
    actor: CurrentActor,
    session: SessionDep,
    stripe: StripeDep,
    tasks: BackgroundTasks,
) -> RedemptionRead:
    """Before it is claimed, the SME withdraws a redemption or the centre's finance refuses it: the
    settlement owes the amount again and the voucher has it back."""
    redemption, stale = await vouchers.cancel(session, actor, redemption_id, reason=body.reason)
    _cancel_later(tasks, stripe, stale)
    return RedemptionRead.of(redemption)


@router.get("/voucher-claims", response_model=Page[ClaimRead], operation_id="listVoucherClaims")
async def list_claims(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[VoucherClaimStatus | None, Query(alias="status")] = None,
    programme_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ClaimRead]:
    """The centre's claims (its finance and manager) or those filed with the issuer (its officers)."""
    result = await vouchers.list_claims(
        session, actor, status=status_, programme_id=programme_id, limit=page.limit, cursor=page.cursor
    )
    return Page[ClaimRead](items=[ClaimRead.of(c) for c in result.items], next_cursor=result.next_cursor)


@router.post(
    "/voucher-claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimRead,
    operation_id="createVoucherClaim",
    summary="File a voucher claim with the issuer",
    responses={
        403: problem(access.FinanceOnly),
        404: problems_doc(access.LedgerNotFound, bank_accounts.BankAccountNotFound),
        422: problems_doc(vouchers.NotClaimable, Invalid),
    },
)
async def create_claim(body: ClaimCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep) -> Response:
    """The centre's finance batches redemptions of one programme into a claim, with the evidence for each
    (settlement, contract or booking, the payments of the SME's own share, which must be paid in full)."""

    async def run() -> ClaimRead:
        return ClaimRead.of(await vouchers.submit(session, actor, body.to_input()))

    return await idem.run(run, ClaimRead, location=lambda c: f"/api/v1/voucher-claims/{c.id}")


@router.get("/voucher-claims/{claim_id}", response_model=ClaimRead, operation_id="getVoucherClaim", responses=CLAIM_404)
async def get_claim(claim_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ClaimRead:
    """One claim with its evidence."""
    return ClaimRead.of(await vouchers.get_claim(session, actor, claim_id))


DECISION: Responses = {**CLAIM_404, 403: problem(RoleNotAllowed), 409: problems_doc(vouchers.ClaimState)}


@router.post(
    "/voucher-claims/{claim_id}/approve",
    response_model=ClaimRead,
    operation_id="approveVoucherClaim",
    responses=DECISION,
)
async def approve_claim(claim_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ClaimRead:
    """An issuer's officer approves a submitted claim; the centre's finance is told."""
    return ClaimRead.of(await vouchers.approve(session, actor, claim_id))


@router.post(
    "/voucher-claims/{claim_id}/reject",
    response_model=ClaimRead,
    operation_id="rejectVoucherClaim",
    responses={**DECISION, 409: problems_doc(vouchers.ClaimState, settlements.SettlementClosed, periods.PeriodClosed)},
)
async def reject_claim(
    claim_id: uuid.UUID,
    body: ClaimReject,
    actor: CurrentActor,
    session: SessionDep,
    stripe: StripeDep,
    tasks: BackgroundTasks,
) -> ClaimRead:
    """An issuer's officer rejects a submitted or approved claim with a reason: each amount returns to the
    SME's receivable and its voucher's balance; the centre's finance and the SMEs are told."""
    claim, stale = await vouchers.reject(session, actor, claim_id, reason=body.reason)
    _cancel_later(tasks, stripe, stale)
    return ClaimRead.of(claim)


@router.post(
    "/voucher-claims/{claim_id}/pay",
    response_model=ClaimRead,
    operation_id="payVoucherClaim",
    responses={**DECISION, 409: problems_doc(vouchers.ClaimState, periods.PeriodClosed)},
)
async def pay_claim(
    claim_id: uuid.UUID, body: ClaimPay, actor: CurrentActor, session: SessionDep, idem: RequiredIdempotencyDep
) -> Response:
    """An issuer's officer records the payment of an approved claim into the centre's bank account: the
    voucher receivable is cleared, the income reported as a fiscal post-subsidy, and each redemption's
    revenue shared as for any receipt."""

    async def run() -> ClaimRead:
        return ClaimRead.of(await vouchers.pay(session, actor, claim_id, body.to_input()))

    return await idem.run(run, ClaimRead, status_code=200)
