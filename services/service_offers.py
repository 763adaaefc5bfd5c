"""Service offers: contract R&D (合同研发), testing (检验检测) and consulting (技术咨询)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ListingKind, ListingStatus, PriceModel, ServiceKind
from models.service_offers import ServiceOffer
from services import catalogue
from services.actors import Actor
from services.errors import Invalid

SERVICE_KIND_WORDS = {"contract_rd": "合同研发 技术开发", "testing": "检验检测 测试", "consulting": "技术咨询"}


class ServiceOfferNotFound(catalogue.ListingNotFound):
    title = "Service offer not found"
    slug = "service-offer-not-found"


# The verbs every kind of listing shares (services/catalogue.py), for service offers.
OFFERS = catalogue.Listings(ServiceOffer, ServiceOfferNotFound)
get, owned, list_visible = OFFERS.get, OFFERS.owned, OFFERS.list_visible
publish, archive = OFFERS.publish, OFFERS.archive


def _apply(offer: ServiceOffer, data: dict[str, Any]) -> None:
    catalogue.apply_common(offer, data)
    if "service_kind" in data:
        offer.service_kind = ServiceKind(data["service_kind"])
    if "price_model" in data:
        offer.price_model = PriceModel(data["price_model"])
    for name in ("lead_time_days", "deliverables"):
        if name in data:
            setattr(offer, name, data[name])
    if "price" in data:
        catalogue.set_price(offer, data["price"])
    if offer.price_model is PriceModel.quote:
        offer.price_amount = None  # priced by a proposal on each request
    elif offer.price_amount is None:
        raise Invalid(f"a {offer.price_model.value} offer needs a price", loc=["body", "price"])


async def _reindex(session: AsyncSession, offer: ServiceOffer) -> None:
    await catalogue.sync_fields(session, offer)
    extra = [SERVICE_KIND_WORDS[offer.service_kind.value], offer.service_kind.value.replace("_", " ")]
    await catalogue.refresh_search_text(session, offer, [*extra, *offer.deliverables])
    await session.flush()


async def create(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> ServiceOffer:
    """A new draft offer owned by one of the actor's centres or institutes."""
    owner = await catalogue.resolve_owner(session, actor, data.get("owner_org_id"))
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


async def update(session: AsyncSession, actor: Actor, offer_id: uuid.UUID, changes: dict[str, Any]) -> ServiceOffer:
    """Change a draft or published offer; the search index follows in the same transaction."""
    offer = await owned(session, actor, offer_id)
    catalogue.ensure_editable(offer)
    _apply(offer, changes)
    await _reindex(session, offer)
    return offer
