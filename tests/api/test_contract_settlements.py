"""Money a contract makes owed: a settlement when a milestone is accepted, or, for an advance
(billed on activation), when the contract comes into force, earned when the milestone is accepted."""

from __future__ import annotations

import asyncio

import pytest

from models.enums import Role
from tests.factories.contracts import (
    contract_body,
    ip_terms_body,
    make_contract_cast,
    post_contract,
    put_terms,
    sign_all,
)
from tests.factories.organisations import build

LEDGER = "/api/v1/ledger"


@pytest.fixture
async def cast(db, app, client):
    return await make_contract_cast(db, app, client)


@pytest.fixture
async def finance(db, app, cast):
    async with build(db, app) as b:
        return b.member(cast.provider_staff.org, Role.finance)[1]


def _milestone(title: str, amount: int, *, billed_on: str | None = None, due: int = 60) -> dict:
    m = {"title": title, "amount": {"amount": amount, "currency": "CNY"}, "due_offset_days": due}
    if billed_on:
        m["billed_on"] = billed_on
    return m


async def _active(client, cast, milestones: list[dict]) -> dict:
    contract = await post_contract(client, cast.provider_staff, contract_body(cast, milestones=milestones))
    response = await put_terms(client, cast.provider_staff, contract["id"], ip_terms_body(cast))
    assert response.status_code == 200, response.text
    return await sign_all(client, cast, response.json())


def _url(contract: dict, index: int, action: str) -> str:
    return f"/api/v1/contracts/{contract['id']}/milestones/{contract['milestones'][index]['id']}/{action}"


async def _settlements(client, headers, contract: dict) -> list[dict]:
    response = await client.get("/api/v1/settlements", params={"contract_id": contract["id"]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _balance(client, finance, purpose: str) -> int:
    accounts = (await client.get(f"{LEDGER}/accounts", params={"purpose": purpose}, headers=finance)).json()["items"]
    total = 0
    for a in accounts:
        total += (await client.get(f"{LEDGER}/accounts/{a['id']}", headers=finance)).json()["balance"]["amount"]
    return total


class TestBilledOnAcceptance:
    async def test_accepting_a_milestone_makes_its_settlement(self, client, cast, finance):
        contract = await _active(client, cast, [_milestone("小试", 30_000_000), _milestone("中试", 50_000_000)])
        assert await _settlements(client, finance, contract) == []
        await client.post(_url(contract, 0, "deliver"), json={"note": "交付"}, headers=cast.provider_staff.headers)
        accepted = await client.post(_url(contract, 0, "accept"), headers=cast.client_member.headers)
        assert accepted.status_code == 200, accepted.text
        [settlement] = await _settlements(client, cast.client_member.headers, contract)
        assert settlement["source"] == "milestone" and settlement["source_id"] == contract["milestones"][0]["id"]
        assert settlement["amount"] == {"amount": 30_000_000, "currency": "CNY"}
        assert settlement["income_kind"] == "contract_rd" and settlement["billed_in_advance"] is False
        assert settlement["debtor_org_id"] == str(cast.client_signer.org.id)
        assert await _balance(client, finance, "receivable") == 30_000_000

    async def test_two_acceptances_of_one_milestone_make_one_settlement(self, client, cast, finance):
        contract = await _active(client, cast, [_milestone("小试", 30_000_000)])
        await client.post(_url(contract, 0, "deliver"), json={"note": "交付"}, headers=cast.provider_staff.headers)
        results = await asyncio.gather(
            client.post(_url(contract, 0, "accept"), headers=cast.client_member.headers),
            client.post(_url(contract, 0, "accept"), headers=cast.client_signer.headers),
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        assert len(await _settlements(client, finance, contract)) == 1


class TestAdvance:
    async def test_an_advance_is_owed_at_activation_and_earned_on_acceptance(self, client, cast, finance):
        contract = await _active(
            client,
            cast,
            [_milestone("预付款", 20_000_000, billed_on="activation", due=0), _milestone("交付", 60_000_000)],
        )
        assert [m["billed_on"] for m in contract["milestones"]] == ["activation", "acceptance"]
        [advance] = await _settlements(client, finance, contract)
        assert advance["billed_in_advance"] is True and advance["amount"]["amount"] == 20_000_000
        assert await _balance(client, finance, "deferred_revenue") == 20_000_000
        assert await _balance(client, finance, "income") == 0
        await client.post(_url(contract, 0, "deliver"), json={"note": "启动"}, headers=cast.provider_staff.headers)
        assert (await client.post(_url(contract, 0, "accept"), headers=cast.client_member.headers)).status_code == 200
        assert len(await _settlements(client, finance, contract)) == 1
        assert await _balance(client, finance, "deferred_revenue") == 0
        assert await _balance(client, finance, "income") == 20_000_000

    async def test_the_signed_text_says_which_milestone_is_an_advance(self, client, cast):
        contract = await _active(client, cast, [_milestone("预付款", 20_000_000, billed_on="activation", due=0)])
        document = await client.get(f"/api/v1/contracts/{contract['id']}/document", headers=cast.provider_staff.headers)
        assert "预付款：合同生效时应付" in document.text

    async def test_a_billed_advance_cannot_be_amended(self, client, cast):
        contract = await _active(
            client,
            cast,
            [_milestone("预付款", 20_000_000, billed_on="activation", due=0), _milestone("交付", 60_000_000)],
        )
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/amendments",
            json={
                "reason": "预付款调整",
                "milestones": [
                    _milestone("预付款", 10_000_000, billed_on="activation", due=0),
                    _milestone("交付", 60_000_000),
                ],
            },
            headers=cast.provider_signer.headers,
        )
        assert response.status_code == 409, response.text
        assert "billed in advance" in response.json()["detail"]

    async def test_a_contract_without_advances_renders_as_before(self, client, cast):
        draft = await post_contract(client, cast.provider_staff, contract_body(cast))
        document = await client.get(f"/api/v1/contracts/{draft['id']}/document", headers=cast.provider_staff.headers)
        assert "预付款" not in document.text
