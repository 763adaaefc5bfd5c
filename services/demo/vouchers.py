"""Demo vouchers: the Suzhou Science and Technology Bureau's innovation voucher programme, a voucher
for the demo SME (苏州纳维), half of its completed SEM booking covered by the voucher and the other half
paid by bank transfer, and the centre's claim for the voucher's half approved and paid by the bureau.
Built through the services the issuer, the SME and finance call (real entries, no Stripe); the SEM
booking is the settlement the payments demo leaves to vouchers. Idempotent: the programme is found by
its issuer and name, the voucher by programme and SME, the redemption by its settlement, the bank
transfer by its serial number, the claim by its redemption.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import IncomeKind, SettlementStatus, VoucherClaimStatus, VoucherRedemptionStatus
from models.settlements import Payment
from models.vouchers import Voucher, VoucherClaim, VoucherProgramme, VoucherRedemption
from services import clock, vouchers
from services.actors import load_actor
from services.demo.bookings import SEM
from services.demo.payments import FINANCE, _booking_settlement, bank_account
from services.settlements import payments

ISSUER_ADMIN = "xu.ting"  # 徐婷, the bureau's issuer_admin (who also decides claims)
SME_MEMBER = "zhou.jie"  # 周杰 of 苏州纳维新材料, who booked the SEM
PROGRAMME = "苏州市科技创新券（{year}年度） / Suzhou innovation vouchers {year}"
SHARE_BPS = 5000  # the voucher covers half of the SEM booking
OWN_SHARE_REFERENCE = "ICBC2026113000012349"  # the SME's half, by bank transfer
CLAIM_REFERENCE = "SZKJJ-CZ-2026-0001"  # the bureau's bank serial number when it pays the claim


async def _programme(session: AsyncSession, report) -> VoucherProgramme:
    issuer = report.organisations["issuer"]
    zone = ZoneInfo(issuer.timezone)
    year = clock.now().astimezone(zone).year
    name = PROGRAMME.format(year=year)
    found = await session.scalar(
        select(VoucherProgramme).where(VoucherProgramme.issuer_org_id == issuer.id, VoucherProgramme.name == name)
    )
    if found is not None:
        return found
    report.count("voucher programmes")
    return await vouchers.create(
        session,
        await load_actor(session, report.users[ISSUER_ADMIN]),
        vouchers.ProgrammeInput(
            issuer_org_id=issuer.id,
            name=name,
            description="面向本市科技型中小企业，用于购买创新中心的仪器共享、检验检测与技术服务。",
            currency="CNY",
            budget=50_000_000,  # 500,000 yuan
            face_value=2_000_000,  # 20,000 yuan a voucher
            valid_from=datetime(year, 1, 1, tzinfo=zone),
            valid_until=datetime(year + 1, 1, 1, tzinfo=zone),
            eligible_income_kinds=[IncomeKind.instrument_sharing, IncomeKind.testing, IncomeKind.consulting],
            max_share_bps=SHARE_BPS,
            annual_cap_per_sme=4_000_000,
        ),
    )


async def _voucher(session: AsyncSession, report, programme: VoucherProgramme) -> Voucher:
    sme = report.organisations["sme_navi"]
    found = await session.scalar(
        select(Voucher).where(Voucher.programme_id == programme.id, Voucher.sme_org_id == sme.id)
    )
    if found is not None:
        return found
    report.count("vouchers")
    admin = await load_actor(session, report.users[ISSUER_ADMIN])
    [voucher] = await vouchers.issue(session, admin, programme.id, vouchers.IssueInput(sme_org_ids=[sme.id]))
    return voucher


async def seed(session: AsyncSession, report) -> None:
    """The programme, the SME's voucher, the SEM booking half by voucher and half by bank, the paid claim."""
    settlement = await _booking_settlement(session, SEM)
    programme = await _programme(session, report)
    voucher = await _voucher(session, report, programme)
    if settlement is None:
        return
    redemption = await session.scalar(select(VoucherRedemption).where(VoucherRedemption.settlement_id == settlement.id))
    if redemption is None:
        if settlement.status is not SettlementStatus.open:
            return  # paid some other way already: nothing for the voucher to cover
        sme = await load_actor(session, report.users[SME_MEMBER])
        redemption, _ = await vouchers.redeem(
            session,
            sme,
            settlement.id,
            vouchers.RedemptionInput(voucher.id, settlement.amount * SHARE_BPS // 10_000),
        )
        report.count("voucher redemptions")
    bank = await bank_account(session, report)
    finance = await load_actor(session, report.users[FINANCE])
    paid = await session.scalar(
        select(Payment).where(Payment.bank_account_id == bank.id, Payment.reference == OWN_SHARE_REFERENCE)
    )
    if paid is None and settlement.outstanding > 0:
        await payments.record_offline(
            session,
            finance,
            settlement.id,
            payments.OfflinePaymentInput(
                bank_account_id=bank.id,
                amount=settlement.outstanding,
                currency=settlement.currency,
                reference=OWN_SHARE_REFERENCE,
                value_date=clock.now().date(),
            ),
        )
        report.count("payments")
    claim = await session.get(VoucherClaim, redemption.claim_id) if redemption.claim_id else None
    if claim is None and redemption.status is VoucherRedemptionStatus.redeemed:
        claim = await vouchers.submit(
            session,
            finance,
            vouchers.ClaimInput(
                redemption_ids=[redemption.id],
                bank_account_id=bank.id,
                note="检测委托单、SEM 上机记录与企业自付部分银行回单已随纸质材料报送。",
            ),
        )
        report.count("voucher claims")
    if claim is None:
        return
    issuer = await load_actor(session, report.users[ISSUER_ADMIN])
    if claim.status is VoucherClaimStatus.submitted:
        claim = await vouchers.approve(session, issuer, claim.id)
    if claim.status is VoucherClaimStatus.approved:
        await vouchers.pay(session, issuer, claim.id, vouchers.PayInput(reference=CLAIM_REFERENCE))
