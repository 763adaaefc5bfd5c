"""One search over published pilot-scale results, instruments and service offers.

Text: the query is segmented by jieba like the index (services/segmentation.py); a listing
matches when it contains every query token (ASCII tokens also match as prefixes: `batter`
finds `battery`). PostgreSQL evaluates `search_tsv @@ to_tsquery('simple', ...)`, where
`search_tsv` is a stored generated column `to_tsvector('simple', search_text)` with a partial
GIN index, and ranks with ts_rank; SQLite uses the FTS5 table and bm25.
Filters combine with AND. Sorts: relevance (text rank, then newest; newest without a query),
newest (published_at), price (ascending, listings without a price last). Cursor pages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Select, column, exists, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import Listing, ListingField, PilotResult, PilotResultTransferMode
from models.enums import ListingKind, ListingStatus, TechField, TransferMode
from models.organisations import Organisation
from services import segmentation
from services.errors import Invalid
from services.pagination import Page, SortKey, paginate

SORTS = ("relevance", "newest", "price")
NO_PRICE = 9_000_000_000_000_000_000  # sorts listings without a price after every real one
SNIPPET_CHARS = 280

_fts = table("listing_fts", column("listing_id"), column("body"))
_pilot = PilotResult.__table__.alias("pilot")


@dataclass(frozen=True)
class SearchQuery:
    q: str | None = None
    kind: ListingKind | None = None
    field: TechField | None = None
    region: str | None = None
    centre_id: uuid.UUID | None = None
    trl_min: int | None = None
    price_max: int | None = None
    currency: str = "CNY"
    transfer_mode: TransferMode | None = None
    sort: str = "relevance"


def region_prefix(region: str) -> str:
    """GB/T 2260 codes name a province as NN0000 and a city as NNNN00: match by the meaningful prefix."""
    code = region
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _tsquery(tokens: list[str]) -> str:
    # Tokens are \w+ only (no quotes or operators can reach the query).
    return " & ".join(f"'{t}':*" if segmentation.is_latin(t) else f"'{t}'" for t in tokens)


def _fts_query(tokens: list[str]) -> str:
    return " AND ".join(f'"{t}"*' if segmentation.is_latin(t) else f'"{t}"' for t in tokens)


def _columns() -> list[Any]:
    return [
        Listing.id,
        Listing.kind,
        Listing.title,
        Listing.title_en,
        func.substr(Listing.abstract, 1, SNIPPET_CHARS).label("abstract"),
        func.substr(Listing.abstract_en, 1, SNIPPET_CHARS).label("abstract_en"),
        Listing.fields,
        Listing.price_amount,
        Listing.price_currency,
        Listing.owner_org_id,
        Listing.centre_id,
        Listing.published_at,
        Organisation.name.label("owner_name"),
        Organisation.region.label("region"),
        _pilot.c.trl.label("trl"),
    ]


def statement(query: SearchQuery, dialect: str) -> tuple[Select[Any], list[SortKey]]:
    """The search as one SELECT plus its sort keys (exposed for the benchmark's reference)."""
    if query.sort not in SORTS:
        raise Invalid(f"sort must be one of {', '.join(SORTS)}", loc=["query", "sort"])
    tokens = segmentation.query_tokens(query.q) if query.q else []
    rank = None
    stmt = select(*_columns())
    if tokens and dialect == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), _tsquery(tokens))
        # The generated column to_tsvector('simple', search_text), made by the migration (PostgreSQL only).
        vector = literal_column("listings.search_tsv")
        rank = func.ts_rank(vector, tsq, type_=Float).label("rank")
        stmt = stmt.add_columns(rank).where(vector.op("@@")(tsq))
    elif tokens:
        rank = (-func.bm25(literal_column("listing_fts"), type_=Float)).label("rank")
        stmt = (
            stmt.add_columns(rank)
            .join(_fts, _fts.c.listing_id == Listing.id)
            .where(literal_column("listing_fts").op("MATCH")(_fts_query(tokens)))
        )
    elif query.q and query.q.strip():
        stmt = stmt.where(literal_column("1 = 0"))  # only punctuation: nothing can match
    stmt = (
        stmt.select_from(Listing.__table__)
        .join(Organisation, Organisation.id == Listing.owner_org_id)
        .outerjoin(_pilot, _pilot.c.id == Listing.id)
        # A literal (not a bind parameter) so PostgreSQL can always use the partial GIN index.
        .where(Listing.status == literal_column(f"'{ListingStatus.published.value}'"))
    )
    stmt = _filtered(stmt, query)
    return stmt, _sort_keys(query.sort, rank)


def _filtered(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    if query.kind is not None:
        stmt = stmt.where(Listing.kind == query.kind)
    if query.field is not None:
        stmt = stmt.where(exists().where(ListingField.listing_id == Listing.id, ListingField.field == query.field))
    if query.region:
        stmt = stmt.where(Organisation.region.like(region_prefix(query.region) + "%"))
    if query.centre_id is not None:
        stmt = stmt.where(Listing.centre_id == query.centre_id)
    if query.trl_min is not None:
        stmt = stmt.where(_pilot.c.trl >= query.trl_min)
    if query.price_max is not None:
        stmt = stmt.where(Listing.price_amount <= query.price_max, Listing.price_currency == query.currency)
    if query.transfer_mode is not None:
        stmt = stmt.where(
            exists().where(
                PilotResultTransferMode.pilot_result_id == Listing.id,
                PilotResultTransferMode.mode == query.transfer_mode,
            )
        )
    return stmt


def _sort_keys(sort: str, rank: Any) -> list[SortKey]:
    newest = [
        SortKey(Listing.published_at, descending=True, getter=lambda r: r.published_at),
        SortKey(Listing.id, descending=True, getter=lambda r: r.id),
    ]
    if sort == "price":
        price = func.coalesce(Listing.price_amount, NO_PRICE)
        return [
            SortKey(price, getter=lambda r: NO_PRICE if r.price_amount is None else r.price_amount),
            SortKey(Listing.id, getter=lambda r: r.id),
        ]
    if sort == "relevance" and rank is not None:
        return [SortKey(rank, descending=True, getter=lambda r: r.rank), *newest]
    return newest


async def search(session: AsyncSession, query: SearchQuery, *, limit: int, cursor: str | None) -> Page[Any]:
    """A page of published listings matching the query (rows with the columns of `_columns`)."""
    dialect = session.get_bind().dialect.name
    stmt, keys = statement(query, dialect)
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor, scalars=False)
