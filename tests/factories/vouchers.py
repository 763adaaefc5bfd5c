"""Voucher issuers in tests: a government organisation with its admin and officer, programmes made
through the API, vouchers issued, and redemptions and claims as the SME and the centre's finance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from models.enums import OrganisationKind, Role
from models.organisations import Organisation
from services import clock
from services.db import Database
from tests.factories.organisations import build


@dataclass
class Issuer:
    org: Organisation
    admin: dict[str, str]
    officer: dict[str, str]
    evaluator: dict[str, str]


async def make_issuer(db: Database, app, name: str = "苏州市科学技术局") -> Issuer:
    async with build(db, app) as b:
        org = b.org(OrganisationKind.government, name=name)
        return Issuer(
            org,
            admin=b.member(org, Role.issuer_admin)[1],
            officer=b.member(org, Role.issuer_officer)[1],
            evaluator=b.member(org, Role.evaluator)[1],
        )


def money(amount: int, currency: str = "CNY") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def programme_body(**overrides: Any) -> dict[str, Any]:
    now = clock.now()
    body: dict[str, Any] = {
        "name": "苏州市科技创新券（2026）",
        "budget": money(1_000_000),
        "face_value": money(200_000),
        "valid_from": (now - timedelta(days=1)).isoformat(),
        "valid_until": (now + timedelta(days=365)).isoformat(),
        "eligible_income_kinds": ["testing", "instrument_sharing"],
        "max_share_bps": 5000,
        "annual_cap_per_sme": money(300_000),
    }
    body.update(overrides)
    return body


async def create_programme(client: httpx.AsyncClient, issuer: Issuer, **overrides: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/voucher-programmes", json=programme_body(**overrides), headers=issuer.admin)
    assert r.status_code == 201, r.text
    return r.json()


async def issue(client: httpx.AsyncClient, issuer: Issuer, programme: dict, *smes: Organisation) -> list[dict]:
    r = await client.post(
        f"/api/v1/voucher-programmes/{programme['id']}/vouchers",
        json={"sme_org_ids": [str(s.id) for s in smes]},
        headers=issuer.admin,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def redeem(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    settlement_id,
    voucher: dict,
    amount: int,
    key: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/settlements/{settlement_id}/voucher-redemptions",
        json={"voucher_id": voucher["id"], "amount": money(amount)},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def file_claim(
    client: httpx.AsyncClient, finance: dict[str, str], redemptions: list[dict], bank: dict
) -> httpx.Response:
    return await client.post(
        "/api/v1/voucher-claims",
        json={"redemption_ids": [r["id"] for r in redemptions], "bank_account_id": bank["id"], "note": "材料已报送"},
        headers=finance,
    )


async def pay_claim(client: httpx.AsyncClient, officer: dict[str, str], claim: dict, reference: str = "CZ2026120001"):
    return await client.post(
        f"/api/v1/voucher-claims/{claim['id']}/pay",
        json={"reference": reference},
        headers={**officer, "Idempotency-Key": uuid.uuid4().hex},
    )
