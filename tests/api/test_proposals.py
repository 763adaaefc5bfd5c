"""Proposals: submit, compare, visibility between centres, revisions, withdraw, accept -> draft contract."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from models.contracts import Contract
from models.problems import Problem
from models.proposals import Proposal, ProposalRevision
from tests.factories.problems import (
    future,
    let_deadline_pass,
    make_cast,
    notifications_of,
    post_problem,
    post_proposal,
    proposal_body,
)


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


@pytest.fixture
async def problem(client, cast):
    return await post_problem(client, cast.sme)


class TestSubmitProposal:
    async def test_a_centre_proposes_and_the_sme_is_notified(self, client, db, cast, problem):
        body = await post_proposal(client, cast.centre_a, problem["id"])
        assert body["status"] == "submitted" and body["revision"] == 1
        assert body["provider"]["id"] == str(cast.centre_a.org.id)
        assert body["price"] == {"amount": 80_000_000, "currency": "CNY"}
        assert [(m["seq"], m["amount"]["amount"], m["due_offset_days"]) for m in body["milestones"]] == [
            (1, 24_000_000, 60),
            (2, 56_000_000, 180),
        ]
        after = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.sme.headers)).json()
        assert after["status"] == "in_review"
        notes = await notifications_of(client, cast.sme_member)
        assert [(n["kind"], n["subject_id"]) for n in notes] == [("proposal.received", body["id"])]
        assert "800,000.00 CNY" in notes[0]["body"]  # services.money.format_money
        async with db.session_scope() as session:
            revisions = (await session.scalars(select(ProposalRevision))).all()
            assert [(r.proposal_id, r.revision) for r in revisions] == [(uuid.UUID(body["id"]), 1)]

    @pytest.mark.parametrize(
        ("change", "loc"),
        [
            ({"price": {"amount": 80_000_001, "currency": "CNY"}}, ["body", "milestones"]),
            (
                {
                    "milestones": [
                        {"title": "全部", "amount": {"amount": 80_000_000, "currency": "USD"}, "due_offset_days": 10}
                    ]
                },
                ["body", "milestones", 0, "amount"],
            ),
            ({"duration_days": 90}, ["body", "milestones", 1, "due_offset_days"]),
            ({"valid_until": "2020-01-01T00:00:00+00:00"}, ["body", "valid_until"]),
            ({"contract_type": "loan"}, ["body", "contract_type"]),
            ({"milestones": []}, ["body", "milestones"]),
        ],
    )
    async def test_invalid_terms_are_422(self, client, cast, problem, change, loc):
        body = {**proposal_body(), **change}
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=body, headers=cast.centre_a.headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == loc

    async def test_milestone_sums_that_do_not_add_up_are_422(self, client, cast, problem):
        body = proposal_body()
        body["milestones"][0]["amount"]["amount"] -= 1
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=body, headers=cast.centre_a.headers
        )
        assert response.status_code == 422
        assert "sum to 79999999" in response.json()["detail"]

    async def test_one_live_proposal_per_organisation(self, client, cast, problem):
        await post_proposal(client, cast.centre_a, problem["id"])
        again = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a2.headers
        )
        assert again.status_code == 409
        assert again.json()["type"].endswith("proposal-already-live")

    async def test_concurrent_submits_by_one_organisation_leave_one_live_proposal(self, client, db, cast, problem):
        responses = await asyncio.gather(
            client.post(
                f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
            ),
            client.post(
                f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a2.headers
            ),
        )
        assert sorted(r.status_code for r in responses) == [201, 409]
        async with db.session_scope() as session:
            assert len((await session.scalars(select(Proposal))).all()) == 1

    async def test_smes_cannot_propose(self, client, cast, problem):
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.other_sme.headers
        )
        assert response.status_code == 403

    async def test_idempotency_key_replays_the_first_response(self, client, cast, problem):
        headers = {**cast.centre_a.headers, "Idempotency-Key": "p-1"}
        body = proposal_body()
        first = await client.post(f"/api/v1/problems/{problem['id']}/proposals", json=body, headers=headers)
        second = await client.post(f"/api/v1/problems/{problem['id']}/proposals", json=body, headers=headers)
        assert (first.status_code, second.status_code) == (201, 201), second.text
        assert first.json()["id"] == second.json()["id"]
        assert second.headers["Idempotent-Replayed"] == "true"


class TestProposalVisibility:
    async def test_a_centre_never_sees_another_centres_proposal(self, client, cast, problem):
        theirs = await post_proposal(client, cast.centre_a, problem["id"])
        mine = await post_proposal(client, cast.centre_b, problem["id"])
        for path in ("", "/revisions"):
            response = await client.get(f"/api/v1/proposals/{theirs['id']}{path}", headers=cast.centre_b.headers)
            assert response.status_code == 404
        for action in ("withdraw", "accept"):
            response = await client.post(f"/api/v1/proposals/{theirs['id']}/{action}", headers=cast.centre_b.headers)
            assert response.status_code == 404
        listed = await client.get(f"/api/v1/problems/{problem['id']}/proposals", headers=cast.centre_b.headers)
        assert [p["id"] for p in listed.json()["items"]] == [mine["id"]]

    async def test_the_institute_of_another_centre_does_not_see_it_either(self, client, cast, problem):
        theirs = await post_proposal(client, cast.centre_b, problem["id"])
        response = await client.get(f"/api/v1/proposals/{theirs['id']}", headers=cast.institute.headers)
        assert response.status_code == 404

    async def test_the_sme_compares_all_by_price_or_duration(self, client, cast, problem):
        a = await post_proposal(client, cast.centre_a, problem["id"], price=90_000_000)
        b = await post_proposal(client, cast.centre_b, problem["id"], price=60_000_000, duration_days=200)
        c = await post_proposal(client, cast.institute, problem["id"], price=75_000_000, duration_days=190)
        path = f"/api/v1/problems/{problem['id']}/proposals"

        async def ids(sort: str) -> list[str]:
            response = await client.get(path, params={"sort": sort}, headers=cast.sme.headers)
            assert response.status_code == 200
            return [p["id"] for p in response.json()["items"]]

        assert await ids("price") == [b["id"], c["id"], a["id"]]
        assert await ids("-price") == [a["id"], c["id"], b["id"]]
        assert await ids("duration") == [a["id"], c["id"], b["id"]]
        page = await client.get(path, params={"sort": "price", "limit": 2}, headers=cast.sme.headers)
        rest = await client.get(
            path, params={"sort": "price", "limit": 2, "cursor": page.json()["next_cursor"]}, headers=cast.sme.headers
        )
        assert [p["id"] for p in rest.json()["items"]] == [a["id"]]

    async def test_other_smes_get_404(self, client, cast, problem):
        theirs = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.get(f"/api/v1/proposals/{theirs['id']}", headers=cast.other_sme.headers)
        assert response.status_code == 404
        listed = await client.get(f"/api/v1/problems/{problem['id']}/proposals", headers=cast.other_sme.headers)
        assert listed.json()["items"] == []


class TestReviseProposal:
    async def test_a_revision_becomes_current_and_keeps_the_history(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        body = proposal_body(70_000_000, note="降价并缩短周期", duration_days=150)
        body["milestones"][1]["due_offset_days"] = 150
        response = await client.post(
            f"/api/v1/proposals/{proposal['id']}/revisions", json=body, headers=cast.centre_a2.headers
        )
        assert response.status_code == 201, response.text
        current = response.json()
        assert current["revision"] == 2 and current["price"]["amount"] == 70_000_000
        assert sum(m["amount"]["amount"] for m in current["milestones"]) == 70_000_000
        history = (await client.get(f"/api/v1/proposals/{proposal['id']}/revisions", headers=cast.sme.headers)).json()
        assert [(r["revision"], r["price"]["amount"], r["note"]) for r in history["items"]] == [
            (1, 80_000_000, None),
            (2, 70_000_000, "降价并缩短周期"),
        ]
        assert history["items"][0]["milestones"][1]["due_offset_days"] == 180
        assert [n["kind"] for n in await notifications_of(client, cast.sme)] == [
            "proposal.revised",
            "proposal.received",
        ]

    async def test_only_the_proposing_organisation_revises(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.post(
            f"/api/v1/proposals/{proposal['id']}/revisions", json=proposal_body(), headers=cast.sme.headers
        )
        assert response.status_code == 403

    async def test_a_withdrawn_proposal_cannot_be_revised(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.centre_a.headers)
        response = await client.post(
            f"/api/v1/proposals/{proposal['id']}/revisions", json=proposal_body(), headers=cast.centre_a.headers
        )
        assert response.status_code == 409


class TestWithdrawProposal:
    async def test_withdrawing_tells_the_sme_and_frees_the_slot(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.centre_a.headers)
        assert response.status_code == 200
        assert response.json()["status"] == "withdrawn" and response.json()["withdrawn_at"]
        assert (await notifications_of(client, cast.sme))[0]["kind"] == "proposal.withdrawn"
        after = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.sme.headers)).json()
        assert after["status"] == "open"  # nothing left to review
        again = await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.centre_a.headers)
        assert again.status_code == 409
        await post_proposal(client, cast.centre_a, problem["id"])

    async def test_the_sme_cannot_withdraw_a_centres_proposal(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.sme.headers)
        assert response.status_code == 403


class TestAcceptProposal:
    async def test_accepting_creates_a_draft_contract_with_the_proposals_milestones(self, client, db, cast, problem):
        winner = await post_proposal(client, cast.centre_a, problem["id"], contract_type="development")
        loser = await post_proposal(client, cast.centre_b, problem["id"], price=60_000_000)
        response = await client.post(f"/api/v1/proposals/{winner['id']}/accept", headers=cast.sme_member.headers)
        assert response.status_code == 201, response.text
        contract = response.json()
        assert response.headers["location"] == f"/api/v1/contracts/{contract['id']}"
        assert contract["status"] == "draft" and contract["contract_type"] == "development"
        assert contract["source"] == "proposal" and contract["proposal_id"] == winner["id"]
        assert contract["provider_org_id"] == str(cast.centre_a.org.id)
        assert contract["client_org_id"] == str(cast.sme.org.id)
        assert contract["value"] == {"amount": 80_000_000, "currency": "CNY"}
        assert [
            (m["seq"], m["title"], m["amount"], m["due_offset_days"], m["status"]) for m in contract["milestones"]
        ] == [(m["seq"], m["title"], m["amount"], m["due_offset_days"], "pending") for m in winner["milestones"]]
        async with db.session_scope() as session:
            assert (await session.get(Problem, uuid.UUID(problem["id"]))).status == "awarded"
            statuses = {str(p.id): p.status.value for p in (await session.scalars(select(Proposal))).all()}
            assert statuses == {winner["id"]: "accepted", loser["id"]: "declined"}
        accepted = (await client.get(f"/api/v1/proposals/{winner['id']}", headers=cast.centre_a.headers)).json()
        assert accepted["contract_id"] == contract["id"]
        assert [(n["kind"], n["subject_id"]) for n in await notifications_of(client, cast.centre_a2)] == [
            ("proposal.accepted", contract["id"])
        ]
        assert [(n["kind"], n["subject_id"]) for n in await notifications_of(client, cast.centre_b)] == [
            ("proposal.declined", loser["id"])
        ]
        mine = await client.get(f"/api/v1/contracts/{contract['id']}", headers=cast.sme.headers)
        assert mine.status_code == 200 and mine.json() == contract

    async def test_double_accept_is_409(self, client, db, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        first = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert first.status_code == 201
        second = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert second.status_code == 409
        assert second.json()["type"].endswith("problem-already-awarded")
        async with db.session_scope() as session:
            assert len((await session.scalars(select(Contract))).all()) == 1

    async def test_a_second_proposal_on_an_awarded_problem_cannot_be_accepted(self, client, cast, problem):
        a = await post_proposal(client, cast.centre_a, problem["id"])
        b = await post_proposal(client, cast.centre_b, problem["id"])
        assert (await client.post(f"/api/v1/proposals/{a['id']}/accept", headers=cast.sme.headers)).status_code == 201
        response = await client.post(f"/api/v1/proposals/{b['id']}/accept", headers=cast.sme.headers)
        assert response.status_code == 409

    async def test_concurrent_accepts_on_one_problem_exactly_one_wins(self, client, db, cast, problem):
        a = await post_proposal(client, cast.centre_a, problem["id"])
        b = await post_proposal(client, cast.centre_b, problem["id"])
        responses = await asyncio.gather(
            client.post(f"/api/v1/proposals/{a['id']}/accept", headers=cast.sme.headers),
            client.post(f"/api/v1/proposals/{b['id']}/accept", headers=cast.sme_member.headers),
        )
        assert sorted(r.status_code for r in responses) == [201, 409]
        async with db.session_scope() as session:
            contracts = (await session.scalars(select(Contract))).all()
            assert len(contracts) == 1
            accepted = (await session.scalars(select(Proposal).where(Proposal.status == "accepted"))).all()
            assert [p.id for p in accepted] == [contracts[0].proposal_id]

    async def test_a_retry_with_the_same_idempotency_key_returns_the_same_contract(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        headers = {**cast.sme.headers, "Idempotency-Key": "accept-1"}
        first = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=headers)
        second = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]

    async def test_only_the_smes_staff_accept(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.centre_a.headers)
        assert response.status_code == 403

    async def test_a_withdrawn_proposal_cannot_be_accepted(self, client, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.centre_a.headers)
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert response.status_code == 409
        assert response.json()["type"].endswith("proposal-not-pending")

    async def test_a_lapsed_proposal_cannot_be_accepted(self, client, cast, problem, clock):
        proposal = await post_proposal(client, cast.centre_a, problem["id"], valid_until=future(2))
        clock.advance(days=3)  # the proposal lapses; the problem (30 days) is still open
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert response.status_code == 409
        assert response.json()["type"].endswith("proposal-lapsed")

    async def test_accepting_on_an_expired_problem_is_409(self, client, db, cast, problem):
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        let_deadline_pass()
        response = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert response.status_code == 409
        assert response.json()["type"].endswith("problem-not-open")


class TestFinanceReadsNoNegotiations:
    async def test_the_centres_finance_does_not_see_its_staffs_proposals_or_service_requests(
        self, client, db, app, cast
    ):
        """Finance reads the centre's money, not its negotiations (docs/security.md, "Roles' reach"):
        a proposal of centre A and a service request to it are 404 to centre A's finance."""
        from models.enums import Role
        from tests.factories.organisations import create_member
        from tests.factories.problems import quoted_request

        _, finance = await create_member(db, app, cast.centre_a.org, Role.finance)
        problem = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        request, quote = await quoted_request(client, cast)
        assert (
            await client.get(f"/api/v1/proposals/{proposal['id']}", headers=cast.centre_a2.headers)
        ).status_code == 200
        for url in (
            f"/api/v1/proposals/{proposal['id']}",
            f"/api/v1/proposals/{quote['id']}",
            f"/api/v1/service-requests/{request['id']}",
            f"/api/v1/service-requests/{request['id']}/proposals",
        ):
            assert (await client.get(url, headers=finance)).status_code == 404, url
        listed = await client.get("/api/v1/service-requests", headers=finance)
        assert listed.status_code == 200 and listed.json()["items"] == []
