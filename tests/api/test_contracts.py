"""Draft contracts from accepted proposals: only the parties see them."""

from __future__ import annotations

import uuid

import pytest

from models.enums import Role
from tests.factories import create_member
from tests.factories_problems import make_cast, post_problem, post_proposal


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


@pytest.fixture
async def contract(client, cast):
    problem = await post_problem(client, cast.sme)
    proposal = await post_proposal(client, cast.centre_a, problem["id"], contract_type="consulting")
    response = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
    assert response.status_code == 201
    return response.json()


class TestGetContract:
    async def test_both_parties_see_the_draft(self, client, cast, contract):
        for party in (cast.sme, cast.sme_member, cast.centre_a, cast.centre_a2):
            response = await client.get(f"/api/v1/contracts/{contract['id']}", headers=party.headers)
            assert response.status_code == 200
            assert response.json()["contract_type"] == "consulting"
            assert len(response.json()["milestones"]) == 2

    async def test_finance_staff_of_the_provider_see_it(self, client, db, app, cast, contract):
        _, headers = await create_member(db, app, cast.centre_a.org, Role.finance)
        response = await client.get(f"/api/v1/contracts/{contract['id']}", headers=headers)
        assert response.status_code == 200

    async def test_anyone_else_gets_404(self, client, cast, contract):
        for outsider in (cast.centre_b, cast.other_sme, cast.institute):
            response = await client.get(f"/api/v1/contracts/{contract['id']}", headers=outsider.headers)
            assert response.status_code == 404
            assert response.json()["type"].endswith("contract-not-found")

    async def test_an_unknown_id_is_404(self, client, cast):
        response = await client.get(f"/api/v1/contracts/{uuid.uuid4()}", headers=cast.sme.headers)
        assert response.status_code == 404


class TestListContracts:
    async def test_parties_list_their_contracts_and_others_see_none(self, client, cast, contract):
        for party in (cast.sme, cast.centre_a):
            items = (await client.get("/api/v1/contracts", headers=party.headers)).json()["items"]
            assert [c["id"] for c in items] == [contract["id"]]
        for outsider in (cast.centre_b, cast.other_sme):
            assert (await client.get("/api/v1/contracts", headers=outsider.headers)).json()["items"] == []

    async def test_filters(self, client, cast, contract):
        drafts = await client.get("/api/v1/contracts", params={"status": "draft"}, headers=cast.sme.headers)
        assert [c["id"] for c in drafts.json()["items"]] == [contract["id"]]
        active = await client.get("/api/v1/contracts", params={"status": "active"}, headers=cast.sme.headers)
        assert active.json()["items"] == []
        licences = await client.get("/api/v1/contracts", params={"contract_type": "licence"}, headers=cast.sme.headers)
        assert licences.json()["items"] == []
