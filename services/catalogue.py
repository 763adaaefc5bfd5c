"""What every catalogue listing shares: ownership, visibility, the draft → published → archived
life cycle, technical fields and the search text.

Visibility: published listings are public (anonymous callers too); drafts and archived listings
are seen only by staff of the owning centre or institute (or of its parent centre) and by platform
administrators. Anything else is 404. Only the owner's staff change a listing (403 for others who
can see it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.catalogue import Listing, ListingField
from models.enums import PROVIDER_KINDS, PROVIDER_ROLES, TECH_FIELD_NAMES, ListingStatus, TechField
from models.organisations import Organisation
from services import clock, segmentation
from services.actors import Actor
from services.db import retry_read
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.pagination import Page, SortKey, paginate

L = TypeVar("L", bound=Listing)

# Fields every kind shares, settable on create and update.
COMMON_FIELDS = (
    "title",
    "title_en",
    "abstract",
    "abstract_en",
    "keywords",
    "contact_name",
    "contact_email",
    "contact_phone",
)


class ListingNotFound(NotFound):
    title = "Listing not found"
    slug = "listing-not-found"


class ListingArchived(Conflict):
    title = "The listing is archived; publish it again before changing it"
    slug = "listing-archived"


class InvalidListingTransition(Conflict):
    title = "The listing is not in a state that allows this"
    slug = "invalid-listing-transition"


def visible_listings(actor: Actor | None, model: type[L] = Listing) -> Select[tuple[L]]:  # type: ignore[assignment]
    """Listings of `model` the actor may read: published ones, plus their own organisations' others."""
    return select(model).where(visible_condition(actor))


def visible_condition(actor: Actor | None) -> ColumnElement[bool]:
    """The WHERE condition of `visible_listings` on the `listings` table (for Core reads too)."""
    if actor is not None and actor.is_platform_admin:
        return true()
    own = actor.provider_org_ids() if actor is not None else set()
    if own:
        return or_(Listing.status == ListingStatus.published, Listing.owner_org_id.in_(own))
    return Listing.status == ListingStatus.published


async def get_visible(
    session: AsyncSession, actor: Actor | None, model: type[L], listing_id: uuid.UUID, *options: Any
) -> L:
    """One visible listing of `model`, else 404 (on a read session: retried on a dead pooled connection)."""
    stmt = visible_listings(actor, model).where(model.id == listing_id).options(*options)
    listing = await retry_read(session, lambda: session.scalar(stmt))
    if listing is None:
        raise ListingNotFound(f"no {model.__tablename__.replace('_', ' ').rstrip('s')} with this id")
    return listing


def require_owner_staff(actor: Actor | None, listing: Listing) -> None:
    """403 unless the actor is staff of the owning organisation (or its parent centre)."""
    if actor is None or (listing.owner_org_id not in actor.provider_org_ids() and not actor.is_platform_admin):
        raise RoleNotAllowed("only staff of the owning centre or institute may change this listing")


async def get_owned(
    session: AsyncSession, actor: Actor, model: type[L], listing_id: uuid.UUID, *options: Any, for_update: bool = True
) -> L:
    """A listing the actor may change: visible (else 404) and owned by the actor's organisation (else 403)."""
    stmt = visible_listings(actor, model).where(model.id == listing_id).options(*options)
    if for_update:
        stmt = stmt.with_for_update(of=Listing)
    listing = await session.scalar(stmt)
    if listing is None:
        raise ListingNotFound()
    require_owner_staff(actor, listing)
    return listing


async def resolve_owner(session: AsyncSession, actor: Actor, owner_org_id: uuid.UUID | None) -> Organisation:
    """The centre or institute a new listing belongs to: given, or the actor's only one."""
    orgs = actor.require_provider_staff() if not actor.is_platform_admin else actor.provider_org_ids()
    if owner_org_id is None:
        # Default: the one centre or institute the actor is directly a member of (HQ staff also
        # act for the institutes, but their own listings belong to the centre).
        direct = {m.organisation_id for m in actor.memberships if m.role in PROVIDER_ROLES and m.kind in PROVIDER_KINDS}
        if len(direct) != 1:
            raise Invalid("you act for several organisations; say which owns the listing", loc=["body", "owner_org_id"])
        owner_org_id = next(iter(direct))
    elif owner_org_id not in orgs and not actor.is_platform_admin:
        raise RoleNotAllowed("you are not staff of that centre or institute")
    owner = await session.get(Organisation, owner_org_id)
    if owner is None or owner.kind not in PROVIDER_KINDS:
        raise Invalid("the owner must be a centre or an institute", loc=["body", "owner_org_id"])
    return owner


