"""Shared set-up for catalogue tests: a centre with an institute, their staff, an SME, valid bodies."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import OrganisationKind, Role
from models.organisations import Organisation
from tests.factories.organisations import build


@dataclass
class World:
    centre: Organisation
    institute: Organisation
    other_centre: Organisation
    sme: Organisation
    centre_staff: dict[str, str]
    institute_staff: dict[str, str]
    other_staff: dict[str, str]
    sme_member: dict[str, str]


async def make_world(db, app) -> World:
    """A centre with an institute, another centre, an SME, and a staff member or member of each."""
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre, name="长三角国家技术创新中心")
        institute = b.org(OrganisationKind.institute, parent=centre, name="先进材料研究院")
        other_centre = b.org(OrganisationKind.centre, name="京津冀国家技术创新中心", region="110000")
        sme = b.org(OrganisationKind.sme)
        return World(
            centre,
            institute,
            other_centre,
            sme,
            b.member(centre, Role.centre_staff)[1],
            b.member(institute, Role.centre_staff)[1],
            b.member(other_centre, Role.centre_staff)[1],
            b.member(sme, Role.sme_member)[1],
        )


def pilot_body(**overrides) -> dict:
    body = {
        "title": "高能量密度锂电池正极材料中试成果",
        "title_en": "Pilot-scale high energy density cathode material",
        "abstract": "采用共沉淀法制备高镍三元正极材料，已建成50吨/年中试线。",
        "abstract_en": "A high-nickel cathode for lithium-ion battery cells, made on a 50 t/year pilot line.",
        "fields": ["new_materials", "new_energy"],
        "trl": 7,
        "pilot_scale": "50 吨/年",
        "key_metrics": [{"name": "比容量", "value": "205", "unit": "mAh/g"}],
        "ip_assets": [{"number": "ZL202310123456.6", "status": "granted", "title": "一种高镍正极材料的制备方法"}],
        "transfer_modes": ["exclusive_licence", "equity"],
        "asking_price": {"amount": 500_000_000, "currency": "CNY"},
    }
    body.update(overrides)
    return body


def instrument_body(**overrides) -> dict:
    body = {
        "title": "场发射扫描电子显微镜",
        "title_en": "Field-emission scanning electron microscope",
        "abstract": "用于材料表面形貌观察与能谱分析。",
        "abstract_en": "Surface morphology imaging and EDS analysis of materials.",
        "fields": ["new_materials"],
        "model": "SU8010",
        "maker": "Hitachi",
        "category": "电子显微镜",
        "location": "苏州 B栋 101",
        "rates": [
            {"tier": "sme", "unit": "hour", "price": {"amount": 60000, "currency": "CNY"}},
            {"tier": "commercial", "unit": "hour", "price": {"amount": 80000, "currency": "CNY"}},
            {"tier": "internal", "unit": "hour", "price": {"amount": 20000, "currency": "CNY"}},
        ],
        "membership_discounts": [{"tier": "gold", "discount_bps": 2000}, {"tier": "silver", "discount_bps": 1000}],
    }
    body.update(overrides)
    return body


def offer_body(**overrides) -> dict:
    body = {
        "title": "锂电池材料检测服务",
        "title_en": "Battery material testing",
        "abstract": "提供正极材料成分、形貌及电化学性能检测。",
        "abstract_en": "Composition, morphology and electrochemical testing of cathode materials.",
        "fields": ["new_energy"],
        "service_kind": "testing",
        "price_model": "fixed",
        "price": {"amount": 300000, "currency": "CNY"},
        "lead_time_days": 10,
        "deliverables": ["检测报告（CMA）"],
    }
    body.update(overrides)
    return body


async def create_published(client, headers, path: str, body: dict) -> dict:
    created = await client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert created.status_code == 201, created.text
    published = await client.post(f"/api/v1/{path}/{created.json()['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return published.json()
