"""Technical problems, their invitations, NDA acceptances and clarifying questions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.problems import (
    AnswerCreate,
    InvitationCreate,
    NdaAcceptanceCreate,
    NdaAcceptanceRead,
    ProblemClose,
    ProblemCreate,
    ProblemInvitationRead,
    ProblemRead,
    ProblemUpdate,
    QuestionCreate,
    QuestionRead,
)
from models.enums import ConfidentialityTier, ProblemStatus, TechField
from services import problems
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/problems", tags=["problems"])


NOT_FOUND: Responses = {404: problem(problems.ProblemNotFound)}


@router.get("", operation_id="listProblems", response_model=Page[ProblemRead])
async def list_problems(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[
        ProblemStatus | None, Query(alias="status", description="Effective status (`expired` once the deadline passed)")
    ] = None,
    confidentiality: Annotated[ConfidentialityTier | None, Query()] = None,
    technical_field: Annotated[TechField | None, Query()] = None,
    organisation_id: Annotated[uuid.UUID | None, Query(description="Problems posted by this SME")] = None,
) -> Page[ProblemRead]:
    """Problems the caller may see, newest first: their SME's own, public ones, NDA ones (providers),
    invite-only ones they are invited to."""
    result = await problems.list_visible(
        session,
        actor,
        status=status_,
        confidentiality=confidentiality,
        technical_field=technical_field,
        organisation_id=organisation_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[ProblemRead](
        items=[ProblemRead.model_validate(v) for v in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createProblem",
    status_code=status.HTTP_201_CREATED,
    response_model=ProblemRead,
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_problem(
    body: ProblemCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Post a technical problem (SME staff). Invited centres or institutes are notified."""

    async def run() -> problems.ProblemView:
        return await problems.create(session, actor, body.to_input())

    return await idem.run(run, ProblemRead, location=lambda p: f"/api/v1/problems/{p.id}")


