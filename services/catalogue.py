"""What every catalogue listing shares: ownership, visibility, the draft → published → archived
life cycle, technical fields and the search text.

Visibility: published listings are public (anonymous callers too); drafts and archived listings
are seen only by staff of the owning centre or institute (or of its parent centre) and by platform
administrators. Anything else is 404. Only the owner's staff change a listing (403 for others who
can see it).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from sqlalchemy import Select, delete, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.elements import ColumnElement

from models.catalogue import Listing, ListingField
from models.enums import PROVIDER_KINDS, TECH_FIELD_NAMES, ListingStatus, TechField
from models.organisations import Organisation
from services import clock, segmentation
from services.actors import Actor
from services.db import retry_read
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.pagination import Page, SortKey, paginate

L = TypeVar("L", bound=Listing)
T = TypeVar("T")


class Unset(enum.Enum):
    """A field a change leaves as it is (a PATCH body without it); None, where allowed, clears it."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def required(value: T | None) -> T | Unset:
    """A change to a field that cannot be cleared: None means the request left it out."""
    return UNSET if value is None else value


@dataclass(frozen=True)
class Price:
    """An amount in integer minor units (never negative: the wire schema refuses it) and its currency."""

    amount: int
    currency: str = "CNY"


@dataclass(frozen=True)
class Measurement:
    """A named value with an optional unit: a result's key metric, an instrument's specification."""

    name: str
    value: str
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListingInput:
    """What every new listing gives (each kind's input adds its own fields)."""

    title: str
    abstract: str
    fields: Sequence[TechField]
    title_en: str | None = None
    abstract_en: str | None = None
    keywords: Sequence[str] = ()
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListingChanges:
    """Changes to what every listing shares: UNSET leaves a field as it is, None clears an optional one."""

    title: str | Unset = UNSET
    title_en: str | Unset | None = UNSET
    abstract: str | Unset = UNSET
    abstract_en: str | Unset | None = UNSET
    fields: Sequence[TechField] | Unset = UNSET
    keywords: Sequence[str] | Unset = UNSET
    contact_name: str | Unset | None = UNSET
    contact_email: str | Unset | None = UNSET
    contact_phone: str | Unset | None = UNSET


class ListingNotFound(NotFound):
    title = "Listing not found"
    slug = "listing-not-found"


class ListingArchived(Conflict):
    title = "The listing is archived; publish it again before changing it"
    slug = "listing-archived"


class InvalidListingTransition(Conflict):
    title = "The listing is not in a state that allows this"
    slug = "invalid-listing-transition"


# mypy cannot see that the default, Listing, satisfies the type variable bound to it.
def visible_listings(actor: Actor | None, model: type[L] = Listing) -> Select[L]:  # type: ignore[assignment]
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


def require_owner_staff(actor: Actor | None, listing: Listing) -> None:
    """403 unless the actor is staff of the owning organisation (or its parent centre). Platform
    administrators read every listing but change none (docs/security.md, "Roles' reach")."""
    if actor is None or listing.owner_org_id not in actor.provider_org_ids():
        raise RoleNotAllowed("only staff of the owning centre or institute may change this listing")


