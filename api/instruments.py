"""Shared instruments (共享仪器): rate cards, booking rules, opening hours, blackouts, availability."""

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
    OptionalReadActor,
    PageDep,
    ReadSessionDep,
    SessionDep,
    get_read_session,
    optional_read_actor,
    resolves,
)
from api.errors import Responses, problem
from api.schemas.common import Instant, Page
from api.schemas.instruments import (
    Availability,
    BlackoutCreate,
    BlackoutRead,
    InstrumentCreate,
    InstrumentRead,
    InstrumentUpdate,
    Interval,
)
from models.enums import ListingStatus
from models.instruments import Instrument
from services import catalogue, instruments
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/instruments", tags=["catalogue"])
NOT_FOUND: Responses = {404: problem(instruments.InstrumentNotFound)}
CHANGE: Responses = {**NOT_FOUND, 403: problem(RoleNotAllowed)}


@router.get("", operation_id="listInstruments", response_model=Page[InstrumentRead])
async def list_instruments(
    actor: OptionalActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ListingStatus | None, Query(alias="status", description="Only this state")] = None,
    owner_org_id: Annotated[uuid.UUID | None, Query(description="Only this centre or institute's")] = None,
) -> Page[InstrumentRead]:
    """Published instruments (anyone), plus drafts and archived ones of the caller's organisations; newest first."""
    result = await instruments.list_visible(
        session, actor, status=status_, owner_org_id=owner_org_id, limit=page.limit, cursor=page.cursor
    )
    return Page[InstrumentRead](
        items=[InstrumentRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createInstrument",
    status_code=status.HTTP_201_CREATED,
    response_model=InstrumentRead,
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_instrument(
    body: InstrumentCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create a draft instrument (centre or institute staff); publish it to list it."""
    return await idem.run(
        lambda: instruments.create(session, actor, body.to_input()),
        InstrumentRead,
        location=lambda r: f"/api/v1/instruments/{r.id}",
    )


@router.get(
    "/{instrument_id}",
    operation_id="getInstrument",
    response_model=InstrumentRead,
    responses=NOT_FOUND,
    openapi_extra=OPTIONAL_BEARER,
)
@resolves(optional_read_actor, get_read_session)
async def get_instrument(instrument_id: uuid.UUID, request: Request) -> Instrument:
    """One instrument: published ones to anyone, drafts and archived ones to the owner's staff only."""
    actor = await optional_read_actor(request)  # resolved here, not declared (deps.resolves)
    return await instruments.get((await get_read_session(request)).orm, actor, instrument_id)


@router.patch(
    "/{instrument_id}",
    operation_id="updateInstrument",
    response_model=InstrumentRead,
    responses={**CHANGE, 409: problem(catalogue.ListingArchived), 422: problem(Invalid)},
)
async def update_instrument(
    instrument_id: uuid.UUID, body: InstrumentUpdate, actor: CurrentActor, session: SessionDep
) -> Instrument:
    """Change a draft or published instrument (owner's staff); search sees the change at once."""
    return await instruments.update(session, actor, instrument_id, body.to_changes())


@router.post(
    "/{instrument_id}/publish",
    operation_id="publishInstrument",
    response_model=InstrumentRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def publish_instrument(instrument_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> Instrument:
    """Publish a draft or archived instrument (it needs a rate card): it becomes public and searchable."""
    return await instruments.publish(session, actor, instrument_id)


@router.post(
    "/{instrument_id}/archive",
    operation_id="archiveInstrument",
    response_model=InstrumentRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def archive_instrument(instrument_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> Instrument:
    """Archive a published instrument: it leaves the catalogue and search; the owner still sees it."""
    return await instruments.archive(session, actor, instrument_id)


@router.get(
    "/{instrument_id}/blackouts",
    operation_id="listInstrumentBlackouts",
    response_model=Page[BlackoutRead],
    responses=NOT_FOUND,
)
async def list_blackouts(
    instrument_id: uuid.UUID, actor: OptionalActor, session: SessionDep, page: PageDep
) -> Page[BlackoutRead]:
    """Maintenance blackouts of a visible instrument, by start time."""
    result = await instruments.list_blackouts(session, actor, instrument_id, limit=page.limit, cursor=page.cursor)
    return Page[BlackoutRead](
        items=[BlackoutRead.model_validate(b) for b in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{instrument_id}/blackouts",
    operation_id="addInstrumentBlackout",
    status_code=status.HTTP_201_CREATED,
    response_model=BlackoutRead,
    responses={**CHANGE, 422: problem(Invalid)},
)
async def add_blackout(
    instrument_id: uuid.UUID, body: BlackoutCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Block [starts_at, ends_at) for maintenance (owner's staff); availability excludes it."""
    return await idem.run(
        lambda: instruments.add_blackout(
            session, actor, instrument_id, starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason
        ),
        BlackoutRead,
        location=lambda b: f"/api/v1/instruments/{instrument_id}/blackouts/{b.id}",
    )


@router.delete(
    "/{instrument_id}/blackouts/{blackout_id}",
    operation_id="removeInstrumentBlackout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**CHANGE, 404: problem(instruments.BlackoutNotFound)},
)
async def remove_blackout(
    instrument_id: uuid.UUID, blackout_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> None:
    """Delete a blackout (owner's staff)."""
    await instruments.remove_blackout(session, actor, instrument_id, blackout_id)


@router.get(
    "/{instrument_id}/availability",
    operation_id="getInstrumentAvailability",
    response_model=Availability,
    responses={**NOT_FOUND, 422: problem(Invalid)},
    openapi_extra=OPTIONAL_BEARER,
)
async def get_availability(
    instrument_id: uuid.UUID,
    actor: OptionalReadActor,
    session: ReadSessionDep,
    from_: Annotated[Instant, Query(alias="from", description="Start, RFC 3339 with offset")],
    to: Annotated[Instant, Query(description="End (exclusive), RFC 3339 with offset; at most 92 days after from")],
) -> Availability:
    """Free time in [from, to): weekly opening hours (in the centre's time zone) minus maintenance
    blackouts and active bookings, as merged half-open UTC intervals."""
    instrument, free = await instruments.availability_of(session.orm, actor, instrument_id, start=from_, end=to)
    return Availability(
        instrument_id=instrument.id,
        timezone=instrument.timezone,
        start=from_,
        end=to,
        free=[Interval(start=s, end=e) for s, e in free],
    )
