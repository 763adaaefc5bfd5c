"""Clarifying questions: providers ask, the SME answers once; askers stay unnamed to other providers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.problems import ProblemQuestion
from services import clock, notifications
from services.actors import Actor
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate
from services.problems.core import (
    QuestionAlreadyAnswered,
    QuestionNotFound,
    get_problem,
    is_owner,
    require_accepting,
    require_details,
    require_owner_staff,
)


@dataclass(frozen=True)
class QuestionView:
    """A question as one actor may see it: who asked (organisation and user) is None except for the
    SME and the asker's own organisation."""

    id: uuid.UUID
    problem_id: uuid.UUID
    question: str
    asker_org_id: uuid.UUID | None
    asked_by: uuid.UUID | None
    answer: str | None
    answered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: ProblemQuestion, *, asker_visible: bool) -> QuestionView:
        return cls(
            id=row.id,
            problem_id=row.problem_id,
            question=row.question,
            asker_org_id=row.asker_org_id if asker_visible else None,
            asked_by=row.asked_by if asker_visible else None,
            answer=row.answer,
            answered_at=row.answered_at,
            created_at=row.created_at,
        )


async def list_questions(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[QuestionView]:
    """The SME sees every question; others see answered ones and their own organisation's."""
    problem = await get_problem(session, actor, problem_id)
    await require_details(session, actor, problem)
    owner = is_owner(actor, problem)
    own_orgs = list(actor.organisation_ids)
    stmt = select(ProblemQuestion).where(ProblemQuestion.problem_id == problem.id)
    if not owner:
        stmt = stmt.where(or_(ProblemQuestion.answer.is_not(None), ProblemQuestion.asker_org_id.in_(own_orgs)))
    page = await paginate(session, stmt, [SortKey(ProblemQuestion.id)], limit=limit, cursor=cursor)
    items = [QuestionView.of(q, asker_visible=owner or q.asker_org_id in actor.organisation_ids) for q in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


async def ask(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, *, question: str, organisation_id: uuid.UUID | None
) -> QuestionView:
    """A centre or institute asks the SME a clarifying question; the SME's staff are notified."""
    problem = await get_problem(session, actor, problem_id)
    # Visibility first: what the caller cannot see is 404 whatever its role (issue 12 item 5).
    org_id = actor.acting_org(actor.provider_org_ids(), organisation_id, "centre or institute staff")
    await require_details(session, actor, problem)
    require_accepting(problem)
    row = ProblemQuestion(problem_id=problem.id, asker_org_id=org_id, asked_by=actor.user_id, question=question)
    session.add(row)
    await session.flush()
    await notifications.send(
        session,
        Notice.question_asked,
        about=problem.title,
        subject_id=problem.id,
        organisation_ids=[problem.sme_org_id],
        text=question[:500],
    )
    return QuestionView.of(row, asker_visible=True)


async def answer(
    session: AsyncSession, actor: Actor, problem_id: uuid.UUID, question_id: uuid.UUID, *, answer: str
) -> QuestionView:
    """The SME answers a question once; the answer becomes visible to every provider that sees the problem."""
    problem = await get_problem(session, actor, problem_id)
    row = await session.scalar(
        select(ProblemQuestion).where(ProblemQuestion.id == question_id, ProblemQuestion.problem_id == problem.id)
    )
    visible = row is not None and (is_owner(actor, problem) or row.asker_org_id in actor.organisation_ids)
    if row is None or not (visible or row.answer is not None):
        raise QuestionNotFound()
    require_owner_staff(actor, problem)
    if row.answer is not None:
        raise QuestionAlreadyAnswered()
    require_accepting(problem)
    row.answer = answer
    row.answered_by = actor.user_id
    row.answered_at = clock.now()
    await session.flush()
    await notifications.send(
        session,
        Notice.question_answered,
        about=problem.title,
        subject_id=problem.id,
        user_ids=[row.asked_by],
        text=answer[:500],
    )
    return QuestionView.of(row, asker_visible=True)
