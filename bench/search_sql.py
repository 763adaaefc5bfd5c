"""The search statement alone: each of the catalogue benchmark's 400 queries, first page, timed on
the server (issue 16 item 4: the worst must stay under 10 ms at 1M listings).

    .venv/bin/python -m bench.search_sql --database-url postgresql://postgres@127.0.0.1/ttm_bench

Runs against a database the catalogue benchmark has seeded (`make bench` runs it after
`bench-catalogue`, on its 1M listings). The SQL is the app's own (`services.search.statement`,
compiled for asyncpg) with the app's parameters, prepared once per shape on one connection with
the read pool's settings (`plan_cache_mode = force_generic_plan`, services/db.py). Each query runs
`--repeat` times after a warm-up pass; its time is the median of `EXPLAIN (ANALYZE)`'s execution
time (server side: no network, no Python). Writes bench/results/search_sql.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from bench import dataset
from services import search, segmentation
from services.search import SearchQuery

RESULTS = Path(__file__).parent / "results"
LIMIT = 20  # the API's default page size
TARGET_MS = 10.0


def compiled(query: SearchQuery) -> tuple[str, list[Any], str]:
    """The app's first-page SQL for `query` and its positional parameters, as the app binds them."""
    tokens = segmentation.query_tokens(query.q or "")
    stmt = search.statement(query, "postgresql")
    params = search._parameters(query, "postgresql", tokens)
    params["limit"] = LIMIT + 1
    search._relevance_cursor(params, "postgresql", [])
    sql = stmt.compile(dialect=postgresql.asyncpg.dialect())
    names = list(sql.positiontup or [])
    return str(sql), [params[name] for name in names], params.get("q", "")


async def execution_ms(conn: asyncpg.Connection, sql: str, args: list[Any]) -> float:
    plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
    return float(json.loads(plan)[0]["Execution Time"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1/ttm_bench")
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    queries = dataset.queries(dataset.chinese_vocabulary(), dataset.english_vocabulary())
    conn = await asyncpg.connect(args.database_url, server_settings={"plan_cache_mode": "force_generic_plan"})
    try:
        listings = await conn.fetchval("SELECT count(*) FROM listings WHERE status = 'published'")
        statements = [(q, *compiled(SearchQuery(q=q))) for q in queries]
        for _q, sql, params, _ts in statements:  # warm-up: the pages and index blocks in shared buffers
            await execution_ms(conn, sql, params)
        timed = []
        for q, sql, params, ts in statements:
            runs = [await execution_ms(conn, sql, params) for _ in range(args.repeat)]
            timed.append({"q": q, "tsquery": ts, "ms": round(statistics.median(runs), 3)})
    finally:
        await conn.close()
    ms = sorted(t["ms"] for t in timed)
    latin = [t for t in timed if re.fullmatch(r"[a-z]+", t["q"])]
    report = {
        "listings": listings,
        "queries": len(timed),
        "repeat": args.repeat,
        "load_average": os.getloadavg(),
        "mean_ms": round(statistics.fmean(ms), 3),
        "median_ms": round(statistics.median(ms), 3),
        "p99_ms": ms[int(len(ms) * 0.99) - 1],
        "worst_ms": ms[-1],
        "english_worst_ms": max(t["ms"] for t in latin) if latin else None,
        "target_ms": TARGET_MS,
        "worst": sorted(timed, key=lambda t: -t["ms"])[:8],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search_sql.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"worst {report['worst_ms']} ms of {len(timed)} queries at {listings:,} listings (target < {TARGET_MS} ms)")


if __name__ == "__main__":
    asyncio.run(main())
