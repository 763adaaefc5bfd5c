"""Pilot-scale results (中试成果) offered for transfer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import (
    API_PREFIX,
    OPTIONAL_BEARER,
    CurrentActor,
    IdempotencyDep,
    OptionalActor,
    PageDep,
    SessionDep,
    get_read_session,
    optional_read_actor,
    resolves,
)
from api.errors import Responses, problem
from api.schemas.common import Page
from api.schemas.pilot_results import PilotResultCreate, PilotResultRead, PilotResultUpdate
from models.enums import ListingStatus
from models.pilot_results import PilotResult
from services import catalogue, pilot_results
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/pilot-results", tags=["catalogue"])
NOT_FOUND: Responses = {404: problem(pilot_results.PilotResultNotFound)}
CHANGE: Responses = {**NOT_FOUND, 403: problem(RoleNotAllowed)}


@router.get("", operation_id="listPilotResults", response_model=Page[PilotResultRead])
async def list_pilot_results(
    actor: OptionalActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ListingStatus | None, Query(alias="status", description="Only this state")] = None,
    owner_org_id: Annotated[uuid.UUID | None, Query(description="Only this centre or institute's")] = None,
) -> Page[PilotResultRead]:
    """Published results (anyone), plus drafts and archived ones of the caller's organisations; newest first."""
    result = await pilot_results.list_visible(
        session, actor, status=status_, owner_org_id=owner_org_id, limit=page.limit, cursor=page.cursor
    )
    return Page[PilotResultRead](
        items=[PilotResultRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createPilotResult",
    status_code=status.HTTP_201_CREATED,
    response_model=PilotResultRead,
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_pilot_result(
    body: PilotResultCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create a draft result (centre or institute staff); publish it to list it."""
    return await idem.run(
        lambda: pilot_results.create(session, actor, body.to_input()),
        PilotResultRead,
        location=lambda r: f"/api/v1/pilot-results/{r.id}",
    )


@router.get(
    "/{result_id}",
    operation_id="getPilotResult",
    response_model=PilotResultRead,
    responses=NOT_FOUND,
    openapi_extra=OPTIONAL_BEARER,
)
@resolves(optional_read_actor, get_read_session)
async def get_pilot_result(result_id: uuid.UUID, request: Request) -> Response:
    """One result: published ones to anyone, drafts and archived ones to the owner's staff only."""
    # The caller and the read session resolved here, not declared: the hottest read (deps.resolves).
    actor = await optional_read_actor(request)
    row = await pilot_results.read(await get_read_session(request), actor, result_id)
    # Validated and serialised once, in pydantic-core (the response_model above documents it).
    return Response(PilotResultRead.model_validate(row).model_dump_json(), media_type="application/json")


@router.patch(
    "/{result_id}",
    operation_id="updatePilotResult",
    response_model=PilotResultRead,
    responses={**CHANGE, 409: problem(catalogue.ListingArchived), 422: problem(Invalid)},
)
async def update_pilot_result(
    result_id: uuid.UUID, body: PilotResultUpdate, actor: CurrentActor, session: SessionDep
) -> PilotResult:
    """Change a draft or published result (owner's staff); search sees the change at once."""
    return await pilot_results.update(session, actor, result_id, body.to_changes())


@router.post(
    "/{result_id}/publish",
    operation_id="publishPilotResult",
    response_model=PilotResultRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def publish_pilot_result(result_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> PilotResult:
    """Publish a draft or archived result: it becomes public and searchable."""
    return await pilot_results.publish(session, actor, result_id)


@router.post(
    "/{result_id}/archive",
    operation_id="archivePilotResult",
    response_model=PilotResultRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def archive_pilot_result(result_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> PilotResult:
    """Archive a published result: it leaves the catalogue and search; the owner still sees it."""
    return await pilot_results.archive(session, actor, result_id)
