"""Demo data: open problems in every tier with proposals, an awarded one with its draft contract; idempotent."""

from __future__ import annotations

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
