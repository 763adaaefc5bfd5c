"""Claims: the centre's finance files the redemptions it accepted with the issuer, with the evidence
for each (the settlement, its contract or booking, and the payments of the SME's own share: a claim
takes only redemptions whose settlement is otherwise paid in full). The issuer's officers
(`issuer_officer`, `issuer_admin`) then approve it, reject it with a reason, or pay it.

- reject: each redemption returns (Dr receivable / Cr voucher receivable): the SME owes it again and
  the voucher has it back; the SME's members and the centre's finance are told;
- pay: one entry: Dr the centre's bank account / Cr voucher receivable (the issuer's), and the
  redemptions' income net of VAT reclassified as fiscal post-subsidy income (Dr income of the kind /
  Cr 6302 fiscal post-subsidies); then each redemption's revenue is shared as for any receipt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose, EntrySource, PaymentChannel, SettlementStatus, VoucherClaimStatus
from models.enums import VoucherRedemptionStatus as R
from models.ledger import BankAccount
from models.organisations import Organisation
from models.settlements import Payment, Settlement
from models.vouchers import VoucherClaim, VoucherProgramme, VoucherRedemption
from services import clock, notifications, settlements
from services.actors import Actor
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.ledger import access, bank_accounts, chart, entries
from services.ledger.chart import AccountSpec
from services.money import format_money
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate
from services.settlements import core as settlements_core
from services.settlements.accrual import institute_of
from services.settlements.allocation import net_of_vat
from services.vouchers.programmes import issuer_orgs
from services.vouchers.redemptions import give_back, voucher_account

MAX_REDEMPTIONS_PER_CLAIM = 200


class ClaimNotFound(NotFound):
    title = "Voucher claim not found"
    slug = "voucher-claim-not-found"


class ClaimState(Conflict):
    title = "The claim is not in a state that allows this"
    slug = "voucher-claim-state"


class NotClaimable(Invalid):
    title = "A redemption cannot be claimed"
    slug = "voucher-redemption-not-claimable"


@dataclass(frozen=True)
class ClaimInput:
    redemption_ids: list[uuid.UUID]
    bank_account_id: uuid.UUID
    note: str | None


@dataclass(frozen=True)
class PayInput:
    reference: str


def visible_claims(actor: Actor) -> Select[VoucherClaim]:
    """The centre's finance and manager see its claims; the issuer's officers see those filed with it."""
    stmt = select(VoucherClaim)
    return stmt.where(
        or_(
            VoucherClaim.centre_id.in_(list(access.reader_centres(actor))),
            VoucherClaim.issuer_org_id.in_(list(issuer_orgs(actor))),
        )
    )


async def get_claim(session: AsyncSession, actor: Actor, claim_id: uuid.UUID, *, lock: bool = False) -> VoucherClaim:
    stmt = visible_claims(actor).where(VoucherClaim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(stmt)
    if found is None:
        raise ClaimNotFound()
    return found


async def list_claims(
    session: AsyncSession,
    actor: Actor,
    *,
    status: VoucherClaimStatus | None,
    programme_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[VoucherClaim]:
    stmt = visible_claims(actor)
    if status is not None:
        stmt = stmt.where(VoucherClaim.status == status)
    if programme_id is not None:
        stmt = stmt.where(VoucherClaim.programme_id == programme_id)
    return await paginate(session, stmt, [SortKey(VoucherClaim.id, descending=True)], limit=limit, cursor=cursor)


async def redemptions_in(session: AsyncSession, claim_id: uuid.UUID) -> list[VoucherRedemption]:
    rows = await session.scalars(
        select(VoucherRedemption)
        .where(VoucherRedemption.claim_id == claim_id)
        .order_by(VoucherRedemption.settlement_id, VoucherRedemption.id)
    )
    return list(rows.all())


def _refuse(i: int, rule: str, detail: str) -> NotClaimable:
    return NotClaimable(detail, loc=["body", "redemption_ids", i], rule=rule)


async def _evidence(session: AsyncSession, redemption: VoucherRedemption, settlement: Settlement) -> dict[str, Any]:
    own = (
        await session.scalars(
            select(Payment)
            .where(
                Payment.settlement_id == settlement.id,
                Payment.channel != PaymentChannel.voucher,
                Payment.reversed_by_entry_id.is_(None),
            )
            .order_by(Payment.received_at, Payment.id)
        )
    ).all()
    return {
        "redemption_id": str(redemption.id),
        "voucher_id": str(redemption.voucher_id),
        "sme_org_id": str(redemption.sme_org_id),
        "amount": redemption.amount,
        "settlement_id": str(settlement.id),
        "settlement_number": settlement.number,
        "settlement_amount": settlement.amount,
        "income_kind": settlement.income_kind.value,
        "source": settlement.source.value,
        "source_id": str(settlement.source_id),
        "contract_id": str(settlement.contract_id) if settlement.contract_id else None,
        "own_share_payments": [
            {
                "payment_id": str(p.id),
                "channel": p.channel.value,
                "amount": p.amount - p.refunded_amount,
                "reference": p.reference or p.external_ref,
                "value_date": p.value_date.isoformat(),
            }
            for p in own
        ],
    }


async def submit(session: AsyncSession, actor: Actor, data: ClaimInput) -> VoucherClaim:
    """The centre's finance batches redemptions of one programme into a claim with its evidence."""
    ids = list(dict.fromkeys(data.redemption_ids))
    if not 0 < len(ids) <= MAX_REDEMPTIONS_PER_CLAIM:
        raise Invalid(f"name 1 to {MAX_REDEMPTIONS_PER_CLAIM} redemptions", loc=["body", "redemption_ids"])
    readable = access.reader_centres(actor)
    found = {
        r.id: r
        for r in await session.scalars(
            select(VoucherRedemption).where(VoucherRedemption.id.in_(ids), VoucherRedemption.centre_id.in_(readable))
        )
    }
    for i, rid in enumerate(ids):
        if rid not in found:
            raise Invalid("no such redemption at your centre", loc=["body", "redemption_ids", i])
    first = found[ids[0]]
    access.require(actor, first.centre_id, write=True)
    for i, rid in enumerate(ids):
        r = found[rid]
        if (r.centre_id, r.programme_id, r.currency) != (first.centre_id, first.programme_id, first.currency):
            raise _refuse(i, "one_programme", "a claim is for one centre, one programme and one currency")
    bank = await bank_accounts.get(session, actor, data.bank_account_id, write=True)
    if bank.centre_id != first.centre_id or bank.currency != first.currency:
        raise bank_accounts.BankAccountNotFound("not one of this centre's bank accounts in the claim's currency")
    # Lock the settlements (in id order, as every voucher change does), then the redemptions.
    settlement_ids = sorted({found[rid].settlement_id for rid in ids})
    locked = {sid: await settlements_core.lock(session, sid) for sid in settlement_ids}
    evidence = []
    for i, rid in enumerate(ids):
        row = await session.scalar(
            select(VoucherRedemption)
            .where(VoucherRedemption.id == rid)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        found[rid] = r = row
        if r.status is not R.redeemed:
            raise _refuse(i, "not_claimable", f"the redemption is {r.status.value}")
        settlement = locked[r.settlement_id]
        if settlement.status is not SettlementStatus.paid:
            raise _refuse(
                i,
                "own_share_unpaid",
                f"{settlement.number}: the SME has {format_money(settlement.outstanding, settlement.currency)} "
                "of its own share left to pay",
            )
        evidence.append(await _evidence(session, r, settlement))
    programme = await session.get(VoucherProgramme, first.programme_id)
    assert programme is not None
    claim = VoucherClaim(
        programme_id=programme.id,
        issuer_org_id=programme.issuer_org_id,
        centre_id=first.centre_id,
        amount=sum(found[rid].amount for rid in ids),
        currency=first.currency,
        status=VoucherClaimStatus.submitted,
        bank_account_id=bank.id,
        note=data.note,
        evidence=evidence,
        submitted_by=actor.user_id,
    )
    session.add(claim)
    await session.flush()
    for rid in ids:
        found[rid].status = R.claimed
        found[rid].claim_id = claim.id
    await session.flush()
    centre = await session.get(Organisation, claim.centre_id)
    await notifications.send(
        session,
        Notice.voucher_claim_submitted,
        about=programme.name,
        subject_id=claim.id,
        organisation_ids=[claim.issuer_org_id],
        centre=centre.name if centre else "",
        amount=format_money(claim.amount, claim.currency),
        count=len(ids),
    )
    return claim


def _require_officer(actor: Actor, claim: VoucherClaim) -> None:
    if claim.issuer_org_id not in issuer_orgs(actor):
        raise RoleNotAllowed("only the issuer's officers decide its claims")


async def _decidable(session: AsyncSession, actor: Actor, claim_id: uuid.UUID, *states: VoucherClaimStatus):
    claim = await get_claim(session, actor, claim_id, lock=True)
    _require_officer(actor, claim)
    if claim.status not in states:
        raise ClaimState(f"the claim is {claim.status.value}")
    programme = await session.get(VoucherProgramme, claim.programme_id)
    assert programme is not None
    return claim, programme


async def approve(session: AsyncSession, actor: Actor, claim_id: uuid.UUID) -> VoucherClaim:
    """An issuer's officer approves a submitted claim; payment follows."""
    claim, programme = await _decidable(session, actor, claim_id, VoucherClaimStatus.submitted)
    claim.status = VoucherClaimStatus.approved
    claim.decided_by, claim.decided_at = actor.user_id, clock.now()
    await session.flush()
    await notifications.send(
        session,
        Notice.voucher_claim_approved,
        about=programme.name,
        subject_id=claim.id,
        organisation_ids=[claim.centre_id],
        amount=format_money(claim.amount, claim.currency),
    )
    return claim


async def reject(
    session: AsyncSession, actor: Actor, claim_id: uuid.UUID, *, reason: str
) -> tuple[VoucherClaim, list[str]]:
    """An issuer's officer rejects a submitted or approved claim with a reason: each redemption's
    amount returns to the SME's receivable and to its voucher's balance."""
    claim, programme = await _decidable(
        session, actor, claim_id, VoucherClaimStatus.submitted, VoucherClaimStatus.approved
    )
    cancelled: list[str] = []
    redemptions = await redemptions_in(session, claim.id)
    locked = {sid: await settlements_core.lock(session, sid) for sid in sorted({r.settlement_id for r in redemptions})}
    for r in redemptions:
        cancelled += await give_back(
            session, r, locked[r.settlement_id], status=R.rejected, reason=reason, user_id=actor.user_id
        )
    claim.status = VoucherClaimStatus.rejected
    claim.decided_by, claim.decided_at, claim.reject_reason = actor.user_id, clock.now(), reason
    await session.flush()
    await notifications.send(
        session,
        Notice.voucher_claim_rejected,
        about=programme.name,
        subject_id=claim.id,
        organisation_ids=[claim.centre_id],
        text=reason,
        amount=format_money(claim.amount, claim.currency),
    )
    for settlement in locked.values():
        await notifications.send(
            session,
            Notice.voucher_share_returned,
            about=settlement.number,
            subject_id=settlement.id,
            organisation_ids=[settlement.debtor_org_id],
            text=reason,
            programme=programme.name,
        )
    return claim, cancelled


async def pay(session: AsyncSession, actor: Actor, claim_id: uuid.UUID, data: PayInput) -> VoucherClaim:
    """An issuer's officer records that the issuer paid an approved claim into the centre's bank
    account: one entry clears the voucher receivable against the bank and reports the income as a
    fiscal post-subsidy; each redemption's revenue is then shared as for any receipt."""
    claim, programme = await _decidable(session, actor, claim_id, VoucherClaimStatus.approved)
    redemptions = await redemptions_in(session, claim.id)
    bank = await session.get(BankAccount, claim.bank_account_id)
    assert bank is not None
    now = clock.now()
    lines = [
        entries.debit(await bank_accounts.ledger_account(session, bank), claim.amount, memo=data.reference),
        entries.credit(
            await voucher_account(session, claim.centre_id, claim.currency, claim.issuer_org_id),
            claim.amount,
            memo=programme.name[:200],
        ),
    ]
    subsidy = await chart.account(session, claim.centre_id, claim.currency, AccountSpec(AccountPurpose.subsidy_income))
    settled: list[tuple[VoucherRedemption, Settlement]] = []
    for r in redemptions:
        settlement = await session.get(Settlement, r.settlement_id)
        assert settlement is not None
        provider = await session.get(Organisation, settlement.provider_org_id)
        assert provider is not None
        institute_id = institute_of(provider)
        income = await chart.account(
            session,
            claim.centre_id,
            claim.currency,
            AccountSpec(AccountPurpose.income, income_kind=settlement.income_kind),
        )
        net = net_of_vat(r.amount, settlement)
        lines += [
            entries.debit(income, net, institute_id=institute_id, memo=settlement.number),
            entries.credit(subsidy, net, institute_id=institute_id, memo=settlement.number),
        ]
        settled.append((r, settlement))
    entry = await entries.post(
        session,
        centre_id=claim.centre_id,
        source=EntrySource.voucher_claim,
        source_ref=str(claim.id),
        description=f"创新券兑付 / voucher claim paid by the issuer ({programme.name}) {data.reference}",
        booked_at=now,
        created_by=actor.user_id,
        lines=lines,
    )
    for r, settlement in settled:
        payment = await session.get(Payment, r.payment_id)
        assert payment is not None
        await settlements.share_receipt(session, settlement, payment, booked_at=now)
        r.status = R.paid
    claim.status = VoucherClaimStatus.paid
    claim.paid_by, claim.paid_at, claim.payment_reference, claim.entry_id = actor.user_id, now, data.reference, entry.id
    await session.flush()
    await notifications.send(
        session,
        Notice.voucher_claim_paid,
        about=programme.name,
        subject_id=claim.id,
        organisation_ids=[claim.centre_id],
        amount=format_money(claim.amount, claim.currency),
        reference=data.reference,
    )
    return claim
