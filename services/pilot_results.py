"""Pilot-scale results (中试成果) ready for transfer: create, edit, publish, archive, read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import Listing
from models.enums import ListingKind, ListingStatus, PatentStatus, TransferMode
from models.pilot_results import PilotResult, PilotResultTransferMode
from services import catalogue
from services.actors import Actor
from services.catalogue import UNSET, Unset
from services.db import ReadSession, fetch_rows
from services.errors import Invalid


class PilotResultNotFound(catalogue.ListingNotFound):
    title = "Pilot-scale result not found"
    slug = "pilot-result-not-found"


# The verbs every kind of listing shares (services/catalogue.py), for pilot-scale results.
RESULTS = catalogue.Listings(PilotResult, PilotResultNotFound)
owned, list_visible = RESULTS.owned, RESULTS.list_visible
publish, archive = RESULTS.publish, RESULTS.archive


@dataclass(frozen=True)
class IpAsset:
    """A patent or application behind a result: a normalised CNIPA number (the wire schema checks it)."""

    number: str
    status: PatentStatus
    title: str | None = None


@dataclass(frozen=True, kw_only=True)
class PilotResultInput:
    """A new pilot-scale result."""

    listing: catalogue.ListingInput
    trl: int
    transfer_modes: Sequence[TransferMode]
    owner_org_id: uuid.UUID | None = None
    pilot_scale: str | None = None
    key_metrics: Sequence[catalogue.Measurement] = ()
    ip_assets: Sequence[IpAsset] = ()
    asking_price: catalogue.Price | None = None  # None: negotiable (面议)
    price_negotiable: bool = False


@dataclass(frozen=True, kw_only=True)
class PilotResultChanges:
    """Changes to a result: UNSET leaves a field as it is, None clears an optional one."""

    listing: catalogue.ListingChanges = field(default_factory=catalogue.ListingChanges)
    trl: int | Unset = UNSET
    pilot_scale: str | Unset | None = UNSET
    key_metrics: Sequence[catalogue.Measurement] | Unset = UNSET
    ip_assets: Sequence[IpAsset] | Unset = UNSET
    transfer_modes: Sequence[TransferMode] | Unset = UNSET
    asking_price: catalogue.Price | Unset | None = UNSET
    price_negotiable: bool | Unset = UNSET


def _ip_assets(assets: Sequence[IpAsset]) -> list[dict[str, Any]]:
    """The assets as stored; one patent may be listed once (its CN application and ZL grant are the same)."""
    seen = set()
    for i, asset in enumerate(assets):
        if asset.number[2:] in seen:
            raise Invalid("the same patent is listed twice", loc=["body", "ip_assets", i, "number"])
        seen.add(asset.number[2:])
    return [asdict(asset) for asset in assets]


def _apply(result: PilotResult, data: PilotResultInput | PilotResultChanges) -> None:
    catalogue.apply_common(result, data.listing)
    if data.trl is not UNSET:
        result.trl = data.trl
    if data.pilot_scale is not UNSET:
        result.pilot_scale = data.pilot_scale
    if data.key_metrics is not UNSET:
        result.key_metrics = [asdict(m) for m in data.key_metrics]
    if data.ip_assets is not UNSET:
        result.ip_assets = _ip_assets(data.ip_assets)
    if data.transfer_modes is not UNSET:
        result.transfer_modes = [TransferMode(m).value for m in dict.fromkeys(data.transfer_modes)]
    if data.asking_price is not UNSET:
        catalogue.set_price(result, data.asking_price)
    if data.price_negotiable is not UNSET:
        result.price_negotiable = data.price_negotiable
    if result.price_amount is None:
        result.price_negotiable = True  # no asking price means the price is negotiated


async def _reindex(session: AsyncSession, result: PilotResult) -> None:
    await catalogue.sync_fields(session, result)
    await session.execute(delete(PilotResultTransferMode).where(PilotResultTransferMode.pilot_result_id == result.id))
    session.add_all(
        PilotResultTransferMode(pilot_result_id=result.id, mode=TransferMode(m)) for m in result.transfer_modes
    )
    extra: list[str | None] = [f"{m['name']} {m.get('unit') or ''}" for m in result.key_metrics]
    extra += [f"{a['number']} {a.get('title') or ''}" for a in result.ip_assets]
    extra.append(result.pilot_scale)
    await catalogue.refresh_search_text(session, result, extra)
    await session.flush()


async def create(session: AsyncSession, actor: Actor, data: PilotResultInput) -> PilotResult:
    """A new draft result owned by one of the actor's centres or institutes."""
    owner = await catalogue.resolve_owner(session, actor, data.owner_org_id)
    result = PilotResult(
        kind=ListingKind.pilot_result,
        status=ListingStatus.draft,
        owner_org_id=owner.id,
        centre_id=catalogue.centre_of(owner),
        created_by=actor.user_id,
        key_metrics=[],
        ip_assets=[],
        transfer_modes=[],
        keywords=[],
        fields=[],
    )
    _apply(result, data)
    session.add(result)
    await session.flush()
    await _reindex(session, result)
    return result


_listings = Listing.__table__
_results = PilotResult.__table__
# The columns PilotResultRead reads (its fields' names or validation aliases; a test holds them equal on
# both databases), for the Core read below.
_READ_COLUMNS = (
    *(
        _listings.c[name]
        for name in (
            "id",
            "kind",
            "status",
            "owner_org_id",
            "centre_id",
            "title",
            "title_en",
            "abstract",
            "abstract_en",
            "fields",
            "keywords",
            "contact_name",
            "contact_email",
            "contact_phone",
            "published_at",
            "archived_at",
            "created_at",
            "updated_at",
        )
    ),
    *(_results.c[name] for name in ("trl", "pilot_scale", "key_metrics", "ip_assets", "transfer_modes")),
    _listings.c.price_amount,
    _listings.c.price_currency,
    _results.c.price_negotiable,
)


def _read_statement(actor: Actor | None) -> Select[Any]:
    return (
        select(*_READ_COLUMNS)
        .select_from(_listings.join(_results, _results.c.id == _listings.c.id))
        .where(_listings.c.id == bindparam("result_id"), catalogue.visible_condition(actor))
    )


# Built once: anonymous and plain signed-in readers (no provider role) share it; the compiled
# form is then cached by SQLAlchemy and only the id is bound per request.
_READ_PUBLISHED = _read_statement(None)


async def read(session: ReadSession | AsyncSession, actor: Actor | None, result_id: uuid.UUID) -> dict[str, Any]:
    """One visible result (drafts only for the owner's staff), else 404, as one Core row for the
    read endpoint: the columns of `_READ_COLUMNS` (no ORM identity map or entity; the API validates
    it once)."""
    needs_own = actor is not None and (actor.is_platform_admin or actor.provider_org_ids())
    stmt = _read_statement(actor) if needs_own else _READ_PUBLISHED
    rows = await fetch_rows(session, stmt, {"result_id": result_id})
    if not rows:
        raise PilotResultNotFound()
    return rows[0]


async def update(session: AsyncSession, actor: Actor, result_id: uuid.UUID, changes: PilotResultChanges) -> PilotResult:
    """Change a draft or published result; the search index follows in the same transaction."""
    result = await owned(session, actor, result_id)
    catalogue.ensure_editable(result)
    _apply(result, changes)
    await _reindex(session, result)
    return result