class Listings(Generic[L]):
    """The reads and life-cycle verbs every kind of listing shares, for one kind: its model, the
    404 that names it, and the relationships loaded with it. Each kind's module binds them
    (`service_offers.get = OFFERS.get`, ...); `LISTINGS` serves any kind."""

    def __init__(self, model: type[L], not_found: type[ListingNotFound], *load: ORMOption) -> None:
        self.model = model
        self.not_found = not_found
        self.load = load

    def _one(self, actor: Actor | None, listing_id: uuid.UUID) -> Select[L]:
        return visible_listings(actor, self.model).where(self.model.id == listing_id).options(*self.load)

    async def get(self, session: AsyncSession, actor: Actor | None, listing_id: uuid.UUID) -> L:
        """One visible listing, else 404 (on a read session: retried on a dead pooled connection)."""
        stmt = self._one(actor, listing_id)
        listing = await retry_read(session, lambda: session.scalar(stmt))
        if listing is None:
            raise self.not_found()
        return listing

    async def owned(self, session: AsyncSession, actor: Actor, listing_id: uuid.UUID, *, for_update: bool = True) -> L:
        """A listing the actor may change: visible (else 404) and owned by the actor's organisation
        (else 403); locked for the transaction unless `for_update=False`."""
        stmt = self._one(actor, listing_id)
        if for_update:
            stmt = stmt.with_for_update(of=Listing)
        listing = await session.scalar(stmt)
        if listing is None:
            raise self.not_found()
        require_owner_staff(actor, listing)
        return listing

    async def list_visible(
        self,
        session: AsyncSession,
        actor: Actor | None,
        *,
        status: ListingStatus | None,
        owner_org_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[L]:
        """A page of visible listings, newest first."""
        stmt = visible_listings(actor, self.model).options(*self.load)
        if status is not None:
            stmt = stmt.where(self.model.status == status)
        if owner_org_id is not None:
            stmt = stmt.where(self.model.owner_org_id == owner_org_id)
        keys = [SortKey(self.model.created_at, descending=True), SortKey(self.model.id, descending=True)]
        return await paginate(session, stmt, keys, limit=limit, cursor=cursor)

    async def publish(self, session: AsyncSession, actor: Actor, listing_id: uuid.UUID) -> L:
        """Publish a draft (or archived) listing: it becomes public and searchable."""
        listing = await self.owned(session, actor, listing_id)
        await publish_listing(session, listing)
        return listing

    async def archive(self, session: AsyncSession, actor: Actor, listing_id: uuid.UUID) -> L:
        """Withdraw a published listing from the catalogue and search; the owner still sees it."""
        listing = await self.owned(session, actor, listing_id)
        await archive_listing(session, listing)
        return listing


LISTINGS = Listings(Listing, ListingNotFound)


async def resolve_owner(session: AsyncSession, actor: Actor, owner_org_id: uuid.UUID | None) -> Organisation:
    """The centre or institute a new listing belongs to: given, or the one the actor acts for."""
    candidates = actor.provider_org_ids()
    org_id = actor.acting_org(candidates, owner_org_id, "centre or institute staff", field="owner_org_id")
    owner = await session.get(Organisation, org_id)
    if owner is None or owner.kind not in PROVIDER_KINDS:
        raise Invalid("the owner must be a centre or an institute", loc=["body", "owner_org_id"])
    return owner


def centre_of(org: Organisation) -> uuid.UUID:
    """The centre an organisation belongs to: itself, or an institute's parent."""
    return org.parent_id or org.id


def apply_common(listing: Listing, data: ListingInput | ListingChanges) -> None:
    """Copy the shared fields a new listing or a change gives onto the listing."""
    if data.title is not UNSET:
        listing.title = data.title
    if data.title_en is not UNSET:
        listing.title_en = data.title_en
    if data.abstract is not UNSET:
        listing.abstract = data.abstract
    if data.abstract_en is not UNSET:
        listing.abstract_en = data.abstract_en
    if data.fields is not UNSET:
        listing.fields = [TechField(f).value for f in data.fields]
    if data.keywords is not UNSET:
        listing.keywords = list(data.keywords)
    if data.contact_name is not UNSET:
        listing.contact_name = data.contact_name
    if data.contact_email is not UNSET:
        listing.contact_email = data.contact_email
    if data.contact_phone is not UNSET:
        listing.contact_phone = data.contact_phone


def set_price(listing: Listing, price: Price | None) -> None:
    """The headline price; None means negotiable or quoted on request."""
    if price is None:
        listing.price_amount = None
        return
    listing.price_amount = price.amount
    listing.price_currency = price.currency


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


async def publish_listing(session: AsyncSession, listing: Listing) -> None:
    """The transition to published, for a listing the caller already holds as its owner's staff."""
    if listing.status is ListingStatus.published:
        raise InvalidListingTransition("the listing is already published")
    listing.status = ListingStatus.published
    listing.published_at = clock.now()
    listing.publication_seq = await _next_publication_seq(session)
    listing.archived_at = None
    await session.flush()


async def archive_listing(session: AsyncSession, listing: Listing) -> None:
    """The transition to archived, for a listing the caller already holds as its owner's staff."""
    if listing.status is not ListingStatus.published:
        raise InvalidListingTransition("only a published listing can be archived")
    listing.status = ListingStatus.archived
    listing.archived_at = clock.now()
    await session.flush()


def ensure_editable(listing: Listing) -> None:
    if listing.status is ListingStatus.archived:
        raise ListingArchived()
