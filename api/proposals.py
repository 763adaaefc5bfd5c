"""Proposals on problems: submit, compare, revise, withdraw, accept (which starts a draft contract)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.contracts import ContractRead
from api.schemas.proposals import (
    ProposalCreate,
    ProposalRead,
    ProposalRevise,
    ProposalRevisionRead,
)
from models.enums import ProposalStatus
from services import problems, proposals
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=API_PREFIX, tags=["proposals"])


NOT_FOUND: Responses = {404: problem(proposals.ProposalNotFound)}


@router.get(
    "/problems/{problem_id}/proposals",
    operation_id="listProblemProposals",
    response_model=Page[ProposalRead],
    responses={404: problem(problems.ProblemNotFound)},
)
async def list_proposals(
    problem_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    sort: Annotated[
        proposals.ProposalSort,
        Query(description="`price` / `duration` ascending, `-price` / `-duration` descending, `newest`, `oldest`"),
    ] = "newest",
) -> Page[ProposalRead]:
    """Proposals on a problem: every one for the posting SME (to compare), only their own for a centre."""
    result = await proposals.list_for_problem(
        session, actor, problem_id, status=status_, sort=sort, limit=page.limit, cursor=page.cursor
    )
    return Page[ProposalRead](
        items=[ProposalRead.model_validate(v) for v in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/problems/{problem_id}/proposals",
    operation_id="submitProposal",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalRead,
    responses={
        404: problem(problems.ProblemNotFound),
        403: problems_doc(problems.NdaRequired, RoleNotAllowed),
        409: problems_doc(problems.ProblemNotOpen, proposals.ProposalAlreadyLive),
        422: problem(Invalid),
    },
)
async def submit_proposal(
    problem_id: uuid.UUID, body: ProposalCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Propose a solution (centre or institute staff): one live proposal per organisation; milestone
    amounts must sum to the price. The problem moves to `in_review` and the SME is notified."""

    async def run() -> proposals.ProposalView:
        return await proposals.submit(session, actor, problem_id, body.to_terms(), organisation_id=body.organisation_id)

    return await idem.run(run, ProposalRead, location=lambda v: f"/api/v1/proposals/{v.proposal.id}")


@router.get("/proposals/{proposal_id}", operation_id="getProposal", response_model=ProposalRead, responses=NOT_FOUND)
async def get_proposal(proposal_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> proposals.ProposalView:
    """One proposal: for its author organisation and the posting SME only (404 for other centres)."""
    return await proposals.get(session, actor, proposal_id)


@router.get(
    "/proposals/{proposal_id}/revisions",
    operation_id="listProposalRevisions",
    response_model=Page[ProposalRevisionRead],
    responses=NOT_FOUND,
)
async def list_revisions(
    proposal_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[ProposalRevisionRead]:
    """Every version of a proposal's terms, oldest first."""
    result = await proposals.list_revisions(session, actor, proposal_id, limit=page.limit, cursor=page.cursor)
    return Page[ProposalRevisionRead](
        items=[ProposalRevisionRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/proposals/{proposal_id}/revisions",
    operation_id="reviseProposal",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(proposals.ProposalNotPending, problems.ProblemNotOpen),
        422: problem(Invalid),
    },
)
async def revise_proposal(
    proposal_id: uuid.UUID, body: ProposalRevise, actor: CurrentActor, session: SessionDep
) -> proposals.ProposalView:
    """Revise a pending proposal (its organisation's staff): new terms become current, the old stay in history."""
    return await proposals.revise(session, actor, proposal_id, body.to_terms(), note=body.note)


@router.post(
    "/proposals/{proposal_id}/withdraw",
    operation_id="withdrawProposal",
    response_model=ProposalRead,
    responses={**NOT_FOUND, 403: problem(RoleNotAllowed), 409: problem(proposals.ProposalNotPending)},
)
async def withdraw_proposal(proposal_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> proposals.ProposalView:
    """Withdraw a pending proposal (its organisation's staff); the SME is notified."""
    return await proposals.withdraw(session, actor, proposal_id)


@router.post(
    "/proposals/{proposal_id}/accept",
    operation_id="acceptProposal",
    status_code=status.HTTP_201_CREATED,
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(
            problems.ProblemAlreadyAwarded,
            problems.ProblemNotOpen,
            proposals.ProposalNotPending,
            proposals.ProposalLapsed,
        ),
    },
)
async def accept_proposal(
    proposal_id: uuid.UUID, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Accept a proposal (the SME's staff): the problem is awarded, other pending proposals are declined,
    and the draft contract created from the proposal (parties, type, value, milestones) is returned.
    Accepting again, or a second proposal on the same problem, is 409."""

    return await idem.run(
        lambda: proposals.accept(session, actor, proposal_id),
        ContractRead,
        location=lambda c: f"/api/v1/contracts/{c.id}",
    )
