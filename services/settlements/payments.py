"""Money received against a settlement, written off, or reversed.

A receipt locks the settlement row, so two payments for the last fen cannot both land: the second
finds nothing left owed (409). Offline (bank transfer) receipts: Dr the bank account / Cr
receivable, then the revenue allocation. A write-off: Dr bad debts / Cr receivable for what is
left. A payment recorded in error is reversed (its entry and its allocation's), never deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import uuid7
from models.enums import AccountPurpose, EntrySource, PaymentChannel, SettlementStatus
from models.ledger import JournalEntry, LedgerAccount
from models.organisations import Organisation
from models.settlements import Payment, RevenueAllocation, Settlement
from services import clock
from services.actors import Actor
from services.errors import AlreadyExists, Conflict, Invalid, NotFound
from services.ledger import access, bank_accounts, chart, entries
from services.ledger.chart import AccountSpec
from services.settlements import allocation
from services.settlements.accrual import institute_of
from services.settlements.core import Overpayment, SettlementClosed, get, status_after


class DuplicateBankReference(AlreadyExists):
    title = "This bank reference is already recorded on the account"
    slug = "duplicate-bank-reference"


class PaymentNotFound(NotFound):
    title = "Payment not found"
    slug = "payment-not-found"


class PaymentAlreadyReversed(Conflict):
    title = "The payment has already been reversed"
    slug = "payment-already-reversed"


class EntryNotReversible(Conflict):
    title = "This entry is reversed through the operation that made it"
    slug = "entry-not-reversible"


@dataclass(frozen=True)
class OfflinePaymentInput:
    bank_account_id: uuid.UUID
    amount: int
    currency: str
    reference: str
    value_date: date


def _booked_at(value_date: date, zone: str, not_before: datetime) -> datetime:
    """A receipt is booked on its value date (the start of that day in the centre's time zone), and
    never before the money became owed."""
    start = datetime.combine(value_date, time.min, tzinfo=ZoneInfo(zone))
    return max(start, not_before)


@dataclass(frozen=True)
class Receipt:
    """Money received against a settlement, from any channel, as the settlements area records it."""

    channel: PaymentChannel
    amount: int
    currency: str
    account: LedgerAccount  # what is debited: a bank account, Stripe clearing, voucher receivable
    booked_at: datetime
    value_date: date
    description: str
    bank_account_id: uuid.UUID | None = None
    reference: str | None = None  # the bank's serial number
    external_ref: str | None = None  # the processor's id (a Stripe charge)
    recorded_by: uuid.UUID | None = None


async def receive(session: AsyncSession, settlement: Settlement, receipt: Receipt, *, share: bool = True) -> Payment:
    """Record a receipt on a settlement locked by the caller: Dr the receipt's account / Cr receivable,
    the payment row, the settlement's paid amount and state, and the revenue allocation (`share=False`
    leaves it to `share_receipt` when the money itself arrives: a voucher's share is shared when the
    issuer pays its claim). 409 when it pays more than is owed or the settlement is closed."""
    _require_owed(settlement, receipt.amount)
    payment_id = uuid7()
    receivable = await chart.account(
        session, settlement.centre_id, settlement.currency, AccountSpec(AccountPurpose.receivable)
    )
    provider = await session.get(Organisation, settlement.provider_org_id)
    institute_id = institute_of(provider)  # type: ignore[arg-type]
    entry = await entries.post(
        session,
        centre_id=settlement.centre_id,
        source=EntrySource.payment,
        source_ref=str(payment_id),
        description=f"{settlement.number} {receipt.description}",
        booked_at=receipt.booked_at,
        created_by=receipt.recorded_by,
        lines=[
            entries.debit(receipt.account, receipt.amount, institute_id=institute_id, memo=receipt.reference),
            entries.credit(receivable, receipt.amount, institute_id=institute_id, memo=settlement.number),
        ],
    )
    payment = Payment(
        id=payment_id,
        settlement_id=settlement.id,
        centre_id=settlement.centre_id,
        channel=receipt.channel,
        amount=receipt.amount,
        currency=receipt.currency,
        bank_account_id=receipt.bank_account_id,
        reference=receipt.reference,
        external_ref=receipt.external_ref,
        value_date=receipt.value_date,
        received_at=receipt.booked_at,
        entry_id=entry.id,
        recorded_by=receipt.recorded_by,
        refunded_amount=0,
    )
    try:
        async with session.begin_nested():
            session.add(payment)
            await session.flush()
    except IntegrityError as exc:
        raise DuplicateBankReference(f"{receipt.reference or receipt.external_ref} is already recorded") from exc
    await apply(session, settlement, payment, share=share)
    return payment


async def record_offline(
    session: AsyncSession, actor: Actor, settlement_id: uuid.UUID, data: OfflinePaymentInput
) -> Payment:
    """Finance records a bank transfer received against a settlement (partial payments allowed)."""
    settlement = await get(session, actor, settlement_id, lock=True)
    access.require_of_visible(actor, settlement.centre_id, write=True)
    bank = await bank_accounts.get(session, actor, data.bank_account_id, write=True)
    if bank.centre_id != settlement.centre_id:
        raise bank_accounts.BankAccountNotFound("not one of this centre's bank accounts")
    if data.currency != settlement.currency or bank.currency != settlement.currency:
        raise Invalid(f"the settlement and the bank account are in {settlement.currency}", loc=["body", "amount"])
    zone = (await session.get(Organisation, settlement.centre_id)).timezone  # type: ignore[union-attr]
    if data.value_date > clock.now().astimezone(ZoneInfo(zone)).date():
        raise Invalid("the value date is in the future", loc=["body", "value_date"])
    receipt = Receipt(
        channel=PaymentChannel.bank_transfer,
        amount=data.amount,
        currency=data.currency,
        account=await bank_accounts.ledger_account(session, bank),
        booked_at=_booked_at(data.value_date, zone, settlement.owed_at),
        value_date=data.value_date,
        description=f"银行转账收款 / bank transfer {data.reference}",
        bank_account_id=bank.id,
        reference=data.reference,
        recorded_by=actor.user_id,
    )
    return await receive(session, settlement, receipt)


def _require_owed(settlement: Settlement, amount: int) -> None:
    if settlement.status in (SettlementStatus.paid, SettlementStatus.written_off):
        raise SettlementClosed(f"{settlement.number} is {settlement.status.value}")
    if amount > settlement.outstanding:
        raise Overpayment(
            f"{settlement.number} has {settlement.outstanding} {settlement.currency} left to pay",
            outstanding={"amount": settlement.outstanding, "currency": settlement.currency},
        )


async def apply(session: AsyncSession, settlement: Settlement, payment: Payment, *, share: bool = True) -> None:
    """A recorded receipt counts on its (locked) settlement and is shared by the contract's terms."""
    settlement.paid_amount += payment.amount
    settlement.status = status_after(settlement)
    await session.flush()
    if share:
        await allocation.allocate_receipt(session, settlement, payment)


