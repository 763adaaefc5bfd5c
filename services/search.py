"""One search over published pilot-scale results, instruments and service offers.

Text: the query is segmented (jieba's dictionary, by rjieba) like the index (services/segmentation.py); a listing
matches when it contains every query token (English words also match as prefixes: `batter`
finds `battery`, through the prefixes the index holds). PostgreSQL evaluates
`search_tsv @@ to_tsquery('simple', ...)` over the stored generated column
`to_tsvector('simple', search_text)`; SQLite uses the FTS5 table.
Filters combine with AND. Sorts: relevance (newest without a query), newest (published_at), price
(ascending, listings without a price last). Cursor pages.

Relevance is two tiers: listings with every query word in a title (`title_text`) first, then the
other matches; within a tier, the most recently published first (`publication_seq`, unique and
increasing). `rank` in a hit is its tier (2 or 1). On PostgreSQL each tier is read from a RUM
index whose posting lists are kept in publication order, so a page costs about `limit` index
entries and heap rows however many listings match (docs/benchmarks.md); a cursor resumes a tier
from its last publication number. SQLite computes the tier for every match (development sizes).

Statements are built once per shape (which filters are present, the sort, the cursor's tier) with
bind parameters, so SQLAlchemy's compiled cache serves every later request of that shape; rows
come back as Core rows, not ORM entities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    bindparam,
    case,
    column,
    exists,
    func,
    literal_column,
    not_,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnClause, ColumnElement, Label

from models.catalogue import Listing, ListingField
from models.enums import ListingKind, ListingStatus, TechField, TransferMode
from models.organisations import Organisation
from models.pilot_results import PilotResult, PilotResultTransferMode
from services import pagination, segmentation
from services.db import ReadSession, fetch_rows
from services.errors import Invalid
from services.pagination import INT64_MAX, INT64_MIN, Page, SortKey, decode_cursor

SORTS = ("relevance", "newest", "price")
NO_PRICE = 9_000_000_000_000_000_000  # sorts listings without a price after every real one
SNIPPET_CHARS = 280
TITLE, TEXT = 2, 1  # relevance tiers: every query word in a title; the other matches
# Above every publication number: a tier read from its start. RUM's ordering operator returns the
# distance as float8, so it must stay where doubles are exact (2**53), or nearby numbers would tie.
FIRST_SEQ = 2**53

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


def tsquery(tokens: list[str]) -> str:
    """PostgreSQL's query text: every token, each one posting list (English prefixes are indexed,
    services/segmentation.py), except a word too long to have its prefixes indexed."""
    # Tokens are \w+ only (no quotes or operators can reach the query).
    return " & ".join(f"'{t}':*" if segmentation.needs_prefix_match(t) else f"'{t}'" for t in tokens)


def _fts_phrase(token: str) -> str:
    return f'"{token}"*' if segmentation.needs_prefix_match(token) else f'"{token}"'


def _fts_query(tokens: list[str]) -> str:
    return " AND ".join(_fts_phrase(t) for t in tokens)


def _fts_title_query(tokens: list[str]) -> str:
    return " AND ".join(f"title : {_fts_phrase(t)}" for t in tokens)


_listings = Listing.__table__
_orgs = Organisation.__table__
_ONE: ColumnClause[Any] = literal_column("1")
_SNIPPET: ColumnClause[Any] = literal_column(str(SNIPPET_CHARS))
_SEQ = _listings.c.publication_seq


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
    tiers: tuple[int, ...] = (TITLE, TEXT)  # relevance tiers still to read (a cursor in TEXT skips TITLE)


def _published_matches(shape: _Shape, *columns: Any, joins: bool = True, vector: str = "search_tsv") -> Select[Any]:
    """Published listings matching the text and filters of `shape`; `joins=False` joins the owner
    and the pilot-result row only when a filter needs them. `vector` names the PostgreSQL tsvector
    matched (`title_tsv` for the title tier)."""
    stmt = select(*columns).select_from(_listings)
    if joins or shape.region:
        stmt = stmt.join(_orgs, _orgs.c.id == _listings.c.owner_org_id)
    if joins or shape.trl:
        stmt = stmt.outerjoin(_pilot, _pilot.c.id == _listings.c.id)
    # A literal (not a bind parameter) so PostgreSQL can always use the partial indexes.
    stmt = stmt.where(_listings.c.status == literal_column(f"'{ListingStatus.published.value}'"))
    if shape.text and shape.dialect == "postgresql":
        stmt = stmt.where(_matches(vector))
    elif shape.text:
        stmt = stmt.join(_fts, _fts.c.listing_id == _listings.c.id).where(
            literal_column("listing_fts").op("MATCH")(bindparam("q"))
        )
    elif shape.nothing:
        stmt = stmt.where(literal_column("1 = 0"))
    return _filtered(stmt, shape)


def _matches(vector: str) -> ColumnElement[bool]:
    # Generated columns to_tsvector('simple', search_text / title_text), made by the migrations
    # (PostgreSQL only).
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("q"))
    return literal_column(f"listings.{vector}").op("@@")(tsquery)


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


def _cursor_params(keys: list[SortKey]) -> list[Any]:
    # The cursor's values as bind parameters c0, c1, ... (a statement serves every cursor).
    return [bindparam(f"c{i}", type_=key.column.type) for i, key in enumerate(keys)]


def _ordered(stmt: Select[Any], shape: _Shape, keys: list[SortKey]) -> Select[Any]:
    if shape.after:
        stmt = stmt.where(pagination.after(keys, _cursor_params(keys)))
    return stmt.order_by(*pagination.order_by(keys)).limit(bindparam("limit"))


# The keyset orders, with where each key's value is in a hit (for the next page's cursor).
_PRICE = func.coalesce(_listings.c.price_amount, NO_PRICE)
_BY_PRICE = [
    SortKey(_PRICE, getter=lambda row: NO_PRICE if row["price_amount"] is None else row["price_amount"]),
    SortKey(_listings.c.id, getter=itemgetter("id")),
]
_NEWEST = [
    SortKey(_listings.c.published_at, descending=True, getter=itemgetter("published_at")),
    SortKey(_listings.c.id, descending=True, getter=itemgetter("id")),
]


def _relevance_keys(tier: ColumnElement[int]) -> list[SortKey]:
    """Tier, then publication number, both descending; a hit carries them as `rank` and `seq`."""
    return [
        SortKey(tier, descending=True, getter=itemgetter("rank")),
        SortKey(_SEQ, descending=True, getter=itemgetter("seq")),
    ]


_RELEVANCE = _relevance_keys(literal_column(str(TITLE)))  # for the cursor only (the getters)
_KEYS = {"price": _BY_PRICE, "newest": _NEWEST, "relevance": _RELEVANCE}


def _tier(shape: _Shape, tier: int, limit: ColumnElement[int]) -> Select[Any]:
    """PostgreSQL: the next `limit` listings of one tier, newest published first, from publication
    number `s<tier>` down. `publication_seq <=| s` is RUM's ordering operator: the index hands back
    its posting list in that order and the scan stops after the page."""
    start = bindparam(f"s{tier}", type_=BigInteger)
    tier_label: Label[Any] = literal_column(str(tier)).label("tier")
    if tier == TITLE:
        stmt = _published_matches(shape, _listings.c.id, _SEQ.label("seq"), tier_label, joins=False, vector="title_tsv")
    else:
        stmt = _published_matches(shape, _listings.c.id, _SEQ.label("seq"), tier_label, joins=False).where(
            not_(_matches("title_tsv"))
        )
    # `+ 0`: the bound is checked on each row the ordered scan returns (it stops after the page);
    # as a bare `publication_seq < s` RUM could take it as an index condition on its own and the
    # planner might then walk every published listing's entry instead of the query words'.
    below = (_SEQ + literal_column("0")) < start
    return stmt.where(below).order_by(_SEQ.op("<=|")(start)).limit(limit)


def _relevance_postgresql(shape: _Shape) -> Select[Any]:
    limit: BindParameter[Any] = bindparam("limit")
    if shape.tiers == (TEXT,):
        page = _tier(shape, TEXT, limit).cte("page")
    else:
        # The second tier only fills what the first left of the page: when the titles fill it, the
        # second scan gets LIMIT 0 and never touches its index.
        title = _tier(shape, TITLE, limit).cte("title")
        left = limit - select(func.count()).select_from(title).scalar_subquery()
        text = _tier(shape, TEXT, left).cte("text")
        page = union_all(select(title.c.id, title.c.seq, title.c.tier), select(text.c.id, text.c.seq, text.c.tier)).cte(
            "page"
        )
    return (
        select(*_columns(), page.c.tier.label("rank"), page.c.seq.label("seq"))
        .select_from(page)
        .join(_listings, _listings.c.id == page.c.id)
        .join(_orgs, _orgs.c.id == _listings.c.owner_org_id)
        .outerjoin(_pilot, _pilot.c.id == _listings.c.id)
        .order_by(page.c.tier.desc(), page.c.seq.desc())
    )


def _relevance_sqlite(shape: _Shape) -> Select[Any]:
    in_title = _listings.c.id.in_(
        select(_fts.c.listing_id).where(literal_column("listing_fts").op("MATCH")(bindparam("title_q")))
    )
    tier = case((in_title, TITLE), else_=TEXT)
    stmt = _published_matches(shape, *_columns(), tier.label("rank"), _SEQ.label("seq"))
    return _ordered(stmt, shape, _relevance_keys(tier))


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> Select[Any]:
    """The SELECT for one shape of search, built once (values are bind parameters)."""
    if shape.sort == "price":
        return _ordered(_published_matches(shape, *_columns()), shape, _BY_PRICE)
    if not (shape.text and shape.sort == "relevance"):
        return _ordered(_published_matches(shape, *_columns()), shape, _NEWEST)
    if shape.dialect == "postgresql":
        return _relevance_postgresql(shape)
    return _relevance_sqlite(shape)


def statement(query: SearchQuery, dialect: str, *, cursor_tier: int | None = None) -> Select[Any]:
    """The search's SELECT for `query` (exposed for the benchmark's reference and tests)."""
    tokens = segmentation.query_tokens(query.q) if query.q else []
    return _statement(_shape(query, dialect, tokens, cursor_tier=cursor_tier, after=cursor_tier is not None))


def _shape(
    query: SearchQuery, dialect: str, tokens: list[str], *, after: bool, cursor_tier: int | None = None
) -> _Shape:
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
        # On SQLite the tiers are one statement; the cursor's values say where to resume.
        after=after,
        tiers=(TEXT,) if cursor_tier == TEXT and dialect == "postgresql" else (TITLE, TEXT),
    )


def _parameters(query: SearchQuery, dialect: str, tokens: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if tokens:
        params["q"] = tsquery(tokens) if dialect == "postgresql" else _fts_query(tokens)
        if dialect != "postgresql":
            params["title_q"] = _fts_title_query(tokens)
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


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def _cursor_values(cursor: str, sort: str) -> list[Any]:
    """The decoded cursor, its types checked (a forged one is 422, never a 500)."""
    values = decode_cursor(cursor, 2)
    if sort == "relevance":
        ok = values[0] in (TITLE, TEXT) and _int(values[0]) and _int(values[1])
    else:
        first_ok = _int(values[0]) if sort == "price" else isinstance(values[0], datetime)
        ok = first_ok and isinstance(values[1], uuid.UUID)
    if not ok:
        raise Invalid("the cursor is not valid for this list", loc=["query", "cursor"])
    return values


def _relevance_cursor(params: dict[str, Any], dialect: str, values: list[Any]) -> None:
    """Where each tier resumes: PostgreSQL reads a tier below `s<tier>`; SQLite takes (c0, c1)."""
    if dialect != "postgresql":
        params.update({f"c{i}": v for i, v in enumerate(values)})
        return
    tier, seq = values if values else (TITLE, FIRST_SEQ)
    params[f"s{TEXT}"] = seq if tier == TEXT else FIRST_SEQ
    if tier == TITLE:
        params[f"s{TITLE}"] = seq


async def search(
    session: ReadSession | AsyncSession, query: SearchQuery, *, limit: int, cursor: str | None
) -> Page[Any]:
    """A page of published listings matching the query: row mappings with the columns of `_columns`,
    plus `rank` (the relevance tier) and `seq` when sorted by relevance with a query. One statement,
    retried once on a dead pooled connection of a read session (services/db.py)."""
    if query.sort not in SORTS:
        raise Invalid(f"sort must be one of {', '.join(SORTS)}", loc=["query", "sort"])
    limit = pagination.clamp_limit(limit)
    dialect = (session.dialect if isinstance(session, ReadSession) else session.get_bind().dialect).name
    tokens = segmentation.query_tokens(query.q) if query.q else []
    params = _parameters(query, dialect, tokens)
    sort = query.sort if tokens or query.sort != "relevance" else "newest"
    values = _cursor_values(cursor, sort) if cursor else []
    params["limit"] = limit + 1
    if sort == "relevance":
        _relevance_cursor(params, dialect, values)
        shape = _shape(query, dialect, tokens, after=bool(values), cursor_tier=values[0] if values else None)
    else:
        params.update({f"c{i}": v for i, v in enumerate(values)})
        shape = _shape(query, dialect, tokens, after=bool(values))
    rows = await fetch_rows(session, _statement(shape), params)
    return pagination.page_of(rows, limit, _KEYS[sort])
