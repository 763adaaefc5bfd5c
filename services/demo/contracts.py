"""Demo contracts of several Civil Code types, with IP terms, signed by every party, made through the
services (so versions, hashes, events and notifications are real): an exclusive licence of a pilot-scale
result with a delivered and accepted milestone, a development contract with an open amendment, and a
completed consulting contract. The centre's team-reward policy too. Idempotent: a contract is found by
its provider, client and title first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import CentrePolicy, Contract
from models.enums import ContractType, LicenceKind
from models.pilot_results import PilotResult
from services import contracts
from services.actors import load_actor
from services.contracts import (
    AmendmentInput,
    Amount,
    BackgroundIpInput,
    ContractChanges,
    ContractInput,
    IpTermsInput,
    LicenceInput,
    MilestoneInput,
    ShareInput,
)

TEAM_REWARD_POLICY = (6000, "《长三角国家技术创新中心科技成果转化收益分配办法》第十条：成果完成团队获净收入的60%")


def cny(yuan: int) -> Amount:
    return Amount(amount=yuan * 100, currency="CNY")


def milestone(title: str, yuan: int, days: int) -> MilestoneInput:
    return MilestoneInput(title=title, amount=yuan * 100, currency="CNY", due_offset_days=days)


def share(org, bps: int) -> ShareInput:
    return ShareInput(organisation_id=org.id, bps=bps)


async def _actor(session: AsyncSession, report, key: str):
    return await load_actor(session, report.users[key])


async def _existing(session: AsyncSession, provider, client, title: str) -> bool:
    found = await session.scalar(
        select(Contract.id).where(
            Contract.provider_org_id == provider.id, Contract.client_org_id == client.id, Contract.title == title
        )
    )
    return found is not None


async def _sign(session: AsyncSession, report, contract: Contract, keys: list[str]) -> Contract:
    for key in keys:
        contract = await contracts.sign(session, await _actor(session, report, key), contract.id)
    return contract


async def _policy(session: AsyncSession, centre) -> None:
    if await session.get(CentrePolicy, centre.id) is None:
        session.add(
            CentrePolicy(organisation_id=centre.id, team_reward_bps=TEAM_REWARD_POLICY[0], note=TEAM_REWARD_POLICY[1])
        )
        await session.flush()


def _terms(
    background: Sequence[BackgroundIpInput],
    ownership: Sequence[ShareInput],
    revenue: Sequence[ShareInput],
    *,
    licences: Sequence[LicenceInput] = (),
    publication: str,
    reward: int | None = None,
) -> IpTermsInput:
    return IpTermsInput(
        background_ip=background,
        new_ip_ownership=ownership,
        licences=licences,
        revenue_shares=revenue,
        team_reward_bps=reward,
        publication_rights=publication,
    )


async def _licence(session: AsyncSession, report) -> None:
    orgs = report.organisations
    title = "高镍三元正极材料专利独占实施许可"
    if await _existing(session, orgs["materials"], orgs["sme_navi"], title):
        return
    result = await session.scalar(
        select(PilotResult).where(
            PilotResult.owner_org_id == orgs["materials"].id, PilotResult.title == "高能量密度锂电池正极材料中试成果"
        )
    )
    if result is None:
        return
    staff = await _actor(session, report, "liu.yang")
    contract = await contracts.create(
        session,
        staff,
        ContractInput(
            contract_type=ContractType.licence,
            title=title,
            scope="许可被许可方在动力电池领域、中国大陆范围内独占实施高镍三元正极材料制备方法专利及配套中试工艺包。"
            " Exclusive licence of the high-nickel cathode patent and pilot process package for traction batteries "
            "in mainland China.",
            provider_org_id=orgs["materials"].id,
            client_org_id=orgs["sme_navi"].id,
            co_builder_org_ids=[orgs["university"].id],
            value=cny(3_000_000),
            technology_portion=cny(3_000_000),
            start_date=date(2026, 12, 1),
            end_date=date(2031, 12, 1),
            confidentiality_months=60,
            pilot_result_id=result.id,
            milestones=[
                milestone("入门费（合同生效后支付）", 1_000_000, 15),
                milestone("工艺包交付与中试线联调验收", 2_000_000, 180),
            ],
        ),
    )
    contract = await contracts.set_ip_terms(
        session,
        staff,
        contract.id,
        _terms(
            [
                BackgroundIpInput(
                    organisation_id=orgs["materials"].id,
                    pilot_result_id=result.id,
                    patent_numbers=[a["number"] for a in result.ip_assets],
                    description="高镍三元正极材料制备方法专利及50吨/年中试工艺包",
                ),
                BackgroundIpInput(
                    organisation_id=orgs["university"].id,
                    description="东南大学前驱体共沉淀基础研究成果",
                ),
            ],
            [share(orgs["materials"], 7000), share(orgs["university"], 3000)],
            [share(orgs["materials"], 7000), share(orgs["university"], 3000)],
            licences=[
                LicenceInput(
                    licensee_org_id=orgs["sme_navi"].id,
                    kind=LicenceKind.exclusive,
                    pilot_result_id=result.id,
                    field_of_use="动力电池",
                    territory="中国大陆",
                    starts_on=date(2027, 1, 1),
                    ends_on=date(2032, 1, 1),
                )
            ],
            publication="许可方及共建单位可发表学术论文，但不得披露工艺参数；发表前30日书面通知被许可方。",
        ),
    )
    contract = await _sign(session, report, contract, ["wang.qiang", "sun.li", "huang.lei"])
    await contracts.update(
        session,
        staff,
        contract.id,
        ContractChanges(
            registration_number="2026320500004321",
            registration_date=date(2026, 12, 10),
            registration_registry="苏州市技术合同认定登记处",
            vat_exempt=True,
        ),
    )
    first = contract.milestones[0]
    await contracts.deliver(
        session, staff, contract.id, first.id, note="合同已生效，开具入门费发票。", attachment_ids=[]
    )
    await contracts.accept(session, await _actor(session, report, "sun.li"), contract.id, first.id)
    report.count("contracts")


async def _development(session: AsyncSession, report) -> None:
    orgs = report.organisations
    title = "车规级功率器件封装可靠性提升委托开发"
    if await _existing(session, orgs["centre"], orgs["sme_ruixin"], title):
        return
    staff = await _actor(session, report, "li.na")
    contract = await contracts.create(
        session,
        staff,
        ContractInput(
            contract_type=ContractType.development,
            title=title,
            scope="针对SiC功率模块烧结银封装开展工艺开发，使功率循环寿命提升至5万次以上。"
            " Develop a sintered-silver packaging process for SiC power modules, raising power-cycling life "
            "above 50,000 cycles.",
            provider_org_id=orgs["centre"].id,
            client_org_id=orgs["sme_ruixin"].id,
            co_builder_org_ids=[orgs["university"].id],
            value=cny(1_200_000),
            technology_portion=cny(1_000_000),
            start_date=date(2026, 12, 15),
            end_date=date(2027, 12, 15),
            confidentiality_months=36,
            milestones=[
                milestone("工艺方案与小样验证", 400_000, 90),
                milestone("功率循环可靠性测试报告", 500_000, 240),
                milestone("工艺文件交付", 300_000, 330),
            ],
        ),
    )
    contract = await contracts.set_ip_terms(
        session,
        staff,
        contract.id,
        _terms(
            [],
            [share(orgs["centre"], 5000), share(orgs["sme_ruixin"], 3000), share(orgs["university"], 2000)],
            [share(orgs["centre"], 8000), share(orgs["university"], 2000)],
            publication="委托方享有优先实施权；各方发表须经其他各方书面同意，保密期满后可自由发表。",
        ),
    )
    contract = await _sign(session, report, contract, ["zhang.wei", "wu.hao", "huang.lei"])
    await contracts.amend(
        session,
        await _actor(session, report, "wu.hao"),
        contract.id,
        AmendmentInput(
            reason="委托方追加高温存储试验，合同金额与第二阶段相应增加。",
            value=cny(1_350_000),
            milestones=[
                milestone("工艺方案与小样验证", 400_000, 90),
                milestone("功率循环与高温存储可靠性测试报告", 650_000, 240),
                milestone("工艺文件交付", 300_000, 330),
            ],
        ),
    )
    await contracts.sign(session, await _actor(session, report, "wu.hao"), contract.id)
    report.count("contracts")


async def _consulting(session: AsyncSession, report) -> None:
    orgs = report.organisations
    title = "印染废水零排放改造技术咨询"
    if await _existing(session, orgs["equipment"], orgs["sme_lvyuan"], title):
        return
    staff = await _actor(session, report, "zhao.min")
    contract = await contracts.create(
        session,
        staff,
        ContractInput(
            contract_type=ContractType.consulting,
            title=title,
            scope="对委托方印染废水处理站进行诊断，提出膜法零排放改造可行性论证报告。"
            " Feasibility study for a membrane-based zero-liquid-discharge retrofit of a dyeing wastewater plant.",
            provider_org_id=orgs["equipment"].id,
            client_org_id=orgs["sme_lvyuan"].id,
            value=cny(150_000),
            technology_portion=cny(150_000),
            start_date=date(2026, 10, 1),
            end_date=date(2027, 1, 1),
            confidentiality_months=24,
            milestones=[milestone("现场诊断", 50_000, 20), milestone("可行性论证报告", 100_000, 60)],
        ),
    )
    contract = await contracts.set_ip_terms(
        session,
        staff,
        contract.id,
        _terms(
            [],
            [share(orgs["equipment"], 10000)],
            [share(orgs["equipment"], 10000)],
            publication="咨询报告归委托方使用；提供方可在隐去委托方信息后用于案例研究。",
            reward=3000,
        ),
    )
    contract = await _sign(session, report, contract, ["zhang.wei", "zheng.fang"])
    client = await _actor(session, report, "zheng.fang")
    for m in contract.milestones:
        await contracts.deliver(session, staff, contract.id, m.id, note=f"已提交：{m.title}", attachment_ids=[])
        contract = await contracts.accept(session, client, contract.id, m.id)
    report.count("contracts")


async def seed(session: AsyncSession, report) -> None:
    """The centre's team-reward policy and signed contracts of three types with IP terms."""
    await _policy(session, report.organisations["centre"])
    await _licence(session, report)
    await _development(session, report)
    await _consulting(session, report)