async def share_receipt(
    session: AsyncSession, settlement: Settlement, payment: Payment, *, booked_at: datetime
) -> RevenueAllocation | None:
    """Share a receipt recorded with `share=False` now that its money arrived (a voucher claim paid),
    by the contract version in force now, dated `booked_at`."""
    return await allocation.allocate_receipt(session, settlement, payment, booked_at=booked_at)


async def write_off(session: AsyncSession, actor: Actor, settlement_id: uuid.UUID, *, reason: str) -> Settlement:
    """Finance writes off what is left of a settlement: Dr bad debts / Cr receivable."""
    settlement = await get(session, actor, settlement_id, lock=True)
    access.require_of_visible(actor, settlement.centre_id, write=True)
    if settlement.status in (SettlementStatus.paid, SettlementStatus.written_off):
        raise SettlementClosed(f"{settlement.number} is {settlement.status.value}")
    left = settlement.outstanding
    receivable = await chart.account(
        session, settlement.centre_id, settlement.currency, AccountSpec(AccountPurpose.receivable)
    )
    bad_debts = await chart.account(
        session, settlement.centre_id, settlement.currency, AccountSpec(AccountPurpose.write_off_expense)
    )
    provider = await session.get(Organisation, settlement.provider_org_id)
    institute_id = institute_of(provider)  # type: ignore[arg-type]
    await entries.post(
        session,
        centre_id=settlement.centre_id,
        source=EntrySource.write_off,
        source_ref=str(settlement.id),
        description=f"{settlement.number} 核销 / written off: {reason}",
        created_by=actor.user_id,
        lines=[
            entries.debit(bad_debts, left, institute_id=institute_id),
            entries.credit(receivable, left, institute_id=institute_id, memo=settlement.number),
        ],
    )
    settlement.written_off_amount = left
    settlement.written_off_at = clock.now()
    settlement.written_off_by = actor.user_id
    settlement.write_off_reason = reason
    settlement.status = SettlementStatus.written_off
    await session.flush()
    return settlement


