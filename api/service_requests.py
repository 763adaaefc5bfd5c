"""Service requests: SMEs ask for service offers; providers accept, answer with a proposal, or decline."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.contracts import ContractRead
from api.schemas.proposals import ProposalRead, ProposalTerms
from api.schemas.service_requests import ServiceRequestCreate, ServiceRequestDecline, ServiceRequestRead
from models.enums import ServiceRequestStatus
from models.service_requests import ServiceRequest
from services import proposals, service_offers, service_requests
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=API_PREFIX, tags=["service requests"])

NOT_FOUND: Responses = {404: problem(service_requests.ServiceRequestNotFound)}


@router.post(
    "/service-offers/{offer_id}/requests",
    operation_id="requestService",
    status_code=status.HTTP_201_CREATED,
    response_model=ServiceRequestRead,
    responses={
        404: problem(service_offers.ServiceOfferNotFound),
        403: problem(RoleNotAllowed),
        409: problem(service_requests.OfferNotRequestable),
    },
)
async def request_service(
    offer_id: uuid.UUID, body: ServiceRequestCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Ask for a published service offer (SME staff). The offer's terms are copied onto the request and
    the provider's staff are notified."""

    async def run() -> ServiceRequest:
        return await service_requests.create(session, actor, offer_id, body.to_input())

    return await idem.run(run, ServiceRequestRead, location=lambda r: f"/api/v1/service-requests/{r.id}")


@router.get("/service-requests", operation_id="listServiceRequests", response_model=Page[ServiceRequestRead])
async def list_service_requests(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ServiceRequestStatus | None, Query(alias="status")] = None,
    role: Annotated[
        Literal["client", "provider"] | None,
        Query(description="`client`: requests your SMEs made; `provider`: requests to your centres and institutes"),
    ] = None,
) -> Page[ServiceRequestRead]:
    """Service requests the caller's organisations made or received, newest first."""
    result = await service_requests.list_visible(
        session, actor, status=status_, role=role, limit=page.limit, cursor=page.cursor
    )
    return Page[ServiceRequestRead](
        items=[ServiceRequestRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.get(
    "/service-requests/{request_id}",
    operation_id="getServiceRequest",
    response_model=ServiceRequestRead,
    responses=NOT_FOUND,
)
async def get_service_request(
    request_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> service_requests.RequestView:
    """One request, for the requesting SME and the provider only (404 for everyone else)."""
    return await service_requests.read(session, actor, request_id)


@router.post(
    "/service-requests/{request_id}/accept",
    operation_id="acceptServiceRequest",
    status_code=status.HTTP_201_CREATED,
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(service_requests.NotFixedPrice, service_requests.ServiceRequestClosed),
    },
)
async def accept_service_request(
    request_id: uuid.UUID, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Accept a fixed-price request directly (provider staff): returns the draft contract at the offer's
    price times the quantity, with one delivery milestone due after the offer's lead time."""

    return await idem.run(
        lambda: service_requests.accept(session, actor, request_id),
        ContractRead,
        location=lambda c: f"/api/v1/contracts/{c.id}",
    )


@router.post(
    "/service-requests/{request_id}/decline",
    operation_id="declineServiceRequest",
    response_model=ServiceRequestRead,
    responses={**NOT_FOUND, 403: problem(RoleNotAllowed), 409: problem(service_requests.ServiceRequestClosed)},
)
async def decline_service_request(
    request_id: uuid.UUID, body: ServiceRequestDecline, actor: CurrentActor, session: SessionDep
) -> ServiceRequest:
    """Decline an open request with a reason (provider staff); the SME is notified."""
    return await service_requests.decline(session, actor, request_id, reason=body.reason)


@router.post(
    "/service-requests/{request_id}/withdraw",
    operation_id="withdrawServiceRequest",
    response_model=ServiceRequestRead,
    responses={**NOT_FOUND, 403: problem(RoleNotAllowed), 409: problem(service_requests.ServiceRequestClosed)},
)
async def withdraw_service_request(request_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> ServiceRequest:
    """Withdraw an open request (the requesting SME's staff); a pending proposal on it is declined."""
    return await service_requests.withdraw(session, actor, request_id)


@router.get(
    "/service-requests/{request_id}/proposals",
    operation_id="listServiceRequestProposals",
    response_model=Page[ProposalRead],
    responses=NOT_FOUND,
)
async def list_request_proposals(
    request_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[ProposalRead]:
    """Proposals answering a request (the current one and any withdrawn or declined before it)."""
    result = await proposals.list_for_request(session, actor, request_id, limit=page.limit, cursor=page.cursor)
    return Page[ProposalRead](
        items=[ProposalRead.model_validate(v) for v in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/service-requests/{request_id}/proposals",
    operation_id="proposeForServiceRequest",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalRead,
    responses={
        **NOT_FOUND,
        403: problem(RoleNotAllowed),
        409: problems_doc(service_requests.ServiceRequestClosed, proposals.ProposalAlreadyLive),
        422: problem(Invalid),
    },
)
async def propose_for_request(
    request_id: uuid.UUID, body: ProposalTerms, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Answer a request with a proposal (provider staff): the same proposal object and flow as on problems
    (milestones sum to the price; the SME accepts it with `POST /proposals/{id}/accept`)."""

    async def run() -> proposals.ProposalView:
        return await proposals.submit_for_request(session, actor, request_id, body.to_terms())

    return await idem.run(run, ProposalRead, location=lambda v: f"/api/v1/proposals/{v.proposal.id}")