def centre_of(org: Organisation) -> uuid.UUID:
    """The centre an organisation belongs to: itself, or an institute's parent."""
    return org.parent_id or org.id


def apply_common(listing: Listing, data: dict[str, Any]) -> None:
    """Copy shared fields (those present in `data`) onto the listing."""
    for name in COMMON_FIELDS:
        if name in data:
            setattr(listing, name, data[name])
    if "fields" in data:
        listing.fields = [TechField(f).value for f in data["fields"]]


def set_price(listing: Listing, money: dict[str, Any] | None) -> None:
    if money is None:
        listing.price_amount = None
        return
    if money["amount"] < 0:
        raise Invalid("a price cannot be negative", loc=["body", "price", "amount"])
    listing.price_amount = money["amount"]
    listing.price_currency = money.get("currency", "CNY")


async def sync_fields(session: AsyncSession, listing: Listing) -> None:
    """Mirror `listing.fields` into listing_fields (the filter table)."""
    await session.execute(delete(ListingField).where(ListingField.listing_id == listing.id))
    session.add_all(ListingField(listing_id=listing.id, field=TechField(f)) for f in dict.fromkeys(listing.fields))


async def refresh_search_text(session: AsyncSession, listing: Listing, extra: Iterable[str | None] = ()) -> None:
    """Recompute the segmented search text; the index follows in the same transaction."""
    owner = await session.get(Organisation, listing.owner_org_id)
    field_names = [TECH_FIELD_NAMES[TechField(f)] + " " + f.replace("_", " ") for f in listing.fields]
    listing.search_text = segmentation.index_tokens(
        # Titles go in twice: a word in the title ranks higher than one in the abstract.
        listing.title,
        listing.title,
        listing.title_en,
        listing.title_en,
        listing.abstract,
        listing.abstract_en,
        " ".join(listing.keywords or []),
        " ".join(field_names),
        owner.name if owner else None,
        owner.name_en if owner else None,
        *extra,
    )
    listing.title_text = segmentation.index_tokens(listing.title, listing.title_en)


async def _next_publication_seq(session: AsyncSession) -> int:
    """The next publication number: a sequence on PostgreSQL; on SQLite max + 1, safe because every
    write transaction there holds the write lock from its start (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        return (await session.execute(select(func.nextval("listing_publication_seq")))).scalar_one()
    latest = (await session.execute(select(func.max(Listing.publication_seq)))).scalar_one()
    return (latest or 0) + 1


async def publish(session: AsyncSession, actor: Actor, model: type[L], listing_id: uuid.UUID, *options: Any) -> L:
    """Make a draft (or an archived listing) public and searchable."""
    listing = await get_owned(session, actor, model, listing_id, *options)
    if listing.status is ListingStatus.published:
        raise InvalidListingTransition("the listing is already published")
    listing.status = ListingStatus.published
    listing.published_at = clock.now()
    listing.publication_seq = await _next_publication_seq(session)
    listing.archived_at = None
    await session.flush()
    return listing


async def archive(session: AsyncSession, actor: Actor, model: type[L], listing_id: uuid.UUID, *options: Any) -> L:
    """Withdraw a published listing from the catalogue and search; the owner still sees it."""
    listing = await get_owned(session, actor, model, listing_id, *options)
    if listing.status is not ListingStatus.published:
        raise InvalidListingTransition("only a published listing can be archived")
    listing.status = ListingStatus.archived
    listing.archived_at = clock.now()
    await session.flush()
    return listing


def ensure_editable(listing: Listing) -> None:
    if listing.status is ListingStatus.archived:
        raise ListingArchived()


async def list_visible(
    session: AsyncSession,
    actor: Actor | None,
    model: type[L],
    *,
    status: ListingStatus | None,
    owner_org_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    options: Iterable[Any] = (),
) -> Page[L]:
    """A page of visible listings of one kind, newest first."""
    stmt = visible_listings(actor, model).options(*options)
    if status is not None:
        stmt = stmt.where(model.status == status)
    if owner_org_id is not None:
        stmt = stmt.where(model.owner_org_id == owner_org_id)
    return await paginate(
        session,
        stmt,
        [SortKey(model.created_at, descending=True), SortKey(model.id, descending=True)],
        limit=limit,
        cursor=cursor,
    )
