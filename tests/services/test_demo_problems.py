"""Demo data: open problems in every tier with proposals, an awarded one with its draft contract,
told as a story of the past weeks; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models.contracts import Contract
from models.enums import ConfidentialityTier, ContractSource, ProblemStatus
from models.problems import Problem
from models.proposals import Proposal
from services import demo


async def test_seed_covers_every_tier_and_runs_twice(db, settings):
    async with db.session_scope() as session:
        await demo.seed(session, settings)
    async with db.session_scope() as session:
        again = await demo.seed(session, settings)
    assert again.created == {}
    async with db.session_scope() as session:
        rows = (
            await session.execute(
                select(Problem.confidentiality, Problem.status, func.count(Proposal.id))
                .join(Proposal, Proposal.problem_id == Problem.id)
                .group_by(Problem.id, Problem.confidentiality, Problem.status)
            )
        ).all()
        open_tiers = {tier for tier, status, n in rows if status is not ProblemStatus.awarded and n > 0}
        assert open_tiers == set(ConfidentialityTier)
        from_proposals = select(func.count()).select_from(Contract).where(Contract.source == ContractSource.proposal)
        assert await session.scalar(from_proposals) == 1


async def test_the_award_happened_in_the_past_weeks_through_the_moved_clock(db, settings, clock):
    seeded = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    clock.set(seeded)
    async with db.session_scope() as session:
        await demo.seed(session, settings)
    async with db.session_scope() as session:
        problem = await session.scalar(select(Problem).where(Problem.status == ProblemStatus.awarded))
        proposal = await session.scalar(select(Proposal).where(Proposal.problem_id == problem.id))
        contract = await session.scalar(select(Contract).where(Contract.proposal_id == proposal.id))
    assert problem.created_at == seeded - timedelta(days=21)
    assert proposal.created_at == seeded - timedelta(days=14)
    assert problem.awarded_at == proposal.decided_at == contract.created_at == seeded - timedelta(days=7)
    assert problem.deadline > seeded  # still running when it was awarded
