"""One search over published pilot-scale results, instruments and service offers.

Text: the query is segmented by jieba like the index (services/segmentation.py); a listing
matches when it contains every query token (ASCII tokens also match as prefixes: `batter`
finds `battery`). PostgreSQL evaluates `search_tsv @@ to_tsquery('simple', ...)`, where
`search_tsv` is a stored generated column `to_tsvector('simple', search_text)` with a partial
GIN index, and ranks with ts_rank; SQLite uses the FTS5 table and bm25.
Filters combine with AND. Sorts: relevance (text rank, then newest; newest without a query),
newest (published_at), price (ascending, listings without a price last). Cursor pages.

Bounded ranking: relevance ranks only the `rank_cap` most recent matches (a CTE picks them in
published_at order, so PostgreSQL can stop early for common words or take the GIN bitmap for rare
ones); matches older than those follow them, newest first (still with their rank shown). Every
match is reachable by paging; only the order of the older ones ignores relevance.

Statements are built once per shape (which filters are present, the sort, first page or not)
with bind parameters, so SQLAlchemy's compiled cache serves every later request of that shape;
rows come back as Core rows, not ORM entities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    Float,
    Select,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.catalogue import Listing, ListingField, PilotResult, PilotResultTransferMode
from models.enums import ListingKind, ListingStatus, TechField, TransferMode
from models.organisations import Organisation
from services import segmentation
from services.db import fetch_rows
from services.errors import Invalid
from services.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor

SORTS = ("relevance", "newest", "price")
NO_PRICE = 9_000_000_000_000_000_000  # sorts listings without a price after every real one
SNIPPET_CHARS = 280
DEFAULT_RANK_CAP = 1000
OLDER = "older"  # first cursor value on pages past the ranked matches

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


_listings = Listing.__table__
_orgs = Organisation.__table__
_ONE, _SNIPPET = literal_column("1"), literal_column(str(SNIPPET_CHARS))


def _columns() -> list[Any]:
    return [
        _listings.c.id,
        _listings.c.kind,
        _listings.c.title,
        _listings.c.title_en,
        func.substr(_listings.c.abstract, _ONE, _SNIPPET).label("abstract"),
        func.substr(_listings.c.abstract_en, _ONE, _SNIPPET).label("abstract_en"),
        _listings.c.fields,
        _listings.c.price_amount,
        _listings.c.price_currency,
        _listings.c.owner_org_id,
        _listings.c.centre_id,
        _listings.c.published_at,
        _orgs.c.name.label("owner_name"),
        _orgs.c.region.label("region"),
        _pilot.c.trl.label("trl"),
    ]


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL text of a search (values travel as bind parameters)."""

    dialect: str
    text: bool  # there are query tokens
    nothing: bool  # the query has no word at all (only punctuation): nothing can match
    kind: bool
    field: bool
    region: bool
    centre: bool
    trl: bool
    price: bool
    transfer_mode: bool
    sort: str
    after: bool  # a cursor: rows after the previous page's last one
    older: bool  # relevance pages past the ranked (capped) matches


def _published_matches(shape: _Shape, *columns: Any, joins: bool = True) -> Select[Any]:
    """Published listings matching the text and filters of `shape`; `joins=False` joins the owner
    and the pilot-result row only when a filter needs them (for the candidate ids)."""
    stmt = select(*columns).select_from(_listings)
    if joins or shape.region:
        stmt = stmt.join(_orgs, _orgs.c.id == _listings.c.owner_org_id)
    if joins or shape.trl:
        stmt = stmt.outerjoin(_pilot, _pilot.c.id == _listings.c.id)
    # A literal (not a bind parameter) so PostgreSQL can always use the partial GIN index.
    stmt = stmt.where(_listings.c.status == literal_column(f"'{ListingStatus.published.value}'"))
    if shape.text and shape.dialect == "postgresql":
        stmt = stmt.where(_vector().op("@@")(_tsq()))
    elif shape.text:
        stmt = stmt.join(_fts, _fts.c.listing_id == _listings.c.id).where(
            literal_column("listing_fts").op("MATCH")(bindparam("q"))
        )
    elif shape.nothing:
        stmt = stmt.where(literal_column("1 = 0"))
    return _filtered(stmt, shape)


def _vector() -> ColumnElement[Any]:
    # The generated column to_tsvector('simple', search_text), made by the migration (PostgreSQL only).
    return literal_column("listings.search_tsv")


def _tsq() -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("q"))


def _rank(shape: _Shape) -> ColumnElement[float]:
    if shape.dialect == "postgresql":
        return func.ts_rank(_vector(), _tsq(), type_=Float).label("rank")
    return (-func.bm25(literal_column("listing_fts"), type_=Float)).label("rank")


