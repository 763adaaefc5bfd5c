"""Service requests: an SME asks for a centre's service offer; the provider accepts a fixed-price
request directly (a draft contract at the offer's price) or answers with a proposal (the same
proposal object and flow as on problems; see services/proposals/), or declines.

Visibility (`visible_service_requests`): the requesting SME's members and the providing
organisation's staff (HQ staff for their institutes); everyone else gets 404.

States: submitted -> quoted (a proposal is pending) -> accepted (a draft contract exists) |
declined (by the provider) | withdrawn (by the SME). Every change locks the request row first
(SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so a direct acceptance and a
withdrawal, or two acceptances, cannot both win. Every state change of a request is made here;
proposals ask through `mark_quoted`, `reopen` and `accept_with_proposal`, and this module asks
proposals to `decline_live` the pending proposal when a request is decided.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import Contract
from models.enums import (
    SME_ROLES,
    ContractSource,
    ContractType,
    ListingStatus,
    PriceModel,
    ServiceKind,
    ServiceRequestStatus,
)
from models.proposals import Proposal
from models.service_requests import ServiceRequest
from services import clock, contracts, notifications, proposals, service_offers  # proposals imports this too
from services.actors import Actor
from services.errors import Conflict, NotFound, RoleNotAllowed
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate

St = ServiceRequestStatus
OPEN_STATES = (St.submitted, St.quoted)

# The Civil Code contract a service kind leads to.
CONTRACT_TYPE_FOR_KIND = {
    ServiceKind.contract_rd: ContractType.development,
    ServiceKind.testing: ContractType.service,
    ServiceKind.consulting: ContractType.consulting,
}


class ServiceRequestNotFound(NotFound):
    title = "Service request not found"
    slug = "service-request-not-found"


class ServiceRequestClosed(Conflict):
    title = "The service request is no longer open (accepted, declined or withdrawn)"
    slug = "service-request-closed"


class OfferNotRequestable(Conflict):
    title = "Only published service offers can be requested"
    slug = "offer-not-requestable"


class NotFixedPrice(Conflict):
    title = "Only fixed-price requests can be accepted directly; answer with a proposal instead"
    slug = "not-fixed-price"


@dataclass(frozen=True)
class RequestInput:
    message: str
    quantity: int | None = None
    needed_by: date | None = None
    organisation_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RequestView:
    """A request with the draft contract it led to, if any."""

    request: ServiceRequest
    contract_id: uuid.UUID | None


def visible_service_requests(actor: Actor) -> Select[ServiceRequest]:
    """Requests of the actor's SMEs, and requests to the actor's centres and institutes."""
    stmt = select(ServiceRequest)
    if actor.is_platform_admin:
        return stmt
    orgs = list(actor.working_org_ids)
    return stmt.where(or_(ServiceRequest.sme_org_id.in_(orgs), ServiceRequest.provider_org_id.in_(orgs)))


async def get(session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, lock: bool = False) -> ServiceRequest:
    """One visible request, else 404; `lock` takes the row lock for a state change."""
    stmt = visible_service_requests(actor).where(ServiceRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    request = await session.scalar(stmt)
    if request is None:
        raise ServiceRequestNotFound()
    return request


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    status: ServiceRequestStatus | None,
    role: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ServiceRequest]:
    """The actor's requests (as an SME) and requests to them (as a provider), newest first."""
    stmt = visible_service_requests(actor)
    orgs = list(actor.private_org_ids)
    if role == "client":
        stmt = stmt.where(ServiceRequest.sme_org_id.in_(orgs))
    elif role == "provider":
        stmt = stmt.where(ServiceRequest.provider_org_id.in_(orgs))
    if status is not None:
        stmt = stmt.where(ServiceRequest.status == status)
    return await paginate(session, stmt, [SortKey(ServiceRequest.id, descending=True)], limit=limit, cursor=cursor)


