"""Demo service requests: one waiting, one quoted with a proposal, one accepted into a draft contract.
Asked for ten days before seeding and answered two days later (the clock is moved there)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import SME_ROLES, ContractType
from models.service_offers import ServiceOffer
from models.service_requests import ServiceRequest
from services import clock, proposals, service_requests
from services.actors import load_actor

ASKED, ANSWERED = 10, 8  # days before seeding

# (SME user, offer title, message, quantity, what the provider does: None / "quote" / "accept")
REQUESTS = (
    ("wu.hao", "锂电池材料检测服务", "需检测 2 批硅碳负极样品的首效与循环性能，月底前出具 CMA 报告。", 2, None),
    ("zheng.fang", "新材料配方合同研发", "开发一种低 VOC 水性涂料配方，用于污水处理设备防腐。", None, "quote"),
    ("sun.li", "锂电池材料检测服务", "NCM811 正极 3 批样品的成分与形貌检测。", 3, "accept"),
)


async def seed(session: AsyncSession, report) -> None:
    """Create the demo service requests that are missing."""
    today = clock.now()
    staff = await load_actor(session, report.users["liu.yang"])
    for user_key, offer_title, message, quantity, outcome in REQUESTS:
        actor = await load_actor(session, report.users[user_key])
        offer = await session.scalar(select(ServiceOffer).where(ServiceOffer.title == offer_title))
        if offer is None:
            continue
        sme_id = actor.acting_org(actor.sme_ids(SME_ROLES), None, "SME staff")
        exists = await session.scalar(
            select(ServiceRequest.id).where(ServiceRequest.offer_id == offer.id, ServiceRequest.sme_org_id == sme_id)
        )
        if exists:
            continue
        with clock.travel_to(today - timedelta(days=ASKED)):
            request = await service_requests.create(
                session,
                actor,
                offer.id,
                service_requests.RequestInput(
                    message=message, quantity=quantity, needed_by=(clock.now() + timedelta(days=30)).date()
                ),
            )
        report.count("service requests")
        with clock.travel_to(today - timedelta(days=ANSWERED)):
            await _answer(session, report, staff, request, outcome)


async def _answer(session: AsyncSession, report, staff, request: ServiceRequest, outcome: str | None) -> None:
    """The provider accepts the request, quotes it with a proposal, or (None) has not answered yet."""
    if outcome == "accept":
        await service_requests.accept(session, staff, request.id)
    elif outcome == "quote":
        price = 36_000_000  # 360,000.00 CNY
        terms = proposals.ProposalTerms(
            approach="小试筛选树脂与助剂体系，中试验证耐腐蚀与 VOC 指标，交付配方与工艺包。",
            price_amount=price,
            currency="CNY",
            duration_days=120,
            milestones=[
                proposals.MilestoneTerms("配方小试", 12_000_000, "CNY", 45),
                proposals.MilestoneTerms("中试验证与工艺包交付", price - 12_000_000, "CNY", 120),
            ],
            contract_type=ContractType.development,
            valid_until=clock.now() + timedelta(days=30),
        )
        await proposals.submit_for_request(session, staff, request.id, terms)
        report.count("proposals")
