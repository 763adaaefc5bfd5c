"""Refunds: money given back against a payment, never more than it brought in (the payment's row
is locked, so concurrent refunds beyond what is left are refused).

A refund is the receipt's mirror: Dr receivable / Cr the account the money leaves (Stripe clearing
for a card, the bank for a transfer, disputed funds for a lost card dispute); the settlement owes it
again (finance writes it off or bills it again). The payment's revenue allocation is reversed pro
rata: the refund net of VAT is split by the allocation's stored weights (bps × of_bps) with one
`money.allocate` call, and each party's share and the team reward are taken back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.enums import AccountPurpose, EntrySource, PaymentChannel, RefundStatus
from models.ledger import BankAccount, LedgerAccount
from models.organisations import Organisation
from models.settlements import Payment, Refund, RevenueAllocation, Settlement
from services import clock
from services.errors import Conflict, Invalid, NotFound
from services.ledger import bank_accounts, chart, entries
from services.ledger.chart import AccountSpec
from services.money import allocate
from services.settlements.accrual import institute_of
from services.settlements.allocation import PARTY, TEAM, net_of_vat
from services.settlements.core import status_after


class PaymentNotFound(NotFound):
    title = "Payment not found"
    slug = "payment-not-found"


class RefundTooLarge(Conflict):
    title = "The refund is more than what is left of the payment"
    slug = "refund-too-large"


class PaymentReversed(Conflict):
    title = "The payment was reversed; nothing is left to refund"
    slug = "payment-reversed"


@dataclass(frozen=True)
class Giveback:
    """Money leaving the centre against a payment."""

    amount: int
    currency: str
    account: LedgerAccount  # what is credited: Stripe clearing, the bank, disputed funds
    description: str
    reason: str | None = None
    external_ref: str | None = None  # Stripe's re_ (or dp_) id: recorded once
    status: RefundStatus = RefundStatus.succeeded
    created_by: uuid.UUID | None = None


async def lock_payment(session: AsyncSession, payment_id: uuid.UUID) -> tuple[Payment, Settlement]:
    """The payment and its settlement, both locked (settlement first, as every receipt locks it)."""
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound()
    settlement = await session.scalar(
        select(Settlement).where(Settlement.id == payment.settlement_id).with_for_update()
    )
    assert settlement is not None
    locked = await session.scalar(
        select(Payment).where(Payment.id == payment_id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked, settlement


async def give_back(session: AsyncSession, payment: Payment, settlement: Settlement, back: Giveback) -> Refund:
    """Record a refund of a locked payment: the entry, the payment's refunded amount, the settlement
    owing it again, and the allocation reversed pro rata. 409 beyond what is left."""
    if payment.reversed_by_entry_id is not None:
        raise PaymentReversed()
    if back.currency != payment.currency:
        raise Invalid(f"the payment is in {payment.currency}", loc=["body", "amount"])
    left = payment.amount - payment.refunded_amount
    if back.amount > left:
        raise RefundTooLarge(
            f"{left} {payment.currency} of the payment is left to refund",
            refundable={"amount": left, "currency": payment.currency},
        )
    refund = Refund(
        payment_id=payment.id,
        amount=back.amount,
        currency=back.currency,
        status=back.status,
        reason=back.reason,
        external_ref=back.external_ref,
        created_by=back.created_by,
    )
    session.add(refund)
    await session.flush()
    receivable = await chart.account(
        session, payment.centre_id, payment.currency, AccountSpec(AccountPurpose.receivable)
    )
    provider = await session.get(Organisation, settlement.provider_org_id)
    institute_id = institute_of(provider)  # type: ignore[arg-type]
    entry = await entries.post(
        session,
        centre_id=payment.centre_id,
        source=EntrySource.refund,
        source_ref=str(refund.id),
        description=f"{settlement.number} {back.description}",
        created_by=back.created_by,
        lines=[
            entries.debit(receivable, back.amount, institute_id=institute_id, memo=settlement.number),
            entries.credit(back.account, back.amount, institute_id=institute_id, memo=back.external_ref),
        ],
    )
    refund.entry_id = entry.id
    payment.refunded_amount += back.amount
    settlement.paid_amount -= back.amount
    settlement.status = status_after(settlement)
    await session.flush()
    await _take_back_shares(session, settlement, payment, refund, institute_id)
    return refund


async def _take_back_shares(
    session: AsyncSession, settlement: Settlement, payment: Payment, refund: Refund, institute_id: uuid.UUID | None
) -> None:
    """Reverse the payment's allocation in proportion to what is refunded, by its stored weights."""
    shared = await session.scalar(
        select(RevenueAllocation)
        .options(selectinload(RevenueAllocation.lines))
        .where(RevenueAllocation.payment_id == payment.id)
    )
    if shared is None or not shared.lines:
        return
    base = net_of_vat(refund.amount, settlement)
    amounts = allocate(base, [line.bps * line.of_bps for line in shared.lines])

    def acct(spec: AccountSpec):
        return chart.account(session, settlement.centre_id, settlement.currency, spec)

    lines: list[entries.Line] = []
    for line, amount in zip(shared.lines, amounts, strict=True):
        if amount == 0 or line.share not in (PARTY, TEAM):
            continue
        if line.share == TEAM:
            expense = await acct(AccountSpec(AccountPurpose.team_reward_expense))
            payable = await acct(AccountSpec(AccountPurpose.team_reward_payable))
        else:
            party = await session.get(Organisation, line.organisation_id)
            expense = await acct(AccountSpec(AccountPurpose.revenue_share_expense))
            payable = await acct(AccountSpec(AccountPurpose.co_builder_payable, counterparty=party))
        lines += [
            entries.debit(payable, amount, institute_id=institute_id),
            entries.credit(expense, amount, institute_id=institute_id),
        ]
    if lines:
        await entries.post(
            session,
            centre_id=settlement.centre_id,
            source=EntrySource.revenue_allocation,
            source_ref=f"refund:{refund.id}",
            description=f"{settlement.number} 退款收回收益分配 / shares taken back for a refund",
            lines=lines,
        )


async def refund_offline(
    session: AsyncSession, payment: Payment, settlement: Settlement, *, amount: int, reason: str, user_id: uuid.UUID
) -> Refund:
    """A bank transfer refunded by bank transfer (finance records it; the money leaves the bank account)."""
    assert payment.channel is PaymentChannel.bank_transfer and payment.bank_account_id is not None
    bank = await session.get(BankAccount, payment.bank_account_id)
    assert bank is not None
    account = await bank_accounts.ledger_account(session, bank)
    return await give_back(
        session,
        payment,
        settlement,
        Giveback(
            amount,
            payment.currency,
            account,
            f"银行转账退款 / refund by bank transfer at {clock.now():%Y-%m-%d}",
            reason=reason,
            created_by=user_id,
        ),
    )
