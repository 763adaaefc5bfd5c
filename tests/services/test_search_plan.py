"""PostgreSQL reads each relevance tier in publication order straight off its RUM index.

This is what keeps a search page's cost flat as the catalogue grows (docs/benchmarks.md): if a
change to the SQL (say an extra ORDER BY key) stopped the index from handing rows back in order,
PostgreSQL would fetch and sort every match, and these plans would show a Sort over a scan that
has no `Order By`. SQLite has no such index (FTS5 computes the tier of every match), so this
is a PostgreSQL-only property and the module is skipped there.
"""

from __future__ import annotations

import pytest

from services import search
from services.search import FIRST_SEQ, TEXT, TITLE, SearchQuery
from tests.factories.catalogue import create_published, make_world, pilot_body


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("RUM ordering is a PostgreSQL index property")


async def _plan(db, query: SearchQuery, params: dict, cursor_tier: int | None = None) -> str:
    stmt = search.statement(query, "postgresql", cursor_tier=cursor_tier)
    compiled = stmt.compile(dialect=db.engine.dialect)
    values = tuple({**params}[name] for name in compiled.positiontup)
    async with db.engine.connect() as conn:
        # A handful of rows: make the planner price scans and sorts as it would on a large catalogue
        # (where reading the page in index order beats fetching every match and sorting it).
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        await conn.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = await conn.exec_driver_sql("EXPLAIN " + compiled.string, values)
        return "\n".join(r[0] for r in rows)


async def test_each_tier_is_an_ordered_rum_scan(client, db, app):
    w = await make_world(db, app)
    await create_published(client, w.institute_staff, "pilot-results", pilot_body())
    params = {"q": "'锂电池'", f"s{TITLE}": FIRST_SEQ, f"s{TEXT}": FIRST_SEQ, "limit": 21}
    plan = await _plan(db, SearchQuery(q="锂电池"), params)
    assert "Index Scan using ix_listings_title_rum" in plan, plan
    assert "Index Scan using ix_listings_search_rum" in plan, plan
    assert plan.count("Order By: (publication_seq <=| ") == 2, plan


async def test_a_second_tier_cursor_reads_only_that_tier_in_order(client, db, app):
    w = await make_world(db, app)
    await create_published(client, w.institute_staff, "pilot-results", pilot_body())
    params = {"q": "'batter':*", f"s{TEXT}": 12345, "limit": 21}
    plan = await _plan(db, SearchQuery(q="batter"), params, cursor_tier=TEXT)
    assert "ix_listings_title_rum" not in plan, plan
    assert "Index Scan using ix_listings_search_rum" in plan, plan
    assert plan.count("Order By: (publication_seq <=| ") == 1, plan


def test_the_statement_has_no_tie_breaker_after_the_rum_ordering():
    # Guard for the reason above, readable without a database.
    sql = str(search.statement(SearchQuery(q="锂电池"), "postgresql").compile())
    assert sql.count("ORDER BY listings.publication_seq <=|") == 2
    assert "publication_seq <=| :s2, " not in sql and "publication_seq <=| :s1, " not in sql
    # The second tier reads only what the titles left of the page (LIMIT 0 when they filled it).
    assert "LIMIT :limit - (SELECT count(*) AS count_1 \nFROM title)" in sql
