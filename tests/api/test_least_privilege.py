"""Least privilege (issue 12 item 6): evaluators read nothing private of their organisation;
finance reads the bookings and contracts of its centre and the centre's institutes."""

from __future__ import annotations

import pytest

from models.enums import Role
from tests.factories.bookings import NOW, booked, setup
from tests.factories.contracts import contract_body, make_contract_cast, post_contract
from tests.factories.organisations import create_member
from tests.factories.problems import post_problem, post_proposal

API = "/api/v1"


@pytest.fixture(autouse=True)
def stopped(clock):
    clock.set(NOW)
    return clock


async def ids(client, path: str, headers) -> set[str]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


class TestEvaluators:
    async def test_a_centre_evaluator_reads_no_contract_of_its_centre_or_institutes(self, client, db, app):
        cast = await make_contract_cast(db, app, client)
        ours = await post_contract(client, cast.provider_staff, contract_body(cast))
        institutes = await post_contract(client, cast.base.institute, contract_body(cast))
        _, evaluator = await create_member(db, app, cast.provider_staff.org, Role.evaluator)
        for contract in (ours, institutes):
            assert (await client.get(f"{API}/contracts/{contract['id']}", headers=evaluator)).status_code == 404
            staff = await client.get(f"{API}/contracts/{contract['id']}", headers=cast.provider_staff.headers)
            assert staff.status_code == 200
        assert await ids(client, f"{API}/contracts", evaluator) == set()

    async def test_an_sme_evaluator_reads_no_contract_private_problem_or_proposal(self, client, db, app):
        cast = await make_contract_cast(db, app, client)
        contract = await post_contract(client, cast.provider_staff, contract_body(cast))
        problem = await post_problem(
            client,
            cast.client_signer,
            confidentiality="invite_only",
            invited_organisation_ids=[str(cast.provider_staff.org.id)],
        )
        proposal = await post_proposal(client, cast.provider_staff, problem["id"])
        _, sme_evaluator = await create_member(db, app, cast.client_signer.org, Role.evaluator)
        _, centre_evaluator = await create_member(db, app, cast.provider_staff.org, Role.evaluator)
        assert (await client.get(f"{API}/contracts/{contract['id']}", headers=sme_evaluator)).status_code == 404
        assert (await client.get(f"{API}/problems/{problem['id']}", headers=sme_evaluator)).status_code == 404
        assert (await client.get(f"{API}/proposals/{proposal['id']}", headers=sme_evaluator)).status_code == 404
        assert (await client.get(f"{API}/proposals/{proposal['id']}", headers=centre_evaluator)).status_code == 404
        # The people who work on them still do.
        assert (
            await client.get(f"{API}/problems/{problem['id']}", headers=cast.client_member.headers)
        ).status_code == 200
        assert (
            await client.get(f"{API}/proposals/{proposal['id']}", headers=cast.client_member.headers)
        ).status_code == 200

    async def test_a_centre_evaluator_sees_no_booking(self, client, db, app):
        s = await setup(client, db, app)
        booking = await booked(client, s)
        _, evaluator = await create_member(db, app, s.w.centre, Role.evaluator)
        _, sme_evaluator = await create_member(db, app, s.w.sme, Role.evaluator)
        for headers in (evaluator, sme_evaluator):
            assert (await client.get(f"{API}/bookings/{booking['id']}", headers=headers)).status_code == 404
            assert await ids(client, f"{API}/bookings", headers) == set()


class TestFinance:
    async def test_finance_reads_the_bookings_of_its_centres_institutes(self, client, db, app):
        s = await setup(client, db, app)  # the instrument belongs to the centre's institute
        booking = await booked(client, s)
        _, finance = await create_member(db, app, s.w.centre, Role.finance)
        _, other_finance = await create_member(db, app, s.w.other_centre, Role.finance)
        assert (await client.get(f"{API}/bookings/{booking['id']}", headers=finance)).status_code == 200
        assert await ids(client, f"{API}/bookings", finance) == {booking["id"]}
        assert (await client.get(f"{API}/bookings/{booking['id']}", headers=other_finance)).status_code == 404

    async def test_finance_reads_the_contracts_of_its_centre_and_institutes(self, client, db, app):
        cast = await make_contract_cast(db, app, client)
        ours = await post_contract(client, cast.provider_staff, contract_body(cast))
        institutes = await post_contract(client, cast.base.institute, contract_body(cast))
        _, finance = await create_member(db, app, cast.provider_staff.org, Role.finance)
        _, other_finance = await create_member(db, app, cast.outsider.org, Role.finance)
        for contract in (ours, institutes):
            assert (await client.get(f"{API}/contracts/{contract['id']}", headers=finance)).status_code == 200
            assert (await client.get(f"{API}/contracts/{contract['id']}", headers=other_finance)).status_code == 404
        assert await ids(client, f"{API}/contracts", finance) == {ours["id"], institutes["id"]}