def _filtered(stmt: Select[Any], shape: _Shape) -> Select[Any]:
    if shape.kind:
        stmt = stmt.where(_listings.c.kind == bindparam("kind", type_=Listing.kind.type))
    if shape.field:
        stmt = stmt.where(
            exists().where(
                ListingField.listing_id == _listings.c.id,
                ListingField.field == bindparam("field", type_=ListingField.field.type),
            )
        )
    if shape.region:
        stmt = stmt.where(_orgs.c.region.like(bindparam("region")))
    if shape.centre:
        stmt = stmt.where(_listings.c.centre_id == bindparam("centre_id", type_=_listings.c.centre_id.type))
    if shape.trl:
        stmt = stmt.where(_pilot.c.trl >= bindparam("trl_min"))
    if shape.price:
        stmt = stmt.where(
            _listings.c.price_amount <= bindparam("price_max"), _listings.c.price_currency == bindparam("currency")
        )
    if shape.transfer_mode:
        stmt = stmt.where(
            exists().where(
                PilotResultTransferMode.pilot_result_id == _listings.c.id,
                PilotResultTransferMode.mode == bindparam("transfer_mode", type_=PilotResultTransferMode.mode.type),
            )
        )
    return stmt


def _after(keys: list[tuple[Any, bool]]) -> ColumnElement[bool]:
    """Rows strictly after the cursor values (bind parameters c0, c1, ...) in the order of `keys`."""
    clauses = []
    for i, (col, descending) in enumerate(keys):
        equal_prefix = [keys[j][0] == bindparam(f"c{j}", type_=keys[j][0].type) for j in range(i)]
        value = bindparam(f"c{i}", type_=col.type)
        clauses.append(and_(*equal_prefix, col < value if descending else col > value))
    return or_(*clauses)


def _ordered(stmt: Select[Any], shape: _Shape, keys: list[tuple[Any, bool]]) -> Select[Any]:
    if shape.after:
        stmt = stmt.where(_after(keys))
    return stmt.order_by(*(k.desc() if d else k.asc() for k, d in keys)).limit(bindparam("limit"))


_NEWEST = [(_listings.c.published_at, True), (_listings.c.id, True)]


def _candidates(shape: _Shape) -> CTE:
    """The `rank_cap` most recent matches with their rank: the only ones relevance orders."""
    return (
        _published_matches(shape, _listings.c.id, _listings.c.published_at, _rank(shape), joins=False)
        .order_by(_listings.c.published_at.desc(), _listings.c.id.desc())
        .limit(bindparam("rank_cap"))
        .cte("candidates")
    )


def _count(candidates: CTE) -> ColumnElement[int]:
    return select(func.count()).select_from(candidates).scalar_subquery()


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> Select[Any]:
    """The SELECT for one shape of search, built once (values are bind parameters)."""
    if shape.sort == "price":
        price = func.coalesce(_listings.c.price_amount, NO_PRICE)
        keys = [(price, False), (_listings.c.id, False)]
        return _ordered(_published_matches(shape, *_columns()), shape, keys)
    if not (shape.text and shape.sort == "relevance"):
        return _ordered(_published_matches(shape, *_columns()), shape, _NEWEST)
    candidates = _candidates(shape)
    if shape.older:
        # Matches older than the oldest ranked one, newest first (their rank is still shown); only
        # when the candidates were capped, else there are none.
        oldest = select(candidates.c.published_at, candidates.c.id).order_by(
            candidates.c.published_at.asc(), candidates.c.id.asc()
        )
        oldest_at = oldest.with_only_columns(candidates.c.published_at).limit(_ONE).scalar_subquery()
        oldest_id = oldest.with_only_columns(candidates.c.id).limit(_ONE).scalar_subquery()
        stmt = _published_matches(shape, *_columns(), _rank(shape)).where(
            or_(
                _listings.c.published_at < oldest_at,
                and_(_listings.c.published_at == oldest_at, _listings.c.id < oldest_id),
            ),
            _count(candidates) == bindparam("rank_cap"),
        )
        return _ordered(stmt, shape, _NEWEST)
    # One page of the candidates in rank order, then the page's rows joined for their columns.
    page = _ordered(
        select(candidates.c.id, candidates.c.published_at, candidates.c.rank),
        shape,
        [(candidates.c.rank, True), (candidates.c.published_at, True), (candidates.c.id, True)],
    ).cte("page")
    return (
        select(*_columns(), page.c.rank.label("rank"), _count(candidates).label("ranked"))
        .select_from(page)
        .join(_listings, _listings.c.id == page.c.id)
        .join(_orgs, _orgs.c.id == _listings.c.owner_org_id)
        .outerjoin(_pilot, _pilot.c.id == _listings.c.id)
        .order_by(page.c.rank.desc(), page.c.published_at.desc(), page.c.id.desc())
    )


def statement(query: SearchQuery, dialect: str, *, after: bool = False, older: bool = False) -> Select[Any]:
    """The search's SELECT for `query` (exposed for the benchmark's reference and tests)."""
    tokens = segmentation.query_tokens(query.q) if query.q else []
    return _statement(_shape(query, dialect, tokens, after=after, older=older))


