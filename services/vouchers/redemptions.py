"""Redeeming a voucher against a settlement: the voucher covers part of what the SME owes.

Every rule is checked under the rows' locks (the settlement, then the programme, then the voucher:
`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the write transaction serialises), so concurrent
redemptions beyond a voucher's balance, an SME's annual cap or a programme's budget are refused.
A refused redemption is 422 `voucher-redemption-refused` naming the failed `rule` (see `RULES`).

The redemption is a payment on the settlement (channel `voucher`): Dr voucher receivable (the
issuer's) / Cr receivable, recorded through the settlements' `receive`; its revenue is shared when the
issuer pays the claim. It cancels an open PaymentIntent (the next one asks for the new remainder).
Before it is claimed, the SME may withdraw it or the centre's finance refuse it (`cancel`): the entry
is reversed, the settlement owes it again, the voucher has it back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import uuid7
from models.enums import LIVE_REDEMPTIONS, AccountPurpose, PaymentChannel, SettlementStatus, VoucherRedemptionStatus
from models.organisations import Organisation
from models.settlements import Payment, Settlement
from models.vouchers import Voucher, VoucherProgramme, VoucherRedemption
from services import card_payments, clock, settlements
from services.actors import Actor
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.ledger import access, chart
from services.ledger.chart import AccountSpec
from services.money import BPS_WHOLE, format_money
from services.settlements import core as settlements_core
from services.vouchers.programmes import issuer_orgs

# Each rule a redemption must pass, in the order they are checked (docs/vouchers.md).
RULES = (
    "owner",  # the voucher is the settlement's debtor's
    "currency",  # in the settlement's currency
    "eligibility",  # the programme covers the settlement's income kind
    "validity",  # now is inside the programme's window
    "remainder",  # never more than the settlement still owes
    "share_cap",  # the programme's vouchers cover at most max_share_bps of the settlement (rounded down)
    "annual_cap",  # the SME's redemptions of the programme this calendar year (issuer's zone) within the cap
    "balance",  # within the voucher's balance
    "budget",  # within the programme's budget
)


class RedemptionRefused(Invalid):
    title = "The voucher cannot cover this"
    slug = "voucher-redemption-refused"

    def __init__(self, rule: str, detail: str, loc: str = "amount") -> None:
        assert rule in RULES
        super().__init__(detail, loc=["body", loc], rule=rule)
        self.rule = rule


class RedemptionNotFound(NotFound):
    title = "Voucher redemption not found"
    slug = "voucher-redemption-not-found"


class RedemptionState(Conflict):
    title = "The redemption is not in a state that allows this"
    slug = "voucher-redemption-state"


@dataclass(frozen=True)
class RedemptionInput:
    voucher_id: uuid.UUID
    amount: int


async def lock_programme(session: AsyncSession, programme_id: uuid.UUID) -> VoucherProgramme:
    found = await session.scalar(
        select(VoucherProgramme)
        .where(VoucherProgramme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def lock_voucher(session: AsyncSession, voucher_id: uuid.UUID) -> Voucher:
    found = await session.scalar(
        select(Voucher).where(Voucher.id == voucher_id).with_for_update().execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def _live_sum(session: AsyncSession, *where) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(VoucherRedemption.amount), 0)).where(
            VoucherRedemption.status.in_(LIVE_REDEMPTIONS), *where
        )
    )
    return int(total or 0)


async def voucher_account(session: AsyncSession, centre_id: uuid.UUID, currency: str, issuer_id: uuid.UUID):
    issuer = await session.get(Organisation, issuer_id)
    assert issuer is not None
    return await chart.account(
        session, centre_id, currency, AccountSpec(AccountPurpose.voucher_receivable, counterparty=issuer)
    )


async def redeem(
    session: AsyncSession, actor: Actor, settlement_id: uuid.UUID, data: RedemptionInput
) -> tuple[VoucherRedemption, list[str]]:
    """A member of the settlement's debtor SME applies a voucher to it. Returns the redemption and the
    Stripe ids of PaymentIntents it cancelled (the caller cancels them at Stripe after committing)."""
    settlement = await settlements.get(session, actor, settlement_id, lock=True)
    if settlement.debtor_org_id not in actor.sme_ids():
        raise RoleNotAllowed("only members of the SME that owes the settlement apply its vouchers")
    found = await session.get(Voucher, data.voucher_id)
    if found is None or found.sme_org_id != settlement.debtor_org_id:
        raise RedemptionRefused("owner", "not a voucher of the organisation that owes this settlement", "voucher_id")
    programme = await lock_programme(session, found.programme_id)
    voucher = await lock_voucher(session, found.id)
    money = format_money
    if voucher.currency != settlement.currency:
        raise RedemptionRefused(
            "currency", f"the voucher is in {voucher.currency}, the settlement in {settlement.currency}"
        )
    if settlement.income_kind.value not in programme.eligible_income_kinds:
        raise RedemptionRefused(
            "eligibility",
            f"{programme.name} covers {', '.join(programme.eligible_income_kinds)}, not {settlement.income_kind.value}",
        )
    now = clock.now()
    if not programme.valid_from <= now < programme.valid_until:
        raise RedemptionRefused(
            "validity",
            f"{programme.name} is valid from {programme.valid_from.isoformat()} "
            f"until {programme.valid_until.isoformat()}",
        )
    if (
        settlement.status in (SettlementStatus.paid, SettlementStatus.written_off)
        or data.amount > settlement.outstanding
    ):
        raise RedemptionRefused(
            "remainder", f"{settlement.number} has {money(settlement.outstanding, settlement.currency)} left to pay"
        )
    cap = settlement.amount * programme.max_share_bps // BPS_WHOLE  # rounded down: never over the cap
    covered = await _live_sum(
        session, VoucherRedemption.settlement_id == settlement.id, VoucherRedemption.programme_id == programme.id
    )
    if covered + data.amount > cap:
        raise RedemptionRefused(
            "share_cap",
            f"{programme.name} covers at most {money(cap, settlement.currency)} of {settlement.number}; "
            f"{money(covered, settlement.currency)} is covered already",
        )
    issuer = await session.get(Organisation, programme.issuer_org_id)
    assert issuer is not None
    year = now.astimezone(ZoneInfo(issuer.timezone)).year
    used = await _live_sum(
        session,
        VoucherRedemption.programme_id == programme.id,
        VoucherRedemption.sme_org_id == voucher.sme_org_id,
        VoucherRedemption.year == year,
    )
    if used + data.amount > programme.annual_cap_per_sme:
        raise RedemptionRefused(
            "annual_cap",
            f"{money(used, programme.currency)} of the {money(programme.annual_cap_per_sme, programme.currency)} "
            f"cap for {year} is used",
        )
    if data.amount > voucher.balance:
        raise RedemptionRefused("balance", f"the voucher has {money(voucher.balance, voucher.currency)} left")
    if programme.redeemed_amount + data.amount > programme.budget:
        raise RedemptionRefused(
            "budget",
            f"{money(programme.budget - programme.redeemed_amount, programme.currency)} "
            f"of {programme.name}'s budget is left",
        )
    redemption_id = uuid7()
    receipt = settlements.Receipt(
        channel=PaymentChannel.voucher,
        amount=data.amount,
        currency=settlement.currency,
        account=await voucher_account(session, settlement.centre_id, settlement.currency, programme.issuer_org_id),
        booked_at=now,
        value_date=now.astimezone(ZoneInfo(issuer.timezone)).date(),
        description=f"科技创新券抵扣 / innovation voucher ({programme.name})",
        external_ref=f"voucher_redemption:{redemption_id}",
        recorded_by=actor.user_id,
    )
    payment = await settlements.receive(session, settlement, receipt, share=False)
    voucher.balance -= data.amount
    programme.redeemed_amount += data.amount
    redemption = VoucherRedemption(
        id=redemption_id,
        voucher_id=voucher.id,
        programme_id=programme.id,
        settlement_id=settlement.id,
        sme_org_id=voucher.sme_org_id,
        centre_id=settlement.centre_id,
        amount=data.amount,
        currency=settlement.currency,
        year=year,
        status=VoucherRedemptionStatus.redeemed,
        payment_id=payment.id,
        redeemed_by=actor.user_id,
    )
    session.add(redemption)
    await session.flush()
    cancelled = await card_payments.remainder_changed(session, settlement)
    return redemption, cancelled


async def give_back(
    session: AsyncSession,
    redemption: VoucherRedemption,
    settlement: Settlement,
    *,
    status: VoucherRedemptionStatus,
    reason: str,
    user_id: uuid.UUID | None,
) -> list[str]:
    """Return a redemption (settlement locked by the caller): its entry reversed (Dr receivable / Cr
    voucher receivable), the settlement owes it again, the voucher and the programme have it back."""
    programme = await lock_programme(session, redemption.programme_id)
    voucher = await lock_voucher(session, redemption.voucher_id)
    payment = await session.scalar(
        select(Payment)
        .where(Payment.id == redemption.payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert payment is not None
    label = "驳回" if status is VoucherRedemptionStatus.rejected else "撤销"
    await settlements.undo_receipt(
        session,
        settlement,
        payment,
        description=f"{settlement.number} 创新券抵扣{label} / voucher share returned: {reason}",
        created_by=user_id,
    )
    voucher.balance += redemption.amount
    programme.redeemed_amount -= redemption.amount
    redemption.status = status
    redemption.returned_at = clock.now()
    redemption.return_reason = reason[:1000]
    await session.flush()
    return await card_payments.remainder_changed(session, settlement)


def visible_redemptions(actor: Actor) -> Select[VoucherRedemption]:
    """The debtor SME's members, the centre's finance and manager, and the issuer's officers."""
    stmt = select(VoucherRedemption)
    return stmt.where(
        or_(
            VoucherRedemption.sme_org_id.in_(list(actor.sme_ids())),
            VoucherRedemption.centre_id.in_(list(access.reader_centres(actor))),
            VoucherRedemption.programme_id.in_(
                select(VoucherProgramme.id).where(VoucherProgramme.issuer_org_id.in_(list(issuer_orgs(actor))))
            ),
        )
    )