async def reverse_entry(session: AsyncSession, actor: Actor, entry_id: uuid.UUID, *, reason: str) -> JournalEntry:
    """Reverse an entry (finance): a manual one as it is; a payment with its allocation, so the
    settlement owes it again. Accruals, recognitions and allocations follow their source and are
    refused (409): reverse the payment, or write the settlement off."""
    entry = await session.get(JournalEntry, entry_id)
    if entry is None or entry.centre_id not in access.reader_centres(actor):
        raise entries.EntryNotFound()
    access.require(actor, entry.centre_id, write=True)
    entry = await entries.load(session, entry.id)
    description = f"冲销 / reversal of {entry.description}: {reason}"
    if entry.source is EntrySource.manual:
        return await entries.reverse(session, entry, description=description, created_by=actor.user_id)
    if entry.source is EntrySource.payment:
        voucher = await session.scalar(
            select(Payment.id).where(
                Payment.id == uuid.UUID(entry.source_ref), Payment.channel == PaymentChannel.voucher
            )
        )
        if voucher is not None:
            raise EntryNotReversible(
                "a voucher's share is cancelled as a redemption, or returns when its claim is rejected"
            )
        return await _reverse_payment(session, actor, uuid.UUID(entry.source_ref), description)
    raise EntryNotReversible(
        f"a {entry.source.value} entry follows its source; reverse the payment or write the settlement off"
    )


async def _reverse_payment(
    session: AsyncSession, actor: Actor, payment_id: uuid.UUID, description: str
) -> JournalEntry:
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound()
    settlement = await get(session, actor, payment.settlement_id, lock=True)
    await session.refresh(payment, with_for_update=True)
    return await undo_receipt(session, settlement, payment, description=description, created_by=actor.user_id)


async def undo_receipt(
    session: AsyncSession,
    settlement: Settlement,
    payment: Payment,
    *,
    description: str,
    created_by: uuid.UUID | None,
) -> JournalEntry:
    """Reverse a receipt on a settlement and payment the caller locked: its entry and its allocation's
    are reversed (dated now), and the settlement owes the amount again. 409 when it was reversed
    already or the settlement is written off (its payments stand)."""
    if payment.reversed_by_entry_id is not None:
        raise PaymentAlreadyReversed()
    if settlement.status is SettlementStatus.written_off:
        raise SettlementClosed(f"{settlement.number} is written off; its payments stand")
    reversal = await entries.reverse(
        session, await entries.load(session, payment.entry_id), description=description, created_by=created_by
    )
    shared = await session.scalar(select(RevenueAllocation).where(RevenueAllocation.payment_id == payment.id))
    if shared is not None and shared.entry_id is not None:
        await entries.reverse(
            session, await entries.load(session, shared.entry_id), description=description, created_by=created_by
        )
    payment.reversed_by_entry_id = reversal.id
    settlement.paid_amount -= payment.amount
    settlement.status = status_after(settlement)
    await session.flush()
    return reversal


async def allocation_of(session: AsyncSession, payment_id: uuid.UUID) -> RevenueAllocation | None:
    """How a payment was shared (with its lines), if it was."""
    return await session.scalar(
        select(RevenueAllocation)
        .options(selectinload(RevenueAllocation.lines))
        .where(RevenueAllocation.payment_id == payment_id)
    )


async def payments_of(
    session: AsyncSession, actor: Actor, settlement_id: uuid.UUID
) -> tuple[Settlement, list[tuple[Payment, RevenueAllocation | None]]]:
    """A visible settlement's payments, oldest first, each with its allocation."""
    settlement = await get(session, actor, settlement_id)
    rows = (
        await session.scalars(
            select(Payment).where(Payment.settlement_id == settlement.id).order_by(Payment.received_at, Payment.id)
        )
    ).all()
    return settlement, [(p, await allocation_of(session, p.id)) for p in rows]