def _shape(query: SearchQuery, dialect: str, tokens: list[str], *, after: bool, older: bool) -> _Shape:
    return _Shape(
        dialect=dialect,
        text=bool(tokens),
        nothing=not tokens and bool(query.q and query.q.strip()),
        kind=query.kind is not None,
        field=query.field is not None,
        region=bool(query.region),
        centre=query.centre_id is not None,
        trl=query.trl_min is not None,
        price=query.price_max is not None,
        transfer_mode=query.transfer_mode is not None,
        sort=query.sort,
        after=after,
        older=older,
    )


def _parameters(query: SearchQuery, dialect: str, tokens: list[str], rank_cap: int) -> dict[str, Any]:
    params: dict[str, Any] = {"rank_cap": rank_cap}
    if tokens:
        params["q"] = _tsquery(tokens) if dialect == "postgresql" else _fts_query(tokens)
    if query.kind is not None:
        params["kind"] = query.kind
    if query.field is not None:
        params["field"] = query.field
    if query.region:
        params["region"] = region_prefix(query.region) + "%"
    if query.centre_id is not None:
        params["centre_id"] = query.centre_id
    if query.trl_min is not None:
        params["trl_min"] = query.trl_min
    if query.price_max is not None:
        params["price_max"] = query.price_max
        params["currency"] = query.currency
    if query.transfer_mode is not None:
        params["transfer_mode"] = query.transfer_mode
    return params


def _cursor_values(cursor: str, sort: str) -> list[Any]:
    """The decoded cursor, its types checked (a forged one is 422, never a 500)."""
    values = decode_cursor(cursor, 3 if sort == "relevance" else 2)
    first_ok = {
        "price": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "newest": lambda v: isinstance(v, datetime),
        "relevance": lambda v: v == OLDER or (isinstance(v, (int, float)) and not isinstance(v, bool)),
    }[sort](values[0])
    rest = values[1:]
    rest_ok = all(isinstance(v, uuid.UUID) for v in rest[-1:]) and all(isinstance(v, datetime) for v in rest[:-1])
    if not (first_ok and rest_ok):
        raise Invalid("the cursor is not valid for this list", loc=["query", "cursor"])
    return values


async def search(
    session: AsyncSession,
    query: SearchQuery,
    *,
    limit: int,
    cursor: str | None,
    rank_cap: int = DEFAULT_RANK_CAP,
) -> Page[Any]:
    """A page of published listings matching the query: row mappings with the columns of `_columns`,
    plus `rank` when there is a query (and `ranked`, the number of ranked matches, on ranked rows)."""
    if query.sort not in SORTS:
        raise Invalid(f"sort must be one of {', '.join(SORTS)}", loc=["query", "sort"])
    limit = max(1, min(limit, MAX_LIMIT))
    dialect = session.get_bind().dialect.name
    tokens = segmentation.query_tokens(query.q) if query.q else []
    params = _parameters(query, dialect, tokens, rank_cap)
    sort = query.sort if tokens or query.sort != "relevance" else "newest"
    values = _cursor_values(cursor, "relevance" if sort == "relevance" else sort) if cursor else []
    older = bool(values) and values[0] == OLDER
    rows: list[Any] = []
    ranked_full = False
    if not older:
        # Sort keys of a relevance page: rank, published_at, id; of the others: their two keys.
        params.update({f"c{i}": v for i, v in enumerate(values)}, limit=limit + 1)
        shape = _shape(query, dialect, tokens, after=bool(values), older=False)
        rows = list(await fetch_rows(session, _statement(shape), params))
        ranked_full = sort == "relevance" and bool(rows) and rows[0]["ranked"] >= rank_cap
        if sort == "relevance" and not rows and values:
            ranked_full = True  # a page that ended exactly at the last ranked match: try the older ones
    if sort == "relevance" and (older or (len(rows) <= limit and ranked_full)):
        # Past the ranked matches: the older ones, newest first.
        after = values[1:] if older else []
        params.update({f"c{i}": v for i, v in enumerate(after)}, limit=limit + 1 - len(rows))
        shape = _shape(query, dialect, tokens, after=bool(after), older=True)
        rows += list(await fetch_rows(session, _statement(shape), params))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if sort == "price":
            price = last["price_amount"]
            next_cursor = encode_cursor([NO_PRICE if price is None else price, last["id"]])
        elif sort == "newest":
            next_cursor = encode_cursor([last["published_at"], last["id"]])
        elif "ranked" in last:
            next_cursor = encode_cursor([last["rank"], last["published_at"], last["id"]])
        else:
            next_cursor = encode_cursor([OLDER, last["published_at"], last["id"]])
    return Page(items=rows, next_cursor=next_cursor)
