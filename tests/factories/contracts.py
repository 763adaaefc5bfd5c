"""A cast for the contracts area (provider, client, co-builder and their signatories) and request helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from models.enums import OrganisationKind, Role
from models.organisations import Organisation
from tests.factories.catalogue import create_published, pilot_body
from tests.factories.organisations import build
from tests.factories.problems import Actor, Cast, make_cast


@dataclass
class ContractCast:
    base: Cast
    provider_staff: Actor  # centre A staff: drafts and delivers, may not sign
    provider_signer: Actor  # centre A manager
    client_signer: Actor  # SME admin
    client_member: Actor  # SME member: accepts milestones, may not sign
    co_builder: Organisation
    co_builder_signer: Actor  # partner admin
    co_builder_member: Actor
    outsider: Actor  # staff of centre B
    institute: Organisation
    pilot_result: dict[str, Any]  # a published result of centre A


async def make_contract_cast(db, app, client: httpx.AsyncClient) -> ContractCast:
    """The problems cast, a co-builder (苏州大学) with a signer and a member, and a published result."""
    base = await make_cast(db, app)
    async with build(db, app) as b:
        co_builder = b.org(OrganisationKind.co_builder, name="苏州大学")
        co_builder_signer = Actor(*b.member(co_builder, Role.partner_admin), co_builder)
        co_builder_member = Actor(*b.member(co_builder, Role.partner_member), co_builder)
    result = await create_published(client, base.centre_a.headers, "pilot-results", pilot_body())
    return ContractCast(
        base=base,
        provider_staff=base.centre_a,
        provider_signer=base.centre_a2,
        client_signer=base.sme,
        client_member=base.sme_member,
        co_builder=co_builder,
        co_builder_signer=co_builder_signer,
        co_builder_member=co_builder_member,
        outsider=base.centre_b,
        institute=base.institute.org,
        pilot_result=result,
    )


def contract_body(cast: ContractCast, *, co_builders: bool = True, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contract_type": "development",
        "title": "高镍正极包覆工艺委托开发",
        "scope": "完成NCM811正极原子层沉积包覆工艺的小试与中试验证。",
        "client_org_id": str(cast.client_signer.org.id),
        "co_builder_org_ids": [str(cast.co_builder.id)] if co_builders else [],
        "value": {"amount": 80_000_000, "currency": "CNY"},
        "technology_portion": {"amount": 60_000_000, "currency": "CNY"},
        "start_date": "2026-12-01",
        "end_date": "2027-12-01",
        "confidentiality_months": 36,
        "milestones": [
            {"title": "小试验证", "amount": {"amount": 30_000_000, "currency": "CNY"}, "due_offset_days": 60},
            {"title": "中试放大与交付", "amount": {"amount": 50_000_000, "currency": "CNY"}, "due_offset_days": 180},
        ],
    }
    body.update(overrides)
    return body


def ip_terms_body(cast: ContractCast, **overrides: Any) -> dict[str, Any]:
    provider, co = str(cast.provider_staff.org.id), str(cast.co_builder.id)
    body: dict[str, Any] = {
        "background_ip": [
            {"organisation_id": provider, "patent_numbers": ["ZL202310123456.6"], "description": "包覆工艺"}
        ],
        "new_ip_ownership": [{"organisation_id": provider, "bps": 6000}, {"organisation_id": co, "bps": 4000}],
        "licences": [],
        "revenue_shares": [{"organisation_id": provider, "bps": 7000}, {"organisation_id": co, "bps": 3000}],
        "publication_rights": "经各方书面同意后方可发表。",
    }
    body.update(overrides)
    return body


def licence(cast: ContractCast, **overrides: Any) -> dict[str, Any]:
    grant: dict[str, Any] = {
        "licensee_org_id": str(cast.client_signer.org.id),
        "kind": "exclusive",
        "field_of_use": "动力电池",
        "territory": "中国大陆",
        "starts_on": "2027-01-01",
        "ends_on": "2032-01-01",
        "sublicensable": False,
    }
    grant.update(overrides)
    return grant


async def post_contract(client: httpx.AsyncClient, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/contracts", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def put_terms(client: httpx.AsyncClient, actor: Actor, contract_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.put(f"/api/v1/contracts/{contract_id}/ip-terms", json=body, headers=actor.headers)


async def sign(client: httpx.AsyncClient, actor: Actor, contract_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/contracts/{contract_id}/sign", json=body, headers=actor.headers)


def signers(cast: ContractCast, contract: dict[str, Any]) -> list[Actor]:
    by_org = {
        str(cast.provider_signer.org.id): cast.provider_signer,
        str(cast.client_signer.org.id): cast.client_signer,
        str(cast.co_builder.id): cast.co_builder_signer,
    }
    return [by_org[p["organisation_id"]] for p in contract["parties"]]


async def sign_all(client: httpx.AsyncClient, cast: ContractCast, contract: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = contract
    for actor in signers(cast, contract):
        response = await sign(client, actor, contract["id"])
        assert response.status_code == 200, response.text
        result = response.json()
    assert result["status"] == "active", result
    return result


async def active_contract(client: httpx.AsyncClient, cast: ContractCast, **overrides: Any) -> dict[str, Any]:
    contract = await post_contract(client, cast.provider_staff, contract_body(cast, **overrides))
    response = await put_terms(client, cast.provider_staff, contract["id"], ip_terms_body(cast))
    assert response.status_code == 200, response.text
    return await sign_all(client, cast, response.json())