@router.get("/{problem_id}", operation_id="getProblem", response_model=ProblemRead, responses=NOT_FOUND)
async def get_problem(problem_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> problems.ProblemView:
    """One problem as the caller may see it; NDA details stay null until the caller's organisation accepts."""
    return await problems.get(session, actor, problem_id)


@router.patch(
    "/{problem_id}",
    operation_id="updateProblem",
    response_model=ProblemRead,
    responses={**NOT_FOUND, 403: problem(RoleNotAllowed), 409: problem(problems.ProblemNotOpen), 422: problem(Invalid)},
)
async def update_problem(
    problem_id: uuid.UUID, body: ProblemUpdate, actor: CurrentActor, session: SessionDep
) -> problems.ProblemView:
    """Change an open problem (the SME's staff): texts, budget, deadline, attachments."""
    return await problems.update(session, actor, problem_id, body.to_changes())


@router.post(
    "/{problem_id}/close",
    operation_id="closeProblem",
    response_model=ProblemRead,
    responses={**NOT_FOUND, 403: problem(RoleNotAllowed), 409: problem(problems.ProblemNotOpen)},
)
async def close_problem(
    problem_id: uuid.UUID, actor: CurrentActor, session: SessionDep, body: ProblemClose | None = None
) -> problems.ProblemView:
    """Close an open problem without an award; pending proposals are declined and their authors told."""
    reason = body.reason if body is not None else None
    return await problems.close(session, actor, problem_id, reason=reason)


@router.get(
    "/{problem_id}/invitations",
    operation_id="listProblemInvitations",
    response_model=Page[ProblemInvitationRead],
    responses=NOT_FOUND,
)
async def list_invitations(
    problem_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[ProblemInvitationRead]:
    """Invitations of a problem: all of them for its SME, their own for invited providers."""
    result = await problems.list_invitations(session, actor, problem_id, limit=page.limit, cursor=page.cursor)
    return Page[ProblemInvitationRead](
        items=[ProblemInvitationRead.model_validate(i) for i in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{problem_id}/invitations",
    operation_id="inviteToProblem",
    status_code=status.HTTP_201_CREATED,
    response_model=ProblemInvitationRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(problems.AlreadyInvited, problems.NotInviteOnly, problems.ProblemNotOpen),
        422: problem(Invalid),
    },
)
async def invite(problem_id: uuid.UUID, body: InvitationCreate, actor: CurrentActor, session: SessionDep):
    """Invite a centre or institute to an invite-only problem (the SME's staff); its staff are notified."""
    return await problems.invite(session, actor, problem_id, body.organisation_id)


@router.get(
    "/{problem_id}/nda-acceptances",
    operation_id="listNdaAcceptances",
    response_model=Page[NdaAcceptanceRead],
    responses=NOT_FOUND,
)
async def list_nda_acceptances(
    problem_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[NdaAcceptanceRead]:
    """Who accepted the problem's NDA and when: all for its SME, their own organisations' for providers."""
    result = await problems.list_nda_acceptances(session, actor, problem_id, limit=page.limit, cursor=page.cursor)
    return Page[NdaAcceptanceRead](
        items=[NdaAcceptanceRead.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{problem_id}/nda-acceptances",
    operation_id="acceptNda",
    status_code=status.HTTP_201_CREATED,
    response_model=NdaAcceptanceRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(problems.NdaAlreadyAccepted, problems.NdaNotApplicable),
        422: problem(Invalid),
    },
)
async def accept_nda(
    problem_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    idem: IdempotencyDep,
    body: NdaAcceptanceCreate | None = None,
) -> Response:
    """Accept the problem's NDA terms for your centre or institute; its staff then see the details."""
    org_id = body.organisation_id if body is not None else None
    return await idem.run(
        lambda: problems.accept_nda(session, actor, problem_id, organisation_id=org_id), NdaAcceptanceRead
    )


@router.get(
    "/{problem_id}/questions",
    operation_id="listProblemQuestions",
    response_model=Page[QuestionRead],
    responses={**NOT_FOUND, 403: problem(problems.NdaRequired)},
)
async def list_questions(
    problem_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[QuestionRead]:
    """Clarifying questions: the SME sees all; providers see answered ones and their own organisation's;
    other providers' identities are never shown."""
    result = await problems.list_questions(session, actor, problem_id, limit=page.limit, cursor=page.cursor)
    return Page[QuestionRead](
        items=[QuestionRead.model_validate(q) for q in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{problem_id}/questions",
    operation_id="askQuestion",
    status_code=status.HTTP_201_CREATED,
    response_model=QuestionRead,
    responses={
        **NOT_FOUND,
        403: problems_doc(problems.NdaRequired, RoleNotAllowed),
        409: problem(problems.ProblemNotOpen),
        422: problem(Invalid),
    },
)
async def ask_question(
    problem_id: uuid.UUID, body: QuestionCreate, actor: CurrentActor, session: SessionDep
) -> problems.QuestionView:
    """Ask the SME a clarifying question (centre or institute staff); the SME's staff are notified."""
    return await problems.ask(session, actor, problem_id, question=body.question, organisation_id=body.organisation_id)


@router.post(
    "/{problem_id}/questions/{question_id}/answer",
    operation_id="answerQuestion",
    response_model=QuestionRead,
    responses={
        404: problem(problems.QuestionNotFound),
        403: problem(RoleNotAllowed),
        409: problems_doc(problems.QuestionAlreadyAnswered, problems.ProblemNotOpen),
    },
)
async def answer_question(
    problem_id: uuid.UUID, question_id: uuid.UUID, body: AnswerCreate, actor: CurrentActor, session: SessionDep
) -> problems.QuestionView:
    """Answer a question once (the SME's staff); every provider that sees the problem then sees it."""
    return await problems.answer(session, actor, problem_id, question_id, answer=body.answer)
