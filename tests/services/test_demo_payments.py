"""Demo money: a bank account, paid, partly paid and conceded settlements, a licence receipt split
among the institute, the co-builder and the research team; the ledger keeps its promises; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from models.enums import SettlementStatus
from models.organisations import Organisation
from models.settlements import Payment, Refund, RevenueAllocation, RevenueAllocationLine, Settlement
from services import demo
from services.demo import payments as demo_payments
from services.ledger import verify


async def test_seed_records_receipts_a_concession_and_an_allocation_and_runs_twice(db, settings):
    async with db.session_scope() as session:
        first = await demo.seed(session, settings)
    assert first.created["payments"] == 4 and first.created["refunds"] == 1
    async with db.session_scope() as session:
        again = await demo.seed(session, settings)
    assert {"payments", "refunds", "bank accounts"}.isdisjoint(again.created)

    async with db.session_scope() as session:
        states = {
            s.description.split("：")[-1]: (s.status, s.amount, s.paid_amount, s.written_off_amount)
            for s in (await session.scalars(select(Settlement))).all()
        }
        assert states["入门费（合同生效后支付）"] == (SettlementStatus.paid, 100_000_000, 100_000_000, 0)
        assert states["现场诊断"] == (SettlementStatus.partially_paid, 5_000_000, 2_000_000, 0)
        assert states["可行性论证报告"] == (SettlementStatus.written_off, 10_000_000, 8_000_000, 2_000_000)
        assert sorted(st for st, *_ in states.values()).count(SettlementStatus.open) == 1  # the SEM booking

        refund = (await session.scalars(select(Refund))).one()
        assert refund.amount == 2_000_000 and refund.reason == demo_payments.CONCESSION
        assert len((await session.scalars(select(Payment))).all()) == 4

        licence = await session.scalar(
            select(RevenueAllocation)
            .join(Payment, Payment.id == RevenueAllocation.payment_id)
            .where(Payment.reference == "ICBC2026113000012345")
        )
        assert licence is not None and licence.base_amount == 100_000_000  # VAT-exempt licence
        names = {o.id: o.name for o in (await session.scalars(select(Organisation))).all()}
        lines = (
            await session.scalars(
                select(RevenueAllocationLine).where(RevenueAllocationLine.allocation_id == licence.id)
            )
        ).all()
        split = {(line.share, names.get(line.organisation_id)): line.amount for line in lines}
        assert sum(split.values()) == 100_000_000
        assert split[("party", "东南大学")] == 30_000_000  # the co-builder's 30% revenue share
        # the institute's 70%: 60% of it to the research team under the centre's policy, the rest kept
        assert split[("team_reward", None)] == 42_000_000
        assert split[("provider", "长三角先进材料研究院")] == 28_000_000

        assert await verify.run(session) == []
