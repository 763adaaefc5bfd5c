"""Service offers: contract R&D (合同研发), testing (检验检测) and consulting (技术咨询)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ListingKind, ListingStatus, PriceModel, ServiceKind
from models.service_offers import ServiceOffer
from services import catalogue
from services.actors import Actor
from services.catalogue import UNSET, Unset
from services.errors import Invalid

SERVICE_KIND_WORDS = {"contract_rd": "合同研发 技术开发", "testing": "检验检测 测试", "consulting": "技术咨询"}


class ServiceOfferNotFound(catalogue.ListingNotFound):
    title = "Service offer not found"
    slug = "service-offer-not-found"


# The verbs every kind of listing shares (services/catalogue.py), for service offers.
OFFERS = catalogue.Listings(ServiceOffer, ServiceOfferNotFound)
get, owned, list_visible = OFFERS.get, OFFERS.owned, OFFERS.list_visible
publish, archive = OFFERS.publish, OFFERS.archive


@dataclass(frozen=True, kw_only=True)
class ServiceOfferInput:
    """A new service offer."""

    listing: catalogue.ListingInput
    service_kind: ServiceKind
    price_model: PriceModel
    owner_org_id: uuid.UUID | None = None
    price: catalogue.Price | None = None  # the fixed price or hourly rate; none for quote
    lead_time_days: int | None = None
    deliverables: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class ServiceOfferChanges:
    """Changes to an offer: UNSET leaves a field as it is, None clears an optional one."""

    listing: catalogue.ListingChanges = field(default_factory=catalogue.ListingChanges)
    service_kind: ServiceKind | Unset = UNSET
    price_model: PriceModel | Unset = UNSET
    price: catalogue.Price | Unset | None = UNSET
    lead_time_days: int | Unset | None = UNSET
    deliverables: Sequence[str] | Unset = UNSET


def _apply(offer: ServiceOffer, data: ServiceOfferInput | ServiceOfferChanges) -> None:
    catalogue.apply_common(offer, data.listing)
    if data.service_kind is not UNSET:
        offer.service_kind = data.service_kind
    if data.price_model is not UNSET:
        offer.price_model = data.price_model
    if data.lead_time_days is not UNSET:
        offer.lead_time_days = data.lead_time_days
    if data.deliverables is not UNSET:
        offer.deliverables = list(data.deliverables)
    if data.price is not UNSET:
        catalogue.set_price(offer, data.price)
    if offer.price_model is PriceModel.quote:
        offer.price_amount = None  # priced by a proposal on each request
    elif offer.price_amount is None:
        raise Invalid(f"a {offer.price_model.value} offer needs a price", loc=["body", "price"])


async def _reindex(session: AsyncSession, offer: ServiceOffer) -> None:
    await catalogue.sync_fields(session, offer)
    extra = [SERVICE_KIND_WORDS[offer.service_kind.value], offer.service_kind.value.replace("_", " ")]
    await catalogue.refresh_search_text(session, offer, [*extra, *offer.deliverables])
    await session.flush()


async def create(session: AsyncSession, actor: Actor, data: ServiceOfferInput) -> ServiceOffer:
    """A new draft offer owned by one of the actor's centres or institutes."""
    owner = await catalogue.resolve_owner(session, actor, data.owner_org_id)
    offer = ServiceOffer(
        kind=ListingKind.service_offer,
        status=ListingStatus.draft,
        owner_org_id=owner.id,
        centre_id=catalogue.centre_of(owner),
        created_by=actor.user_id,
        deliverables=[],
        keywords=[],
        fields=[],
    )
    _apply(offer, data)
    session.add(offer)
    await session.flush()
    await _reindex(session, offer)
    return offer


async def update(
    session: AsyncSession, actor: Actor, offer_id: uuid.UUID, changes: ServiceOfferChanges
) -> ServiceOffer:
    """Change a draft or published offer; the search index follows in the same transaction."""
    offer = await owned(session, actor, offer_id)
    catalogue.ensure_editable(offer)
    _apply(offer, changes)
    await _reindex(session, offer)
    return offer
