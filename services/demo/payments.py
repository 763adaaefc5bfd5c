"""Demo money: the centre's bank account and the receipts finance would record in its first weeks,
made through the services finance calls (so ledger entries, revenue allocations and settlement
states are real), without reaching Stripe:

- the licence's entry fee (JS-…-000003 in a fresh demo) paid in full by bank transfer, showing the
  allocation to the institute, the co-builder university and the research team;
- the XRD booking paid in full;
- the consulting contract's site diagnosis paid in part (an instalment; the rest still owed);
- its feasibility report paid in full, then 20% refunded by bank transfer as an agreed concession
  and that 20% written off.

The SEM booking is left to the vouchers demo and the development contract owes nothing yet.
Idempotent: the bank account is found by its number, a receipt by the bank's serial number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking
from models.contracts import Contract, ContractMilestone
from models.enums import SettlementSource, SettlementStatus
from models.instruments import Instrument
from models.ledger import BankAccount
from models.settlements import Payment, Refund, Settlement
from services import clock
from services.actors import Actor, load_actor
from services.card_payments import refunds
from services.ledger import bank_accounts
from services.settings import Settings
from services.settlements import payments
from services.stripe_gateway import StripeGateway

FINANCE = "chen.jing"  # the centre's finance officer
BANK_ACCOUNT = bank_accounts.BankAccountInput(
    name="基本存款账户 / basic deposit account",
    bank_name="中国工商银行苏州工业园区支行",
    account_number="1102020109000098765",
    currency="CNY",
)
LICENCE = ("高镍三元正极材料专利独占实施许可", "入门费（合同生效后支付）")
CONSULTING = "印染废水零排放改造技术咨询"
XRD = "X射线衍射仪"
CONCESSION = "论证报告第4章数据有误，经双方协商减免20%费用。 20% waived by agreement: chapter 4's data was wrong."


@dataclass(frozen=True)
class DemoReceipt:
    reference: str  # the bank's serial number (交易流水号), the receipt's natural key
    share_bps: int  # of the settlement's amount
    refund_bps: int = 0  # of the payment, refunded afterwards
    refund_reason: str = ""  # a refund agreed as a price concession: the refunded part is then written off


async def _finance(session: AsyncSession, report) -> Actor:
    return await load_actor(session, report.users[FINANCE])


async def bank_account(session: AsyncSession, report) -> BankAccount:
    """The centre's CNY account that demo receipts land in (created by finance when missing)."""
    found = await session.scalar(select(BankAccount).where(BankAccount.account_number == BANK_ACCOUNT.account_number))
    if found is not None:
        return found
    report.count("bank accounts")
    return await bank_accounts.create(session, await _finance(session, report), BANK_ACCOUNT)


async def _milestone_settlement(session: AsyncSession, contract: str, milestone: str) -> Settlement | None:
    return await session.scalar(
        select(Settlement)
        .join(ContractMilestone, ContractMilestone.id == Settlement.source_id)
        .join(Contract, Contract.id == ContractMilestone.contract_id)
        .where(
            Settlement.source == SettlementSource.milestone,
            Contract.title == contract,
            ContractMilestone.title == milestone,
        )
    )


async def _booking_settlement(session: AsyncSession, instrument: str) -> Settlement | None:
    return await session.scalar(
        select(Settlement)
        .join(Booking, Booking.id == Settlement.source_id)
        .join(Instrument, Instrument.id == Booking.instrument_id)
        .where(Settlement.source == SettlementSource.booking, Instrument.title == instrument)
        .order_by(Settlement.number)
        .limit(1)
    )


async def _pay(
    session: AsyncSession,
    report,
    gateway: StripeGateway,
    settlement: Settlement | None,
    receipt: DemoReceipt,
    bank: BankAccount,
) -> None:
    if settlement is None:
        return
    existing = await session.scalar(
        select(Payment).where(Payment.bank_account_id == bank.id, Payment.reference == receipt.reference)
    )
    finance = await _finance(session, report)
    if existing is None:
        existing = await payments.record_offline(
            session,
            finance,
            settlement.id,
            payments.OfflinePaymentInput(
                bank_account_id=bank.id,
                amount=settlement.amount * receipt.share_bps // 10_000,
                currency=settlement.currency,
                reference=receipt.reference,
                value_date=clock.now().date(),
            ),
        )
        report.count("payments")
    if receipt.refund_bps:
        refunded = await session.scalar(select(Refund.id).where(Refund.payment_id == existing.id))
        if refunded is None:
            await refunds.refund(
                session,
                finance,
                gateway,
                existing.id,
                amount=existing.amount * receipt.refund_bps // 10_000,
                reason=receipt.refund_reason,
            )
            report.count("refunds")
        if settlement.status is not SettlementStatus.written_off:
            await payments.write_off(session, finance, settlement.id, reason=receipt.refund_reason)


async def seed(session: AsyncSession, settings: Settings, report) -> None:
    """The centre's bank account and paid, partly paid and partly refunded settlements."""
    bank = await bank_account(session, report)
    gateway = StripeGateway(settings)  # bank transfers are refunded without it
    await _pay(
        session,
        report,
        gateway,
        await _milestone_settlement(session, *LICENCE),
        DemoReceipt("ICBC2026113000012345", 10_000),
        bank,
    )
    await _pay(
        session,
        report,
        gateway,
        await _booking_settlement(session, XRD),
        DemoReceipt("ICBC2026113000012346", 10_000),
        bank,
    )
    await _pay(
        session,
        report,
        gateway,
        await _milestone_settlement(session, CONSULTING, "现场诊断"),
        DemoReceipt("ICBC2026113000012347", 4_000),
        bank,
    )
    await _pay(
        session,
        report,
        gateway,
        await _milestone_settlement(session, CONSULTING, "可行性论证报告"),
        DemoReceipt(
            "ICBC2026113000012348",
            10_000,
            refund_bps=2_000,
            refund_reason=CONCESSION,
        ),
        bank,
    )
