"""decline_live: what problems and service requests ask of proposals when they are decided."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from models.enums import ProposalStatus
from models.problems import Problem
from models.proposals import Proposal
from models.service_requests import ServiceRequest
from services import proposals
from services.notifications import Notice
from tests.factories.problems import make_cast, notifications_of, post_problem, post_proposal, quoted_request


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


async def statuses(db) -> dict[str, ProposalStatus]:
    async with db.session_scope() as session:
        return {str(p.id): p.status for p in await session.scalars(select(Proposal))}


class TestDeclineLive:
    async def test_only_pending_proposals_are_declined_and_each_provider_is_told_once(self, client, db, cast):
        problem = await post_problem(client, cast.sme)
        a = await post_proposal(client, cast.centre_a, problem["id"])
        withdrawn = await post_proposal(client, cast.centre_b, problem["id"])
        await client.post(f"/api/v1/proposals/{withdrawn['id']}/withdraw", headers=cast.centre_b.headers)
        institute = await post_proposal(client, cast.institute, problem["id"])
        async with db.session_scope() as session:
            row = await session.get(Problem, uuid.UUID(problem["id"]))
            declined = await proposals.decline_live(
                session, problem=row, notice=Notice.proposal_declined_problem_closed
            )
        assert sorted(str(p.id) for p in declined) == sorted([a["id"], institute["id"]])
        assert await statuses(db) == {
            a["id"]: ProposalStatus.declined,
            withdrawn["id"]: ProposalStatus.withdrawn,
            institute["id"]: ProposalStatus.declined,
        }
        for who, proposal in ((cast.centre_a, a), (cast.centre_a2, a), (cast.institute, institute)):
            notes = await notifications_of(client, who)
            assert [(n["kind"], n["subject_id"]) for n in notes] == [("proposal.declined", proposal["id"])]
        assert await notifications_of(client, cast.centre_b) == []

    async def test_the_kept_proposal_stays_pending(self, client, db, cast):
        problem = await post_problem(client, cast.sme)
        kept = await post_proposal(client, cast.centre_a, problem["id"])
        other = await post_proposal(client, cast.centre_b, problem["id"])
        async with db.session_scope() as session:
            row = await session.get(Problem, uuid.UUID(problem["id"]))
            winner = await session.get(Proposal, uuid.UUID(kept["id"]))
            await proposals.decline_live(session, problem=row, keep=winner, notice=Notice.proposal_declined)
        assert await statuses(db) == {kept["id"]: ProposalStatus.submitted, other["id"]: ProposalStatus.declined}

    async def test_without_a_notice_the_proposal_on_a_request_is_declined_silently(self, client, db, cast):
        request, proposal = await quoted_request(client, cast)
        async with db.session_scope() as session:
            row = await session.get(ServiceRequest, uuid.UUID(request["id"]))
            declined = await proposals.decline_live(session, request=row)
        assert [str(p.id) for p in declined] == [proposal["id"]]
        assert await statuses(db) == {proposal["id"]: ProposalStatus.declined}
        assert "proposal.declined" not in [n["kind"] for n in await notifications_of(client, cast.centre_a)]

    async def test_it_needs_exactly_one_parent(self, db):
        async with db.session_scope() as session:
            with pytest.raises(ValueError, match="problem or a service request"):
                await proposals.decline_live(session)
