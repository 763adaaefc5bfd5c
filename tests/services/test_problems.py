"""Problem rules below the API: status derived at read time, and the state changes proposals ask
for (`mark_in_review`, `reopen`, `award`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from models.enums import ProblemStatus
from models.problems import Problem
from models.proposals import Proposal
from services import problems
from services.problems import effective_status
from tests.factories.problems import let_deadline_pass, make_cast, post_problem, post_proposal

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def problem(status: ProblemStatus, deadline: datetime) -> Problem:
    return Problem(status=status, deadline=deadline)


class TestEffectiveStatus:
    def test_open_before_the_deadline(self):
        assert effective_status(problem(ProblemStatus.open, NOW + timedelta(seconds=1)), NOW) is ProblemStatus.open

    def test_expired_at_the_deadline(self):
        assert effective_status(problem(ProblemStatus.in_review, NOW), NOW) is ProblemStatus.expired

    def test_awarded_and_closed_stay_as_they_are(self):
        for status in (ProblemStatus.awarded, ProblemStatus.closed):
            assert effective_status(problem(status, NOW - timedelta(days=1)), NOW) is status


class TestReviewTransitions:
    async def test_a_proposal_puts_an_open_problem_in_review_and_no_proposal_opens_it_again(self, db):
        row = problem(ProblemStatus.open, NOW)
        async with db.session_scope() as session:
            await problems.mark_in_review(session, row)
            assert row.status is ProblemStatus.in_review
            await problems.mark_in_review(session, row)
            assert row.status is ProblemStatus.in_review
            await problems.reopen(session, row)
            assert row.status is ProblemStatus.open

    @pytest.mark.parametrize("status", [ProblemStatus.awarded, ProblemStatus.closed])
    async def test_a_decided_problem_stays_decided(self, db, status):
        row = problem(status, NOW)
        async with db.session_scope() as session:
            await problems.mark_in_review(session, row)
            await problems.reopen(session, row)
        assert row.status is status


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


async def rows(session, problem_id: str, proposal_id: str) -> tuple[Problem, Proposal]:
    return await session.get(Problem, uuid.UUID(problem_id)), await session.get(Proposal, uuid.UUID(proposal_id))


class TestAward:
    async def test_the_problem_goes_to_the_proposing_organisation_once(self, client, db, cast, clock):
        posted = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, posted["id"])
        clock.set(clock.now)
        async with db.session_scope() as session:
            row, winner = await rows(session, posted["id"], proposal["id"])
            await problems.award(session, row, winner)
            assert (row.status, row.awarded_org_id, row.awarded_at) == (
                ProblemStatus.awarded,
                cast.centre_a.org.id,
                clock.now,
            )
            with pytest.raises(problems.ProblemAlreadyAwarded):
                await problems.award(session, row, winner)

    async def test_an_expired_problem_cannot_be_awarded(self, client, db, cast):
        posted = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, posted["id"])
        let_deadline_pass()
        async with db.session_scope() as session:
            row, winner = await rows(session, posted["id"], proposal["id"])
            with pytest.raises(problems.ProblemNotOpen):
                await problems.award(session, row, winner)
            assert row.status is ProblemStatus.in_review

    async def test_only_with_a_proposal_on_this_problem(self, client, db, cast):
        first = await post_problem(client, cast.sme)
        second = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, first["id"])
        async with db.session_scope() as session:
            row, elsewhere = await rows(session, second["id"], proposal["id"])
            with pytest.raises(ValueError, match="another problem"):
                await problems.award(session, row, elsewhere)
