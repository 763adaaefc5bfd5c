"""Demo vouchers: the bureau's programme, the demo SME's voucher, half of the SEM booking covered by it
and half paid by bank transfer, the centre's claim approved and paid; no Stripe; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from models.enums import PaymentChannel, SettlementStatus, VoucherClaimStatus, VoucherRedemptionStatus
from models.settlements import Payment, RevenueAllocation, Settlement
from models.vouchers import Voucher, VoucherClaim, VoucherProgramme, VoucherRedemption
from services import demo
from services.ledger import verify


async def test_seed_makes_a_programme_a_half_voucher_payment_and_a_paid_claim_and_runs_twice(db, settings):
    async with db.session_scope() as session:
        first = await demo.seed(session, settings)
    for what in ("voucher programmes", "vouchers", "voucher redemptions", "voucher claims"):
        assert first.created[what] == 1, what
    async with db.session_scope() as session:
        again = await demo.seed(session, settings)
    assert {"voucher programmes", "vouchers", "voucher redemptions", "voucher claims", "payments"}.isdisjoint(
        again.created
    )

    async with db.session_scope() as session:
        programme = (await session.scalars(select(VoucherProgramme))).one()
        redemption = (await session.scalars(select(VoucherRedemption))).one()
        settlement = await session.get(Settlement, redemption.settlement_id)
        assert settlement is not None and settlement.status is SettlementStatus.paid
        assert settlement.income_kind.value == "instrument_sharing"
        assert redemption.amount == settlement.amount * 5000 // 10000
        assert redemption.status is VoucherRedemptionStatus.paid
        voucher = (await session.scalars(select(Voucher))).one()
        assert voucher.balance == voucher.face_value - redemption.amount
        assert programme.redeemed_amount == redemption.amount
        claim = (await session.scalars(select(VoucherClaim))).one()
        assert claim.status is VoucherClaimStatus.paid and claim.amount == redemption.amount
        assert claim.entry_id is not None
        channels = sorted(
            p.channel.value
            for p in (await session.scalars(select(Payment).where(Payment.settlement_id == settlement.id))).all()
        )
        assert channels == [PaymentChannel.bank_transfer.value, PaymentChannel.voucher.value]
        assert (
            await session.scalar(
                select(RevenueAllocation.id).where(RevenueAllocation.payment_id == redemption.payment_id)
            )
            is None
        )  # a booking: no contract, nothing to share
        assert await verify.run(session) == []
