"""Pilot-scale results (中试成果) ready for transfer: create, edit, publish, archive, read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import Listing
from models.codes import normalise_patent_number, patent_number_problem
from models.enums import ListingKind, ListingStatus, TransferMode
from models.pilot_results import PilotResult, PilotResultTransferMode
from services import catalogue
from services.actors import Actor
from services.db import fetch_rows
from services.errors import Invalid


class PilotResultNotFound(catalogue.ListingNotFound):
    title = "Pilot-scale result not found"
    slug = "pilot-result-not-found"


# The verbs every kind of listing shares (services/catalogue.py), for pilot-scale results.
RESULTS = catalogue.Listings(PilotResult, PilotResultNotFound)
owned, list_visible = RESULTS.owned, RESULTS.list_visible
publish, archive = RESULTS.publish, RESULTS.archive


def _check_ip_assets(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked, seen = [], set()
    for i, asset in enumerate(assets):
        number = normalise_patent_number(asset["number"])
        problem = patent_number_problem(number)
        if problem:
            raise Invalid(f"patent number {problem}", loc=["body", "ip_assets", i, "number"])
        if number[2:] in seen:
            raise Invalid("the same patent is listed twice", loc=["body", "ip_assets", i, "number"])
        seen.add(number[2:])
        checked.append({**asset, "number": number})
    return checked


def _apply(result: PilotResult, data: dict[str, Any]) -> None:
    catalogue.apply_common(result, data)
    for name in ("trl", "pilot_scale", "key_metrics"):
        if name in data:
            setattr(result, name, data[name])
    if "ip_assets" in data:
        result.ip_assets = _check_ip_assets(data["ip_assets"])
    if "transfer_modes" in data:
        result.transfer_modes = [TransferMode(m).value for m in dict.fromkeys(data["transfer_modes"])]
    if "asking_price" in data:
        catalogue.set_price(result, data["asking_price"])
    if "price_negotiable" in data:
        result.price_negotiable = data["price_negotiable"]
    if result.price_amount is None:
        result.price_negotiable = True  # no asking price means the price is negotiated


async def _reindex(session: AsyncSession, result: PilotResult) -> None:
    await catalogue.sync_fields(session, result)
    await session.execute(delete(PilotResultTransferMode).where(PilotResultTransferMode.pilot_result_id == result.id))
    session.add_all(
        PilotResultTransferMode(pilot_result_id=result.id, mode=TransferMode(m)) for m in result.transfer_modes
    )
    extra = [f"{m['name']} {m.get('unit') or ''}" for m in result.key_metrics]
    extra += [f"{a['number']} {a.get('title') or ''}" for a in result.ip_assets]
    extra.append(result.pilot_scale)
    await catalogue.refresh_search_text(session, result, extra)
    await session.flush()


async def create(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> PilotResult:
    """A new draft result owned by one of the actor's centres or institutes."""
    owner = await catalogue.resolve_owner(session, actor, data.get("owner_org_id"))
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


async def read(session: AsyncSession, actor: Actor | None, result_id: uuid.UUID) -> Mapping[str, Any]:
    """One visible result (drafts only for the owner's staff), else 404, as one Core row for the
    read endpoint: the columns of `_READ_COLUMNS` (no ORM identity map or entity; the API validates
    it once)."""
    needs_own = actor is not None and (actor.is_platform_admin or actor.provider_org_ids())
    stmt = _read_statement(actor) if needs_own else _READ_PUBLISHED
    rows = await fetch_rows(session, stmt, {"result_id": result_id})
    if not rows:
        raise PilotResultNotFound()
    return rows[0]


async def update(session: AsyncSession, actor: Actor, result_id: uuid.UUID, changes: dict[str, Any]) -> PilotResult:
    """Change a draft or published result; the search index follows in the same transaction."""
    result = await owned(session, actor, result_id)
    catalogue.ensure_editable(result)
    _apply(result, changes)
    await _reindex(session, result)
    return result
