"""A cast for the problems area (an SME, centres, an institute, an outsider) and request helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from models.enums import OrganisationKind, Role
from models.organisations import Organisation, User
from services import clock
from services.db import Database
from tests.factories.catalogue import create_published, offer_body
from tests.factories.organisations import build


def future(days: int = 30) -> str:
    """`days` from the services' clock, as the API writes times."""
    return (clock.now() + timedelta(days=days)).isoformat()


@dataclass
class Actor:
    user: User
    headers: dict[str, str]
    org: Organisation


@dataclass
class Cast:
    sme: Actor  # sme_admin of the posting SME
    sme_member: Actor
    other_sme: Actor
    centre_a: Actor  # centre staff
    centre_a2: Actor  # a colleague at centre A
    centre_b: Actor
    institute: Actor  # staff of an institute of centre A (not of HQ)


async def make_cast(db: Database, app) -> Cast:
    """Two SMEs, two centres and an institute of the first, with the members the tests act as."""
    async with build(db, app) as b:
        sme_org = b.org(OrganisationKind.sme, name="苏州测试新材料有限公司")
        other_sme_org = b.org(OrganisationKind.sme)
        centre_a = b.org(OrganisationKind.centre, name="甲创新中心")
        centre_b = b.org(OrganisationKind.centre, name="乙创新中心")
        institute = b.org(OrganisationKind.institute, parent=centre_a, name="甲中心材料研究院")

        def member(org: Organisation, role: Role) -> Actor:
            return Actor(*b.member(org, role), org)

        return Cast(
            sme=member(sme_org, Role.sme_admin),
            sme_member=member(sme_org, Role.sme_member),
            other_sme=member(other_sme_org, Role.sme_admin),
            centre_a=member(centre_a, Role.centre_staff),
            centre_a2=member(centre_a, Role.centre_manager),
            centre_b=member(centre_b, Role.centre_staff),
            institute=member(institute, Role.centre_staff),
        )


def problem_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "高镍正极材料循环寿命不足",
        "summary": "需要提升NCM811正极在高温下的循环稳定性",
        "description": "当前样品在45℃下500次循环后容量保持率仅为78%，需提高到90%以上。",
        "desired_outcome": "中试规模的包覆工艺方案",
        "technical_field": "new_energy",
        "budget": {"min": {"amount": 50_000_000, "currency": "CNY"}, "max": {"amount": 120_000_000, "currency": "CNY"}},
        "deadline": future(30),
        "confidentiality": "public",
        "attachments": [
            {"name": "循环曲线.pdf", "url": "https://files.example.com/a.pdf", "media_type": "application/pdf"}
        ],
    }
    body.update(overrides)
    return body


def proposal_body(price: int = 80_000_000, **overrides: Any) -> dict[str, Any]:
    first = price * 3 // 10
    body: dict[str, Any] = {
        "approach": "原子层沉积包覆 + 梯度掺杂，先小试后中试放大。",
        "price": {"amount": price, "currency": "CNY"},
        "duration_days": 180,
        "milestones": [
            {"title": "小试验证", "amount": {"amount": first, "currency": "CNY"}, "due_offset_days": 60},
            {"title": "中试放大与交付", "amount": {"amount": price - first, "currency": "CNY"}, "due_offset_days": 180},
        ],
        "contract_type": "development",
        "valid_until": future(60),
    }
    body.update(overrides)
    return body


async def post_problem(client: httpx.AsyncClient, actor: Actor, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/problems", json=problem_body(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def post_proposal(
    client: httpx.AsyncClient, actor: Actor, problem_id: str, price: int = 80_000_000, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/problems/{problem_id}/proposals", json=proposal_body(price, **overrides), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def accept_nda(client: httpx.AsyncClient, actor: Actor, problem_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/problems/{problem_id}/nda-acceptances", json={}, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


def let_deadline_pass(days: int = 31) -> None:
    """Move the clock past a problem's default deadline (30 days): expiry is derived at read time,
    so no job has to run."""
    clock.advance(timedelta(days=days))


async def notifications_of(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def quoted_request(client: httpx.AsyncClient, cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    """Centre A publishes a quote-on-request offer, the SME asks for it and centre A answers with a
    proposal: (the request, the proposal)."""
    offer = await create_published(
        client,
        cast.centre_a.headers,
        "service-offers",
        offer_body(price_model="quote", price=None, service_kind="contract_rd"),
    )
    asked = await client.post(
        f"/api/v1/service-offers/{offer['id']}/requests", json={"message": "新配方合同研发"}, headers=cast.sme.headers
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    answered = await client.post(
        f"/api/v1/service-requests/{request['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
    )
    assert answered.status_code == 201, answered.text
    return request, answered.json()
