"""Demo organisations and people: a comprehensive centre with two institutes, SMEs, a co-builder
university, a voucher issuer, and a user for every role. Found by natural key first (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.codes import uscc_check_character
from models.enums import CentreCategory, OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services import organisations
from services.actors import Actor, load_actor
from services.security import PasswordHasher
from services.settings import Settings

DEMO_PASSWORD = "demo-pass-2026"
DEMO_DOMAIN = "demo.example"


def demo_uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class DemoOrg:
    key: str
    kind: OrganisationKind
    name: str
    name_en: str
    uscc17: str
    region: str
    parent: str | None = None
    category: CentreCategory | None = None


@dataclass(frozen=True)
class DemoUser:
    email_local: str
    full_name: str
    memberships: tuple[tuple[str, Role], ...]
    platform_admin: bool = False

    @property
    def email(self) -> str:
        return f"{self.email_local}@{DEMO_DOMAIN}"


ORGS: tuple[DemoOrg, ...] = (
    DemoOrg(
        "centre",
        OrganisationKind.centre,
        "长三角国家技术创新中心",
        "Yangtze River Delta National Technology Innovation Centre",
        "12310000MB2F01234",
        "310000",
        category=CentreCategory.comprehensive,
    ),
    DemoOrg(
        "materials",
        OrganisationKind.institute,
        "长三角先进材料研究院",
        "YRD Institute of Advanced Materials",
        "12320500MB1A56789",
        "320500",
        parent="centre",
    ),
    DemoOrg(
        "equipment",
        OrganisationKind.institute,
        "长三角智能装备研究所",
        "YRD Institute of Intelligent Equipment",
        "12320100MB0C24680",
        "320100",
        parent="centre",
    ),
    DemoOrg(
        "sme_navi",
        OrganisationKind.sme,
        "苏州纳维新材料科技有限公司",
        "Suzhou Navi New Materials Co., Ltd.",
        "91320594MA1MBLXK3",
        "320594",
    ),
    DemoOrg(
        "sme_ruixin",
        OrganisationKind.sme,
        "南京锐芯半导体有限公司",
        "Nanjing Ruixin Semiconductor Co., Ltd.",
        "91320115MA20TQ8R1",
        "320115",
    ),
    DemoOrg(
        "sme_lvyuan",
        OrganisationKind.sme,
        "杭州绿源环保科技有限公司",
        "Hangzhou Lvyuan Environmental Tech Co., Ltd.",
        "91330106MA2H0P7N5",
        "330106",
    ),
    DemoOrg(
        "university", OrganisationKind.co_builder, "东南大学", "Southeast University", "12100000466006770", "320100"
    ),
    DemoOrg(
        "issuer",
        OrganisationKind.government,
        "苏州市科学技术局",
        "Suzhou Science and Technology Bureau",
        "11320500014160030",
        "320500",
    ),
)

USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "平台管理员", (), platform_admin=True),
    DemoUser("zhang.wei", "张伟", (("centre", Role.centre_manager),)),
    DemoUser("li.na", "李娜", (("centre", Role.centre_staff),)),
    DemoUser("chen.jing", "陈静", (("centre", Role.finance),)),
    DemoUser("wang.qiang", "王强", (("materials", Role.centre_manager),)),
    DemoUser("liu.yang", "刘洋", (("materials", Role.centre_staff),)),
    DemoUser("zhao.min", "赵敏", (("equipment", Role.centre_staff),)),
    DemoUser("sun.li", "孙丽", (("sme_navi", Role.sme_admin),)),
    DemoUser("zhou.jie", "周杰", (("sme_navi", Role.sme_member),)),
    DemoUser("wu.hao", "吴昊", (("sme_ruixin", Role.sme_admin),)),
    DemoUser("zheng.fang", "郑芳", (("sme_lvyuan", Role.sme_admin),)),
    DemoUser("huang.lei", "黄磊", (("university", Role.partner_admin),)),
    DemoUser("xu.ting", "徐婷", (("issuer", Role.issuer_admin),)),
    DemoUser("ma.lin", "马琳", (("centre", Role.evaluator),)),
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    def summary(self) -> str:
        made = ", ".join(f"{n} {what}" for what, n in sorted(self.created.items())) or "nothing new"
        lines = [f"demo data ready ({made})", f"every demo account's password: {DEMO_PASSWORD}"]
        lines += [
            f"  {u.email:<32} {u.full_name}  "
            + ("platform admin" if u.platform_admin else ", ".join(f"{r.value}@{o}" for o, r in u.memberships))
            for u in USERS
        ]
        return "\n".join(lines)


async def _ensure_org(
    session: AsyncSession, admin: Actor, spec: DemoOrg, parents: dict[str, Organisation], report: SeedReport
) -> Organisation:
    """The organisation, created by the platform administrator through the organisations service
    (a centre gets its chart of accounts there) when it is not there yet."""
    uscc = demo_uscc(spec.uscc17)
    org = await session.scalar(select(Organisation).where(Organisation.uscc == uscc))
    if org is None:
        org = await organisations.create(
            session,
            admin,
            organisations.OrganisationInput(
                kind=spec.kind,
                name=spec.name,
                name_en=spec.name_en,
                uscc=uscc,
                region=spec.region,
                parent_id=parents[spec.parent].id if spec.parent else None,
                centre_category=spec.category,
            ),
        )
        report.count("organisations")
    return org


async def _ensure_user(
    session: AsyncSession, spec: DemoUser, passwords: PasswordHasher, password_hash: str, report: SeedReport
) -> User:
    user = await session.scalar(select(User).where(User.email == spec.email))
    if user is None:
        user = User(
            email=spec.email,
            full_name=spec.full_name,
            password_hash=password_hash,
            is_platform_admin=spec.platform_admin,
        )
        session.add(user)
        await session.flush()
        report.count("users")
    return user


async def seed(session: AsyncSession, settings: Settings, report: SeedReport) -> None:
    """Create whatever demo organisations, users and memberships are missing."""
    passwords = PasswordHasher(settings)
    password_hash = passwords.hash(DEMO_PASSWORD)
    admin_spec = next(u for u in USERS if u.platform_admin)
    admin = await load_actor(session, await _ensure_user(session, admin_spec, passwords, password_hash, report))
    for spec in ORGS:
        report.organisations[spec.key] = await _ensure_org(session, admin, spec, report.organisations, report)
    for person in USERS:
        user = await _ensure_user(session, person, passwords, password_hash, report)
        report.users[person.email_local] = user
        for org_key, role in person.memberships:
            org = report.organisations[org_key]
            exists = await session.scalar(
                select(Membership.id).where(Membership.user_id == user.id, Membership.organisation_id == org.id)
            )
            if not exists:
                session.add(Membership(user_id=user.id, organisation_id=org.id, role=role))
                report.count("memberships")
    await session.flush()
