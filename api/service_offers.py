"""Service offers: contract R&D, testing and consulting."""

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
from api.schemas.service_offers import ServiceOfferCreate, ServiceOfferRead, ServiceOfferUpdate
from models.enums import ListingStatus
from models.service_offers import ServiceOffer
from services import catalogue, service_offers
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/service-offers", tags=["catalogue"])
NOT_FOUND: Responses = {404: problem(service_offers.ServiceOfferNotFound)}
CHANGE: Responses = {**NOT_FOUND, 403: problem(RoleNotAllowed)}


@router.get("", operation_id="listServiceOffers", response_model=Page[ServiceOfferRead])
async def list_service_offers(
    actor: OptionalActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ListingStatus | None, Query(alias="status", description="Only this state")] = None,
    owner_org_id: Annotated[uuid.UUID | None, Query(description="Only this centre or institute's")] = None,
) -> Page[ServiceOfferRead]:
    """Published offers (anyone), plus drafts and archived ones of the caller's organisations; newest first."""
    result = await service_offers.list_visible(
        session, actor, status=status_, owner_org_id=owner_org_id, limit=page.limit, cursor=page.cursor
    )
    return Page[ServiceOfferRead](
        items=[ServiceOfferRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createServiceOffer",
    status_code=status.HTTP_201_CREATED,
    response_model=ServiceOfferRead,
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_service_offer(
    body: ServiceOfferCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create a draft offer (centre or institute staff); publish it to list it."""
    return await idem.run(
        lambda: service_offers.create(session, actor, body.to_input()),
        ServiceOfferRead,
        location=lambda r: f"/api/v1/service-offers/{r.id}",
    )


@router.get(
    "/{offer_id}",
    operation_id="getServiceOffer",
    response_model=ServiceOfferRead,
    responses=NOT_FOUND,
    openapi_extra=OPTIONAL_BEARER,
)
@resolves(optional_read_actor, get_read_session)
async def get_service_offer(offer_id: uuid.UUID, request: Request) -> ServiceOffer:
    """One offer: published ones to anyone, drafts and archived ones to the owner's staff only."""
    actor = await optional_read_actor(request)  # resolved here, not declared (deps.resolves)
    return await service_offers.get((await get_read_session(request)).orm, actor, offer_id)


@router.patch(
    "/{offer_id}",
    operation_id="updateServiceOffer",
    response_model=ServiceOfferRead,
    responses={**CHANGE, 409: problem(catalogue.ListingArchived), 422: problem(Invalid)},
)
async def update_service_offer(
    offer_id: uuid.UUID, body: ServiceOfferUpdate, actor: CurrentActor, session: SessionDep
) -> ServiceOffer:
    """Change a draft or published offer (owner's staff); search sees the change at once."""
    return await service_offers.update(session, actor, offer_id, body.to_changes())


@router.post(
    "/{offer_id}/publish",
    operation_id="publishServiceOffer",
    response_model=ServiceOfferRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def publish_service_offer(offer_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ServiceOffer:
    """Publish a draft or archived offer: it becomes public and searchable."""
    return await service_offers.publish(session, actor, offer_id)


@router.post(
    "/{offer_id}/archive",
    operation_id="archiveServiceOffer",
    response_model=ServiceOfferRead,
    responses={**CHANGE, 409: problem(catalogue.InvalidListingTransition)},
)
async def archive_service_offer(offer_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ServiceOffer:
    """Archive a published offer: it leaves the catalogue and search; the owner still sees it."""
    return await service_offers.archive(session, actor, offer_id)
