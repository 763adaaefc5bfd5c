"""Demo catalogue: pilot-scale results, shared instruments and service offers of the demo centre and
its institutes (Chinese with English abstracts), SME memberships and a maintenance blackout, all
made through the services' verbs with their typed inputs.

Idempotent: a listing is found by its owner and title first; memberships by centre and SME; the
blackout by its instrument.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import Listing
from models.codes import patent_check_digit
from models.enums import (
    CustomerTier,
    ListingKind,
    MembershipTier,
    OperationMode,
    PatentStatus,
    PriceModel,
    RateUnit,
    ServiceKind,
    TechField,
    TransferMode,
)
from models.instruments import BookingRules, InstrumentBlackout
from models.sme_memberships import SmeMembership
from services import clock, instruments, pilot_results, service_offers, sme_memberships
from services.actors import load_actor
from services.catalogue import ListingInput, Measurement, Price
from services.instruments import Discount, InstrumentInput, Rate
from services.pilot_results import IpAsset, PilotResultInput
from services.service_offers import ServiceOfferInput


def patent(prefix: str, digits: str) -> str:
    return f"{prefix}{digits}.{patent_check_digit(digits)}"


def cny(yuan: int) -> Price:
    return Price(amount=yuan * 100, currency="CNY")


def rate(tier: CustomerTier, unit: RateUnit, yuan: int) -> Rate:
    return Rate(tier=tier, unit=unit, price=cny(yuan))


# (owner key, staff user, input)
PILOT_RESULTS: list[tuple[str, str, PilotResultInput]] = [
    (
        "materials",
        "liu.yang",
        PilotResultInput(
            listing=ListingInput(
                title="高能量密度锂电池正极材料中试成果",
                title_en="High energy density cathode material for lithium batteries (pilot scale)",
                abstract=(
                    "采用共沉淀-高温固相法制备高镍低钴三元正极材料，比容量达205 mAh/g，"
                    "已建成50吨/年中试线，批次一致性良好。"
                ),
                abstract_en=(
                    "A high-nickel, low-cobalt NCM cathode for lithium-ion battery cells "
                    "made by co-precipitation and calcination; 205 mAh/g specific capacity, "
                    "proven on a 50 t/year pilot line with consistent batches."
                ),
                fields=[TechField.new_materials, TechField.new_energy],
                keywords=["锂电池", "正极材料", "三元材料"],
            ),
            trl=7,
            pilot_scale="50 吨/年中试线",
            key_metrics=[Measurement("比容量", "205", "mAh/g"), Measurement("循环寿命", "2000", "次")],
            ip_assets=[IpAsset(patent("ZL", "202110345678"), PatentStatus.granted, "一种高镍三元正极材料的制备方法")],
            transfer_modes=[TransferMode.exclusive_licence, TransferMode.equity],
            asking_price=cny(5_000_000),
        ),
    ),
    (
        "materials",
        "liu.yang",
        PilotResultInput(
            listing=ListingInput(
                title="钠离子电池硬碳负极材料",
                title_en="Hard carbon anode for sodium-ion batteries",
                abstract="以生物质为前驱体制备硬碳负极，首效89%，成本较进口产品低40%，完成百公斤级中试。",
                abstract_en=(
                    "Biomass-derived hard carbon anode for sodium-ion batteries with 89% "
                    "first-cycle efficiency and 40% lower cost than imports; validated at "
                    "100 kg batch scale."
                ),
                fields=[TechField.new_materials, TechField.new_energy],
                keywords=["钠离子电池", "硬碳"],
            ),
            trl=6,
            pilot_scale="百公斤级",
            key_metrics=[Measurement("首次库伦效率", "89", "%")],
            ip_assets=[IpAsset(patent("CN", "202310567890"), PatentStatus.filed, "一种生物质硬碳的制备方法")],
            transfer_modes=[TransferMode.non_exclusive_licence, TransferMode.co_development],
        ),
    ),
    (
        "materials",
        "liu.yang",
        PilotResultInput(
            listing=ListingInput(
                title="碳纤维复合材料快速固化树脂体系",
                title_en="Fast-curing resin system for carbon-fibre composites",
                abstract="适用于汽车结构件的环氧快速固化体系，120℃下3分钟固化，玻璃化转变温度达150℃。",
                abstract_en=(
                    "Epoxy resin that cures in 3 minutes at 120 °C for automotive "
                    "carbon-fibre parts; glass transition temperature 150 °C."
                ),
                fields=[TechField.new_materials, TechField.advanced_manufacturing],
            ),
            trl=6,
            pilot_scale="20 吨/年",
            key_metrics=[Measurement("固化时间", "3", "min"), Measurement("Tg", "150", "℃")],
            ip_assets=[IpAsset(patent("ZL", "202010123987"), PatentStatus.granted)],
            transfer_modes=[TransferMode.assignment, TransferMode.exclusive_licence],
            asking_price=cny(2_800_000),
        ),
    ),
    (
        "materials",
        "wang.qiang",
        PilotResultInput(
            listing=ListingInput(
                title="光伏组件用高透减反射镀膜玻璃技术",
                title_en="Anti-reflective coated glass for photovoltaic modules",
                abstract="溶胶-凝胶法减反射镀膜，透光率提升2.6%，耐候性通过双85测试3000小时。",
                abstract_en=(
                    "Sol-gel anti-reflective coating that raises PV glass transmittance by "
                    "2.6%; passes 3000 h damp-heat testing."
                ),
                fields=[TechField.new_materials, TechField.new_energy],
            ),
            trl=8,
            pilot_scale="产线验证",
            key_metrics=[Measurement("透光率增益", "2.6", "%")],
            ip_assets=[IpAsset(patent("ZL", "201910456123"), PatentStatus.granted)],
            transfer_modes=[TransferMode.non_exclusive_licence],
            asking_price=cny(1_200_000),
        ),
    ),
    (
        "materials",
        "wang.qiang",
        PilotResultInput(
            listing=ListingInput(
                title="可降解聚乳酸改性材料",
                title_en="Modified biodegradable polylactic acid (PLA)",
                abstract="通过扩链与增韧改性，聚乳酸断裂伸长率提高至120%，可用于吸管、餐具和包装膜。",
                abstract_en=(
                    "Chain-extended, toughened PLA with 120% elongation at break for "
                    "straws, cutlery and packaging film; fully biodegradable."
                ),
                fields=[TechField.new_materials, TechField.resources_environment],
            ),
            trl=7,
            pilot_scale="500 吨/年",
            key_metrics=[Measurement("断裂伸长率", "120", "%")],
            transfer_modes=[TransferMode.assignment, TransferMode.equity],
        ),
    ),
    (
        "equipment",
        "zhao.min",
        PilotResultInput(
            listing=ListingInput(
                title="工业机器人视觉引导抓取系统",
                title_en="Vision-guided robotic picking system",
                abstract=("基于深度学习的三维视觉定位，无序抓取成功率99.2%，节拍小于3秒，已在汽车零部件产线应用。"),
                abstract_en=(
                    "3D vision with deep learning guides industrial robots to pick randomly "
                    "placed parts: 99.2% success, cycle time under 3 s, deployed on "
                    "automotive lines."
                ),
                fields=[TechField.advanced_manufacturing, TechField.electronic_information],
            ),
            trl=8,
            pilot_scale="3 条示范产线",
            key_metrics=[Measurement("抓取成功率", "99.2", "%"), Measurement("节拍", "3", "s")],
            ip_assets=[IpAsset(patent("ZL", "202110987654"), PatentStatus.granted)],
            transfer_modes=[TransferMode.non_exclusive_licence, TransferMode.co_development],
            asking_price=cny(800_000),
        ),
    ),
    (
        "equipment",
        "zhao.min",
        PilotResultInput(
            listing=ListingInput(
                title="数控机床热误差智能补偿技术",
                title_en="Intelligent thermal-error compensation for CNC machine tools",
                abstract="多点温度传感与神经网络模型实时补偿主轴热伸长，加工精度提升60%。",
                abstract_en=(
                    "Real-time compensation of spindle thermal growth from multi-point "
                    "temperature sensing and a neural model; machining accuracy improved by "
                    "60%."
                ),
                fields=[TechField.advanced_manufacturing],
            ),
            trl=7,
            pilot_scale="10 台样机",
            key_metrics=[Measurement("精度提升", "60", "%")],
            transfer_modes=[TransferMode.exclusive_licence, TransferMode.sole_licence],
            asking_price=cny(600_000),
        ),
    ),
    (
        "equipment",
        "zhao.min",
        PilotResultInput(
            listing=ListingInput(
                title="高效永磁同步电机控制器",
                title_en="High-efficiency permanent-magnet synchronous motor controller",
                abstract="基于碳化硅功率器件，峰值效率98.5%，适用于新能源物流车。",
                abstract_en=(
                    "Silicon-carbide motor controller with 98.5% peak efficiency for electric logistics vehicles."
                ),
                fields=[TechField.new_energy, TechField.electronic_information],
            ),
            trl=6,
            pilot_scale="小批量试制",
            key_metrics=[Measurement("峰值效率", "98.5", "%")],
            ip_assets=[IpAsset(patent("CN", "202210246810"), PatentStatus.filed)],
            transfer_modes=[TransferMode.co_development, TransferMode.equity],
        ),
    ),
    (
        "centre",
        "li.na",
        PilotResultInput(
            listing=ListingInput(
                title="工业废水膜法零排放处理工艺",
                title_en="Membrane-based zero liquid discharge for industrial wastewater",
                abstract="纳滤-反渗透-蒸发结晶组合工艺，回收率95%，吨水成本降低30%。",
                abstract_en=(
                    "Nanofiltration, reverse osmosis and evaporative crystallisation "
                    "recover 95% of industrial wastewater at 30% lower cost per tonne."
                ),
                fields=[TechField.resources_environment],
            ),
            trl=7,
            pilot_scale="100 吨/日",
            key_metrics=[Measurement("水回收率", "95", "%")],
            transfer_modes=[TransferMode.non_exclusive_licence, TransferMode.co_development],
            asking_price=cny(1_500_000),
        ),
    ),
    (
        "centre",
        "li.na",
        PilotResultInput(
            listing=ListingInput(
                title="mRNA疫苗脂质纳米颗粒递送系统",
                title_en="Lipid nanoparticle delivery system for mRNA vaccines",
                abstract="自主设计可电离脂质，包封率大于95%，2-8℃稳定6个月，完成中试放大。",
                abstract_en=(
                    "Proprietary ionisable lipids encapsulate mRNA above 95% and stay "
                    "stable for 6 months at 2-8 °C; scaled up at pilot level."
                ),
                fields=[TechField.biomedicine],
            ),
            trl=5,
            pilot_scale="10 升级",
            key_metrics=[Measurement("包封率", "95", "%")],
            ip_assets=[IpAsset(patent("CN", "202210135790"), PatentStatus.filed)],
            transfer_modes=[TransferMode.exclusive_licence, TransferMode.equity],
            asking_price=cny(20_000_000),
        ),
    ),
]

INSTRUMENTS: list[tuple[str, str, InstrumentInput]] = [
    (
        "materials",
        "liu.yang",
        InstrumentInput(
            listing=ListingInput(
                title="场发射扫描电子显微镜",
                title_en="Field-emission scanning electron microscope",
                abstract="用于材料表面形貌观察与能谱成分分析，分辨率0.8 nm。",
                abstract_en=(
                    "Surface morphology imaging and EDS composition analysis of materials; 0.8 nm resolution."
                ),
                fields=[TechField.new_materials],
            ),
            model="SU8010",
            maker="日立 Hitachi",
            category="电子显微镜",
            location="苏州工业园区 材料院A栋102",
            specifications=[Measurement("分辨率", "0.8", "nm")],
            rates=[
                rate(CustomerTier.internal, RateUnit.hour, 200),
                rate(CustomerTier.academic, RateUnit.hour, 400),
                rate(CustomerTier.sme, RateUnit.hour, 600),
                rate(CustomerTier.commercial, RateUnit.hour, 800),
            ],
            membership_discounts=[
                Discount(MembershipTier.basic, 500),
                Discount(MembershipTier.silver, 1000),
                Discount(MembershipTier.gold, 2000),
            ],
            rules=BookingRules(operation_mode=OperationMode.self_service, training_required=True),
        ),
    ),
    (
        "materials",
        "liu.yang",
        InstrumentInput(
            listing=ListingInput(
                title="X射线衍射仪",
                title_en="X-ray diffractometer",
                abstract="粉末及薄膜物相分析、晶体结构精修。",
                abstract_en="Phase analysis of powders and thin films; crystal structure refinement.",
                fields=[TechField.new_materials],
            ),
            model="D8 Advance",
            maker="布鲁克 Bruker",
            category="衍射仪",
            location="苏州工业园区 材料院A栋105",
            specifications=[Measurement("角度范围", "-110~168", "°")],
            rates=[
                rate(CustomerTier.internal, RateUnit.sample, 80),
                rate(CustomerTier.academic, RateUnit.sample, 150),
                rate(CustomerTier.sme, RateUnit.sample, 200),
                rate(CustomerTier.commercial, RateUnit.sample, 300),
            ],
            membership_discounts=[Discount(MembershipTier.silver, 1000), Discount(MembershipTier.gold, 1500)],
        ),
    ),
    (
        "materials",
        "wang.qiang",
        InstrumentInput(
            listing=ListingInput(
                title="电池充放电测试系统",
                title_en="Battery charge-discharge cycler",
                abstract="512通道电池循环寿命与倍率性能测试。",
                abstract_en=(
                    "512-channel battery cycling and rate capability testing for lithium and sodium battery cells."
                ),
                fields=[TechField.new_energy],
            ),
            model="CT-4008",
            maker="新威 Neware",
            category="电化学测试",
            location="苏州工业园区 材料院B栋201",
            specifications=[Measurement("通道数", "512")],
            rates=[
                rate(CustomerTier.internal, RateUnit.hour, 5),
                rate(CustomerTier.sme, RateUnit.hour, 15),
                rate(CustomerTier.commercial, RateUnit.hour, 25),
            ],
            membership_discounts=[Discount(MembershipTier.gold, 2000)],
            rules=BookingRules(min_booking_minutes=240, max_booking_minutes=10080, requires_confirmation=False),
        ),
    ),
    (
        "materials",
        "wang.qiang",
        InstrumentInput(
            listing=ListingInput(
                title="透射电子显微镜",
                title_en="Transmission electron microscope",
                abstract="原子级分辨成像与选区电子衍射，配备球差校正器。",
                abstract_en=("Atomic-resolution imaging and selected-area diffraction with an aberration corrector."),
                fields=[TechField.new_materials],
            ),
            model="Themis Z",
            maker="赛默飞 Thermo Fisher",
            category="电子显微镜",
            location="苏州工业园区 材料院A栋001",
            specifications=[Measurement("点分辨率", "0.06", "nm")],
            rates=[
                rate(CustomerTier.internal, RateUnit.hour, 800),
                rate(CustomerTier.academic, RateUnit.hour, 1_500),
                rate(CustomerTier.sme, RateUnit.hour, 2_000),
                rate(CustomerTier.commercial, RateUnit.hour, 3_000),
            ],
            membership_discounts=[Discount(MembershipTier.silver, 500), Discount(MembershipTier.gold, 1000)],
            rules=BookingRules(min_booking_minutes=120, lead_time_hours=72),
        ),
    ),
    (
        "equipment",
        "zhao.min",
        InstrumentInput(
            listing=ListingInput(
                title="三坐标测量机",
                title_en="Coordinate measuring machine",
                abstract="精密零部件几何尺寸与形位公差检测。",
                abstract_en="Dimensional and geometric tolerance inspection of precision parts.",
                fields=[TechField.advanced_manufacturing],
            ),
            model="PRISMO",
            maker="蔡司 Zeiss",
            category="计量检测",
            location="南京江宁 装备所1号厂房",
            specifications=[Measurement("最大允许误差", "0.9+L/350", "μm")],
            rates=[
                rate(CustomerTier.internal, RateUnit.hour, 150),
                rate(CustomerTier.sme, RateUnit.hour, 350),
                rate(CustomerTier.commercial, RateUnit.hour, 500),
            ],
            membership_discounts=[Discount(MembershipTier.basic, 500), Discount(MembershipTier.gold, 1500)],
        ),
    ),
    (
        "equipment",
        "zhao.min",
        InstrumentInput(
            listing=ListingInput(
                title="五轴联动加工中心",
                title_en="Five-axis machining centre",
                abstract="复杂曲面零件高精度加工，含操作员服务。",
                abstract_en="High-precision machining of complex curved parts, operated by centre staff.",
                fields=[TechField.advanced_manufacturing],
            ),
            model="DMU 65",
            maker="德马吉 DMG MORI",
            category="加工设备",
            location="南京江宁 装备所2号厂房",
            rates=[
                rate(CustomerTier.internal, RateUnit.hour, 300),
                rate(CustomerTier.sme, RateUnit.hour, 700),
                rate(CustomerTier.commercial, RateUnit.hour, 1_000),
            ],
            membership_discounts=[Discount(MembershipTier.silver, 800), Discount(MembershipTier.gold, 1500)],
            rules=BookingRules(min_booking_minutes=240),
        ),
    ),
    (
        "equipment",
        "zhao.min",
        InstrumentInput(
            listing=ListingInput(
                title="工业CT无损检测系统",
                title_en="Industrial CT for non-destructive testing",
                abstract="铸件、电池及复合材料内部缺陷三维成像。",
                abstract_en="3D imaging of internal defects in castings, battery cells and composites.",
                fields=[TechField.advanced_manufacturing, TechField.new_energy],
            ),
            model="phoenix v|tome|x m",
            maker="Waygate",
            category="无损检测",
            location="南京江宁 装备所3号厂房",
            rates=[
                rate(CustomerTier.internal, RateUnit.sample, 300),
                rate(CustomerTier.sme, RateUnit.sample, 800),
                rate(CustomerTier.commercial, RateUnit.sample, 1_200),
            ],
            membership_discounts=[Discount(MembershipTier.gold, 2000)],
        ),
    ),
    (
        "centre",
        "li.na",
        InstrumentInput(
            listing=ListingInput(
                title="液相色谱-质谱联用仪",
                title_en="Liquid chromatography-mass spectrometer",
                abstract="药物、食品及环境样品中痕量物质定性定量分析。",
                abstract_en=("Qualitative and quantitative trace analysis of drug, food and environmental samples."),
                fields=[TechField.biomedicine, TechField.resources_environment],
            ),
            model="Xevo TQ-XS",
            maker="沃特世 Waters",
            category="质谱",
            location="上海张江 中心本部实验楼3层",
            rates=[
                rate(CustomerTier.internal, RateUnit.sample, 200),
                rate(CustomerTier.academic, RateUnit.sample, 400),
                rate(CustomerTier.sme, RateUnit.sample, 500),
                rate(CustomerTier.commercial, RateUnit.sample, 800),
            ],
            membership_discounts=[
                Discount(MembershipTier.basic, 300),
                Discount(MembershipTier.silver, 800),
                Discount(MembershipTier.gold, 1500),
            ],
        ),
    ),
]

OFFERS: list[tuple[str, str, ServiceOfferInput]] = [
    (
        "materials",
        "liu.yang",
        ServiceOfferInput(
            listing=ListingInput(
                title="锂电池材料检测服务",
                title_en="Battery material testing",
                abstract="提供正负极材料成分、形貌、比表面积及电化学性能检测，出具CMA报告。",
                abstract_en=(
                    "Composition, morphology, surface area and electrochemical testing of "
                    "battery electrode materials with CMA-accredited reports."
                ),
                fields=[TechField.new_energy, TechField.new_materials],
            ),
            service_kind=ServiceKind.testing,
            price_model=PriceModel.fixed,
            price=cny(3_000),
            lead_time_days=10,
            deliverables=["CMA检测报告", "原始数据"],
        ),
    ),
    (
        "materials",
        "wang.qiang",
        ServiceOfferInput(
            listing=ListingInput(
                title="新材料配方合同研发",
                title_en="Contract R&D for new material formulations",
                abstract="针对企业需求开展高分子及复合材料配方开发与中试放大。",
                abstract_en=(
                    "Formulation development and pilot scale-up of polymers and composites to a client's specification."
                ),
                fields=[TechField.new_materials],
            ),
            service_kind=ServiceKind.contract_rd,
            price_model=PriceModel.quote,
            lead_time_days=90,
            deliverables=["配方及工艺包", "中试样品", "研发报告"],
        ),
    ),
    (
        "materials",
        "liu.yang",
        ServiceOfferInput(
            listing=ListingInput(
                title="材料失效分析咨询",
                title_en="Materials failure analysis consulting",
                abstract="断口分析、腐蚀机理诊断与改进建议。",
                abstract_en="Fracture analysis, corrosion diagnosis and recommendations.",
                fields=[TechField.new_materials, TechField.advanced_manufacturing],
            ),
            service_kind=ServiceKind.consulting,
            price_model=PriceModel.hourly,
            price=cny(1_200),
            lead_time_days=5,
            deliverables=["失效分析报告"],
        ),
    ),
    (
        "equipment",
        "zhao.min",
        ServiceOfferInput(
            listing=ListingInput(
                title="智能产线规划与数字化改造咨询",
                title_en="Smart production line planning and digitalisation",
                abstract="为中小制造企业提供产线诊断、自动化方案与投资回报评估。",
                abstract_en=(
                    "Line diagnosis, automation design and return-on-investment assessment for small manufacturers."
                ),
                fields=[TechField.advanced_manufacturing, TechField.electronic_information],
            ),
            service_kind=ServiceKind.consulting,
            price_model=PriceModel.fixed,
            price=cny(50_000),
            lead_time_days=30,
            deliverables=["诊断报告", "改造方案"],
        ),
    ),
    (
        "equipment",
        "zhao.min",
        ServiceOfferInput(
            listing=ListingInput(
                title="机器视觉算法定制开发",
                title_en="Custom machine-vision algorithm development",
                abstract="缺陷检测、尺寸测量与定位识别算法定制，含部署调试。",
                abstract_en=("Custom algorithms for defect detection, measurement and localisation, deployed on site."),
                fields=[TechField.electronic_information, TechField.advanced_manufacturing],
            ),
            service_kind=ServiceKind.contract_rd,
            price_model=PriceModel.quote,
            lead_time_days=60,
            deliverables=["算法软件", "部署调试", "技术文档"],
        ),
    ),
    (
        "equipment",
        "zhao.min",
        ServiceOfferInput(
            listing=ListingInput(
                title="机械零部件疲劳与可靠性测试",
                title_en="Fatigue and reliability testing of mechanical parts",
                abstract="高频疲劳、振动及环境可靠性试验。",
                abstract_en="High-frequency fatigue, vibration and environmental reliability tests.",
                fields=[TechField.advanced_manufacturing],
            ),
            service_kind=ServiceKind.testing,
            price_model=PriceModel.hourly,
            price=cny(400),
            lead_time_days=7,
            deliverables=["试验报告"],
        ),
    ),
    (
        "centre",
        "li.na",
        ServiceOfferInput(
            listing=ListingInput(
                title="技术成果转化与专利布局咨询",
                title_en="Technology transfer and patent strategy consulting",
                abstract="成果评估、专利布局、许可谈判与作价入股方案设计。",
                abstract_en=(
                    "Valuation of results, patent portfolio strategy, licence negotiation "
                    "and equity investment structuring."
                ),
                fields=[TechField.high_tech_services],
            ),
            service_kind=ServiceKind.consulting,
            price_model=PriceModel.fixed,
            price=cny(20_000),
            lead_time_days=15,
            deliverables=["评估报告", "专利布局建议"],
        ),
    ),
    (
        "centre",
        "li.na",
        ServiceOfferInput(
            listing=ListingInput(
                title="环境样品检测服务",
                title_en="Environmental sample testing",
                abstract="水、土壤及废气中重金属与有机污染物检测。",
                abstract_en="Heavy metals and organic pollutants in water, soil and exhaust gas.",
                fields=[TechField.resources_environment],
            ),
            service_kind=ServiceKind.testing,
            price_model=PriceModel.fixed,
            price=cny(800),
            lead_time_days=7,
            deliverables=["CMA检测报告"],
        ),
    ),
]


MEMBERSHIPS = (
    ("sme_navi", MembershipTier.gold),
    ("sme_ruixin", MembershipTier.silver),
    ("sme_lvyuan", MembershipTier.basic),
)
MEMBERSHIP_GRANTOR = "li.na"  # staff of the demo centre
BLACKOUT = ("透射电子显微镜", "wang.qiang", "年度维护保养 annual maintenance")  # instrument title, its staff, reason


async def _ensure(
    session: AsyncSession, report, kind: ListingKind, owner_key: str, user_key: str, data, service
) -> None:
    owner = report.organisations[owner_key]
    exists = await session.scalar(
        select(Listing.id).where(
            Listing.owner_org_id == owner.id, Listing.title == data.listing.title, Listing.kind == kind
        )
    )
    if exists:
        return
    actor = await load_actor(session, report.users[user_key])
    listing = await service.create(session, actor, replace(data, owner_org_id=owner.id))
    await service.publish(session, actor, listing.id)
    report.count(f"{kind.value.replace('_', ' ')}s")


async def _memberships(session: AsyncSession, report) -> None:
    centre = report.organisations["centre"]
    actor = await load_actor(session, report.users[MEMBERSHIP_GRANTOR])
    year = clock.now().year
    for sme_key, tier in MEMBERSHIPS:
        sme = report.organisations[sme_key]
        found = await session.scalar(
            select(SmeMembership.id).where(SmeMembership.centre_id == centre.id, SmeMembership.sme_id == sme.id)
        )
        if found is None:
            await sme_memberships.grant(
                session,
                actor,
                centre.id,
                sme_id=sme.id,
                tier=tier,
                valid_from=date(year, 1, 1),
                valid_until=date(year, 12, 31),
            )
            report.count("sme memberships")


async def _blackout(session: AsyncSession, report) -> None:
    title, user_key, reason = BLACKOUT
    instrument_id = await session.scalar(select(Listing.id).where(Listing.title == title))
    if instrument_id is None or await session.scalar(
        select(InstrumentBlackout.id).where(InstrumentBlackout.instrument_id == instrument_id)
    ):
        return
    monday = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    monday += timedelta(days=7 - monday.weekday())
    actor = await load_actor(session, report.users[user_key])
    await instruments.add_blackout(
        session, actor, instrument_id, starts_at=monday, ends_at=monday + timedelta(days=2), reason=reason
    )
    report.count("instrument blackouts")


async def seed(session: AsyncSession, report) -> None:
    """Create the demo catalogue records that are missing."""
    for owner_key, user_key, result in PILOT_RESULTS:
        await _ensure(session, report, ListingKind.pilot_result, owner_key, user_key, result, pilot_results)
    for owner_key, user_key, instrument in INSTRUMENTS:
        await _ensure(session, report, ListingKind.instrument, owner_key, user_key, instrument, instruments)
    for owner_key, user_key, offer in OFFERS:
        await _ensure(session, report, ListingKind.service_offer, owner_key, user_key, offer, service_offers)
    await _memberships(session, report)
    await _blackout(session, report)
    await session.flush()