async def cancel(
    session: AsyncSession, actor: Actor, redemption_id: uuid.UUID, *, reason: str
) -> tuple[VoucherRedemption, list[str]]:
    """Before it is claimed: the debtor SME's members withdraw a redemption, or the centre's finance
    refuses it (e.g. the programme's rules were not met on paper). 409 once it is in a claim."""
    found = await session.scalar(visible_redemptions(actor).where(VoucherRedemption.id == redemption_id))
    if found is None:
        raise RedemptionNotFound()
    if found.sme_org_id not in actor.sme_ids() and found.centre_id not in access.finance_centres(actor):
        raise RoleNotAllowed("the SME's members or the centre's finance cancel a redemption")
    settlement = await settlements_core.lock(session, found.settlement_id)
    redemption = await session.scalar(
        select(VoucherRedemption)
        .where(VoucherRedemption.id == redemption_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert redemption is not None
    if redemption.status is not VoucherRedemptionStatus.redeemed:
        raise RedemptionState(
            f"the redemption is {redemption.status.value}; a claimed one returns only if its claim is rejected"
        )
    cancelled = await give_back(
        session, redemption, settlement, status=VoucherRedemptionStatus.cancelled, reason=reason, user_id=actor.user_id
    )
    return redemption, cancelled


async def redemptions_of(session: AsyncSession, actor: Actor, settlement_id: uuid.UUID) -> list[VoucherRedemption]:
    """A visible settlement's redemptions, oldest first."""
    settlement = await settlements.get(session, actor, settlement_id)
    rows = await session.scalars(
        select(VoucherRedemption)
        .where(VoucherRedemption.settlement_id == settlement.id)
        .order_by(VoucherRedemption.created_at, VoucherRedemption.id)
    )
    return list(rows.all())
