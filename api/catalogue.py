"""One search across the catalogue (published results, instruments and service offers)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import API_PREFIX, QueryModel, ReadSessionDep
from api.errors import problem
from api.schemas.catalogue import SearchHit, SearchParams
from api.schemas.common import Page
from services import search
from services.errors import Invalid

router = APIRouter(prefix=f"{API_PREFIX}/catalogue", tags=["catalogue"])


SearchPage = Page[SearchHit]
# Parsed by the route: FastAPI's per-request solving of a twelve-field query model cost ~0.08 ms of
# CPU per search (api/deps.py QueryModel, docs/benchmarks.md).
SEARCH_QUERY = QueryModel(SearchParams)


@router.get(
    "/search", operation_id="searchCatalogue", response_model=Page[SearchHit], responses={422: problem(Invalid)}
)
@SEARCH_QUERY.documented
async def search_catalogue(request: Request, session: ReadSessionDep) -> Response:
    """Search published pilot-scale results, instruments and service offers in Chinese and English
    (jieba-segmented full text) with filters; anyone may search."""
    params = SEARCH_QUERY.parse(request)
    query = search.SearchQuery(
        q=params.q,
        kind=params.kind,
        field=params.field,
        region=params.region,
        centre_id=params.centre_id,
        trl_min=params.trl_min,
        price_max=params.price_max,
        currency=params.currency,
        transfer_mode=params.transfer_mode,
        sort=params.sort,
    )
    # One statement on the read session; search is the same for everyone, so no sign-in is read.
    result = await search.search(session, query, limit=params.limit, cursor=params.cursor)
    # Validated and serialised once, in pydantic-core (the response_model above documents it).
    body = SearchPage.model_validate({"items": result.items, "next_cursor": result.next_cursor})
    return Response(body.model_dump_json(), media_type="application/json")