async def read(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestView:
    """One visible request with its draft contract, if any, else 404."""
    request = await get(session, actor, request_id)
    contract_id = await session.scalar(select(Contract.id).where(Contract.service_request_id == request.id))
    return RequestView(request, contract_id)


async def create(session: AsyncSession, actor: Actor, offer_id: uuid.UUID, data: RequestInput) -> ServiceRequest:
    """An SME asks for a published offer; the offer's terms are copied onto the request."""
    offer = await service_offers.get(session, actor, offer_id)
    # Visibility first: what the caller cannot see is 404 whatever its role (issue 12 item 5).
    sme_id = actor.acting_org(actor.sme_ids(SME_ROLES), data.organisation_id, "SME staff")
    if offer.status is not ListingStatus.published:
        raise OfferNotRequestable()
    request = ServiceRequest(
        offer_id=offer.id,
        provider_org_id=offer.owner_org_id,
        sme_org_id=sme_id,
        requested_by=actor.user_id,
        status=St.submitted,
        message=data.message,
        quantity=data.quantity,
        needed_by=data.needed_by,
        offer_title=offer.title,
        service_kind=offer.service_kind,
        price_model=offer.price_model,
        offer_price_amount=offer.price_amount,
        currency=offer.price_currency,
        lead_time_days=offer.lead_time_days,
    )
    session.add(request)
    await session.flush()
    await notifications.send(
        session,
        Notice.service_request_received,
        about=offer.title,
        subject_id=request.id,
        organisation_ids=[offer.owner_org_id],
    )
    return request


def _require_provider_staff(actor: Actor, request: ServiceRequest) -> None:
    if request.provider_org_id not in actor.provider_org_ids():
        raise RoleNotAllowed("only the providing centre's or institute's staff may do this")


def _require_client_staff(actor: Actor, request: ServiceRequest) -> None:
    if request.sme_org_id not in actor.sme_ids(SME_ROLES):
        raise RoleNotAllowed("only the requesting SME's staff may do this")


def require_open(request: ServiceRequest) -> None:
    if request.status not in OPEN_STATES:
        raise ServiceRequestClosed()


async def lock_for_provider(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ServiceRequest:
    """The open request, locked, for its provider's staff (used by proposals on requests)."""
    request = await get(session, actor, request_id, lock=True)
    _require_provider_staff(actor, request)
    require_open(request)
    return request


async def lock_for_client(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ServiceRequest:
    """The open request, locked, for the requesting SME's staff (used when accepting a proposal)."""
    request = await get(session, actor, request_id, lock=True)
    _require_client_staff(actor, request)
    require_open(request)
    return request


async def accept(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> Contract:
    """The provider accepts a fixed-price request: a draft contract at the offer's price (times the
    quantity asked for), with one milestone due after the offer's lead time."""
    request = await lock_for_provider(session, actor, request_id)
    if request.price_model is not PriceModel.fixed or request.offer_price_amount is None:
        raise NotFixedPrice()
    value = request.offer_price_amount * (request.quantity or 1)
    request.status = St.accepted
    request.decided_by = actor.user_id
    request.decided_at = clock.now()
    await session.flush()
    await proposals.decline_live(session, request=request)
    contract = await contracts.create_draft(
        session,
        actor,
        contract_type=CONTRACT_TYPE_FOR_KIND[request.service_kind],
        title=request.offer_title,
        provider_org_id=request.provider_org_id,
        client_org_id=request.sme_org_id,
        value_amount=value,
        currency=request.currency,
        source=ContractSource.service_request,
        service_request_id=request.id,
        milestones=[
            contracts.MilestoneInput("交付 / Delivery", value, request.currency, request.lead_time_days),
        ],
    )
    await notify_client(session, request, Notice.service_request_accepted, contract.id)
    return contract


async def decline(session: AsyncSession, actor: Actor, request_id: uuid.UUID, *, reason: str) -> ServiceRequest:
    """The provider cannot take the request on; a pending proposal on it is declined too."""
    request = await lock_for_provider(session, actor, request_id)
    request.status = St.declined
    request.decline_reason = reason
    request.decided_by = actor.user_id
    request.decided_at = clock.now()
    await session.flush()
    await proposals.decline_live(session, request=request)
    await notify_client(session, request, Notice.service_request_declined, request.id, text=reason)
    return request


async def withdraw(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> ServiceRequest:
    """The SME takes back an open request."""
    request = await lock_for_client(session, actor, request_id)
    request.status = St.withdrawn
    request.decided_by = actor.user_id
    request.decided_at = clock.now()
    await session.flush()
    await proposals.decline_live(session, request=request)
    await notifications.send(
        session,
        Notice.service_request_withdrawn,
        about=request.offer_title,
        subject_id=request.id,
        organisation_ids=[request.provider_org_id],
    )
    return request


# State changes asked for by proposals (which hold the request's row lock, see `lock_for_provider`)


async def mark_quoted(session: AsyncSession, request: ServiceRequest) -> None:
    """A proposal answers the open request: it is now quoted."""
    require_open(request)
    request.status = St.quoted
    await session.flush()


async def reopen(session: AsyncSession, request: ServiceRequest) -> None:
    """Its proposal was withdrawn: a quoted request waits for an answer again (submitted)."""
    if request.status is St.quoted:
        request.status = St.submitted
        await session.flush()


async def accept_with_proposal(
    session: AsyncSession, actor: Actor, request: ServiceRequest, proposal: Proposal
) -> None:
    """The SME accepted the proposal answering its open request: the request is accepted."""
    if proposal.service_request_id != request.id:
        raise ValueError("the proposal answers another request")
    require_open(request)
    request.status = St.accepted
    request.decided_by = actor.user_id
    request.decided_at = clock.now()
    await session.flush()


async def notify_client(
    session: AsyncSession,
    request: ServiceRequest,
    notice: Notice,
    subject_id: uuid.UUID,
    *,
    text: str | None = None,
    **params: Any,
) -> None:
    """Tell the requesting SME's staff what happened to their request."""
    await notifications.send(
        session,
        notice,
        about=request.offer_title,
        subject_id=subject_id,
        organisation_ids=[request.sme_org_id],
        text=text,
        **params,
    )
