"""Demo problems in each confidentiality tier, with questions, NDA acceptances, proposals and one
accepted proposal whose draft contract exists. Made through the services, so notifications are
real too. Idempotent: a problem is found by its SME and title first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import SME_ROLES, ConfidentialityTier, ContractType, TechField
from models.problems import Problem
from services import clock, problems, proposals
from services.actors import load_actor

# The story, in days before seeding: the problems are posted, a centre accepts an NDA and asks a
# question, the SME answers, proposals arrive, and one is accepted.
POSTED, ASKED, ANSWERED, PROPOSED, ACCEPTED = 21, 19, 17, 14, 7

NDA_TERMS = (
    "接收方仅为评估并提出解决方案之目的使用本难题中的技术资料，不得向第三方披露，保密期限自接受之日起三年。"
    "Recipient uses the technical information only to evaluate and propose a solution; no disclosure to third "
    "parties; three years from acceptance."
)


def _terms(price_yuan: int, days: int, kind: ContractType, approach: str, steps: list[tuple[str, int, int]]):
    """Proposal terms; `steps` are (title, share in percent, due day), shares summing to 100."""
    price = price_yuan * 100
    amounts = [price * share // 100 for _, share, _ in steps]
    amounts[-1] += price - sum(amounts)
    return proposals.ProposalTerms(
        approach=approach,
        price_amount=price,
        currency="CNY",
        duration_days=days,
        milestones=[
            proposals.MilestoneTerms(title, amount, "CNY", due)
            for (title, _, due), amount in zip(steps, amounts, strict=True)
        ],
        contract_type=kind,
        valid_until=clock.now() + timedelta(days=60),
    )


async def _problem(
    session: AsyncSession, report, user_key: str, data: problems.ProblemInput
) -> problems.ProblemView | None:
    """Create the problem unless the SME already has one with this title (then None: already seeded)."""
    actor = await load_actor(session, report.users[user_key])
    sme_id = actor.acting_org(actor.sme_ids(SME_ROLES), None, "SME staff")
    exists = await session.scalar(select(Problem.id).where(Problem.sme_org_id == sme_id, Problem.title == data.title))
    if exists:
        return None
    view = await problems.create(session, actor, data)
    report.count("problems")
    return view


async def _propose(
    session: AsyncSession, report, user_key: str, problem: problems.ProblemView, terms
) -> proposals.ProposalView:
    actor = await load_actor(session, report.users[user_key])
    view = await proposals.submit(session, actor, problem.id, terms, organisation_id=None)
    report.count("proposals")
    return view


async def seed(session, report) -> None:
    """Open problems in each tier with proposals, and one awarded problem with its draft contract,
    told as a story of the past weeks (the clock is moved to each step, so every record carries
    the time it would have had)."""
    today = clock.now()
    orgs = report.organisations

    def days_ago(days: int):
        return clock.travel_to(today - timedelta(days=days))

    with days_ago(POSTED):
        deadline = clock.now() + timedelta(days=45)
        public = await _problem(
            session,
            report,
            "sun.li",
            problems.ProblemInput(
                title="高镍三元正极材料高温循环衰减问题",
                summary="NCM811 正极在 45℃ 下循环衰减快，需要中试可放大的表面包覆或掺杂方案。",
                description=(
                    "我司 NCM811 正极材料在 45℃、1C 条件下 500 次循环容量保持率约 78%，客户要求不低于 90%。"
                    "已尝试氧化铝湿法包覆，效果有限。希望获得可在 200 吨/年产线上实施的改性工艺。"
                    " English abstract: high-nickel NCM811 cathode loses capacity at 45 °C; we need a coating or "
                    "doping process that scales to a 200 t/a line."
                ),
                desired_outcome="45℃ 循环 500 次容量保持率 ≥ 90%，工艺包与中试验证报告。",
                technical_field=TechField.new_energy,
                budget=problems.Budget(min_amount=50_000_000, max_amount=120_000_000, currency="CNY"),
                deadline=deadline,
                confidentiality=ConfidentialityTier.public,
                attachments=[
                    problems.AttachmentLink(
                        name="循环性能曲线.pdf",
                        url="https://files.demo.example/navi/cycle.pdf",
                        media_type="application/pdf",
                    )
                ],
            ),
        )
        nda = await _problem(
            session,
            report,
            "wu.hao",
            problems.ProblemInput(
                title="碳化硅 MOSFET 栅氧可靠性提升",
                summary="1200V SiC MOSFET 高温栅偏（HTGB）测试阈值漂移偏大，寻求栅氧工艺改进合作。",
                description=(
                    "我司 1200V/40mΩ SiC MOSFET 在 175℃、+20V HTGB 1000 小时后阈值电压漂移约 0.6V，"
                    "目标 < 0.2V。需要对栅氧氮化退火工艺进行优化，并提供可靠性验证。"
                    " English abstract: threshold drift after HTGB is too high; we need gate-oxide nitridation "
                    "process improvement with reliability qualification."
                ),
                desired_outcome="阈值漂移 < 0.2V 的工艺窗口与可靠性测试报告。",
                technical_field=TechField.electronic_information,
                budget=problems.Budget(min_amount=150_000_000, max_amount=300_000_000, currency="CNY"),
                deadline=deadline,
                confidentiality=ConfidentialityTier.nda,
                nda_terms=NDA_TERMS,
                anonymous=True,
            ),
        )
        invite = await _problem(
            session,
            report,
            "zheng.fang",
            problems.ProblemInput(
                title="高盐有机废水低能耗蒸发结晶工艺",
                summary="化工园区高盐有机废水处理能耗高，希望邀请装备类研究机构提出 MVR 系统改造方案。",
                description=(
                    "废水含盐 8%~12%，COD 约 15000 mg/L，现有三效蒸发吨水能耗约 60 kWh。"
                    "希望改造为 MVR + 分盐结晶，吨水能耗降至 30 kWh 以下。"
                    " English abstract: reduce evaporation energy for high-salinity organic wastewater via MVR"
                    " retrofit."
                ),
                desired_outcome="MVR 改造方案、设备选型与中试运行数据。",
                technical_field=TechField.resources_environment,
                budget=problems.Budget(min_amount=80_000_000, max_amount=200_000_000, currency="CNY"),
                deadline=deadline,
                confidentiality=ConfidentialityTier.invite_only,
                invited_organisation_ids=[orgs["equipment"].id],
            ),
        )
        awarded = await _problem(
            session,
            report,
            "zhou.jie",
            problems.ProblemInput(
                title="精密行星减速器齿面早期磨损分析",
                summary="协作机器人关节减速器在 2000 小时后出现齿面点蚀，需要失效分析与改进建议。",
                description=(
                    "减速器为二级行星结构，渗碳淬火齿轮，额定扭矩 120 N·m。2000 小时台架试验后出现点蚀，"
                    "需要失效分析、润滑与热处理改进建议。"
                    " English abstract: pitting of planetary gear teeth after 2000 h; failure analysis requested."
                ),
                desired_outcome="失效分析报告与改进建议。",
                technical_field=TechField.advanced_manufacturing,
                budget=problems.Budget(min_amount=10_000_000, max_amount=30_000_000, currency="CNY"),
                deadline=deadline,
                confidentiality=ConfidentialityTier.public,
            ),
        )

    with days_ago(ASKED):
        if nda is not None:
            await problems.accept_nda(
                session, await load_actor(session, report.users["wang.qiang"]), nda.id, organisation_id=None
            )
        question = None
        if public is not None:
            question = await problems.ask(
                session,
                await load_actor(session, report.users["liu.yang"]),
                public.id,
                question="现有样品的残碱含量是多少？是否允许增加一道烧结工序？",
                organisation_id=None,
            )

    with days_ago(ANSWERED):
        if question is not None:
            await problems.answer(
                session,
                await load_actor(session, report.users["sun.li"]),
                question.problem_id,
                question.id,
                answer="残碱约 0.35%。可以增加一道烧结工序，但总能耗增加不宜超过 10%。",
            )

    with days_ago(PROPOSED):
        if public is not None:
            await _propose(
                session,
                report,
                "liu.yang",
                public,
                _terms(
                    860_000,
                    180,
                    ContractType.development,
                    "原子层沉积（ALD）超薄包覆结合 Zr/Ti 梯度掺杂：先小试筛选配方，再在研究院中试线放大验证。",
                    [("小试配方筛选报告", 30, 60), ("中试放大与工艺包交付", 70, 180)],
                ),
            )
            await _propose(
                session,
                report,
                "li.na",
                public,
                _terms(
                    650_000,
                    150,
                    ContractType.service,
                    "提供失效分析与高温循环测试服务，给出改性方向建议并协助工艺调整。",
                    [("失效分析报告", 40, 45), ("测试与工艺建议", 60, 150)],
                ),
            )
        if nda is not None:
            await _propose(
                session,
                report,
                "liu.yang",
                nda,
                _terms(
                    2_400_000,
                    270,
                    ContractType.development,
                    "采用 NO/N2O 复合退火与界面态表征（DLTS、C-V）联合优化，研究院提供 HTGB/HTRB 可靠性平台。",
                    [("界面态表征与工艺方案", 25, 60), ("工艺窗口优化", 40, 180), ("可靠性验证报告", 35, 270)],
                ),
            )
        if invite is not None:
            await _propose(
                session,
                report,
                "zhao.min",
                invite,
                _terms(
                    1_500_000,
                    240,
                    ContractType.development,
                    "MVR 压缩机选型与防结垢换热器设计，研究所中试装置现场验证 3 个月。",
                    [("方案设计", 20, 45), ("设备集成", 50, 150), ("中试运行报告", 30, 240)],
                ),
            )

        winner = None
        if awarded is not None:
            winner = await _propose(
                session,
                report,
                "zhao.min",
                awarded,
                _terms(
                    220_000,
                    60,
                    ContractType.consulting,
                    "金相、硬度梯度与油液分析定位失效原因，给出热处理与润滑改进建议。",
                    [("失效分析报告", 60, 30), ("改进建议与复核", 40, 60)],
                ),
            )

    with days_ago(ACCEPTED):
        if winner is not None:
            await proposals.accept(session, await load_actor(session, report.users["sun.li"]), winner.proposal.id)
            report.count("contracts")
