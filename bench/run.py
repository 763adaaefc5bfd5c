"""Catalogue benchmark: search and get-by-id, real endpoints vs. a bare FastAPI + asyncpg reference.

    .venv/bin/python -m bench.run            # 10k then 1M listings in the ttm_bench database
    BENCH_SIZES=10000 BENCH_SECONDS=3 .venv/bin/python -m bench.run   # a quick look

Both apps run in this process and are driven through httpx's ASGI transport by the same
concurrent workers, one phase at a time, so the difference is the application stack (routing,
dependencies, session, ORM, Pydantic) and not the network or the database. Then each app also
runs under uvicorn (one worker) and wrk drives it over real HTTP from another process (bench/http.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import event

from api.main import create_app
from bench import dataset, reference
from bench import http as http_bench
from bench.reference import create_reference
from services import migrations
from services.settings import Environment, Settings

DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1/ttm_bench")
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
# While iterating: keep the database as it is when it already holds the first size (no reset,
# no seeding); the recorded figures always come from a clean run without it.
REUSE = os.environ.get("BENCH_REUSE") == "1"
# Over real HTTP too (bench/http.py: uvicorn, one worker per app, wrk); BENCH_HTTP=0 skips it while iterating.
HTTP = os.environ.get("BENCH_HTTP", "1") != "0"
# Over HTTP the rates swing more with the shared machine's load: more, equally short rounds.
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", str(SECONDS * 1.5)))
HTTP_ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "6"))
RESULTS = Path(__file__).parent / "results"


async def create_database() -> None:
    admin = await asyncpg.connect(DSN.rsplit("/", 1)[0] + "/postgres")
    try:
        name = DSN.rsplit("/", 1)[1]
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def reset_schema() -> None:
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await conn.execute("CHECKPOINT")  # the dropped tables' files and WAL, before anything is timed
    finally:
        await conn.close()


async def _listing_count() -> int | None:
    conn = await asyncpg.connect(DSN)
    try:
        if not await conn.fetchval("SELECT to_regclass('public.listings') IS NOT NULL"):
            return None
        return await conn.fetchval("SELECT count(*) FROM listings")
    finally:
        await conn.close()


def settings() -> Settings:
    return Settings(
        env=Environment.test,
        database_url=DSN.replace("postgresql://", "postgresql+asyncpg://"),
        log_level="WARNING",
        log_json=False,
        db_pool_size=10,
        db_max_overflow=0,
    )


async def drive(
    client: httpx.AsyncClient, paths: list[str], seconds: float, concurrency: int = CONCURRENCY, keep: bool = False
) -> dict:
    """`concurrency` workers request `paths` round-robin for `seconds`; latencies in ms."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            path = paths[next(counter) % len(paths)]
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    if keep:  # raw figures, for `alternate` to pool
        return {"latencies": latencies, "errors": errors, "elapsed": elapsed}
    return _summary(latencies, errors, elapsed)


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))


async def alternate(first: tuple, second: tuple, seconds: float) -> tuple[dict, dict]:
    """`drive` both sides in ROUNDS alternating rounds of seconds / ROUNDS each; the figures of all
    rounds of a side are pooled (requests over the time it ran, percentiles over all latencies)."""
    runs: dict[int, list[dict]] = {0: [], 1: []}
    for _ in range(ROUNDS):
        for side, (client, paths) in enumerate((first, second)):
            runs[side].append(await drive(client, paths, seconds / ROUNDS, keep=True))
    return _pooled(runs[0]), _pooled(runs[1])


def _pooled(runs: list[dict]) -> dict:
    latencies = sorted(v for r in runs for v in r.pop("latencies"))
    elapsed = sum(r.pop("elapsed") for r in runs)
    return _summary(latencies, sum(r["errors"] for r in runs), elapsed)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
    }


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


async def same_json(app_client, ref_client, app_path: str, ref_path: str, app_sql: list[str], ref_sql: str) -> None:
    """Both answer with equal JSON, and the app's query is the reference's SQL text."""
    app_sql.clear()
    a = (await app_client.get(app_path)).json()
    sent = list(app_sql)
    b = (await ref_client.get(ref_path)).json()
    if a != b:
        raise SystemExit(
            f"reference differs from the app for {app_path}:\n{json.dumps(a)[:800]}\n{json.dumps(b)[:800]}"
        )
    if _normalised(ref_sql) not in [_normalised(s) for s in sent]:
        raise SystemExit(f"the app did not send the reference's SQL for {app_path}; it sent:\n" + "\n".join(sent))


async def measure(size: int, app, ref, queries: list[str], log=print) -> dict:
    conn = await asyncpg.connect(DSN)
    try:
        ids = [str(r["id"]) for r in await conn.fetch("SELECT id FROM pilot_results ORDER BY id LIMIT 2000")]
    finally:
        await conn.close()
    random.Random(3).shuffle(ids)
    search_app = [httpx.URL("/api/v1/catalogue/search", params={"q": q}).raw_path.decode() for q in queries]
    search_ref = [httpx.URL("/ref/search", params={"q": q}).raw_path.decode() for q in queries]
    get_app = [f"/api/v1/pilot-results/{i}" for i in ids]
    get_ref = [f"/ref/pilot-results/{i}" for i in ids]
    out: dict = {"listings": size}
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as app_client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=ref), base_url="http://bench") as ref_client,
    ):
        # What the app sends, recorded by SQLAlchemy's cursor events and where asyncpg looks each
        # query text up.
        app_sql: list[str] = []

        def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
            app_sql.append(statement)

        original = asyncpg.connection.Connection._get_statement

        async def recording(self, query, *args, **kwargs):
            app_sql.append(query)
            return await original(self, query, *args, **kwargs)

        engines = {app.state.db.engine.sync_engine, app.state.db.read_engine.sync_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", record)
        asyncpg.connection.Connection._get_statement = recording
        try:
            for i in range(5):
                await same_json(app_client, ref_client, search_app[i], search_ref[i], app_sql, reference.SEARCH_SQL)
                await same_json(app_client, ref_client, get_app[i], get_ref[i], app_sql, reference.GET_SQL)
        finally:
            asyncpg.connection.Connection._get_statement = original
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)
        for name, app_paths, ref_paths in (("search", search_app, search_ref), ("get", get_app, get_ref)):
            await drive(app_client, app_paths, 1.0)  # warm caches and pools
            await drive(ref_client, ref_paths, 1.0)
            # Settle the heap first (a full collection landing in one side's window would cost it
            # a pause the other did not pay), then alternate short rounds so that drift in the
            # machine's speed falls on both sides alike.
            gc.collect()
            gc.freeze()
            out[f"{name}_ref"], out[f"{name}_app"] = await alternate(
                (ref_client, ref_paths), (app_client, app_paths), SECONDS
            )
            ratio = out[f"{name}_app"]["rps"] / out[f"{name}_ref"]["rps"]
            out[f"{name}_throughput_ratio"] = round(ratio, 3)
            log(f"  {name}: app {out[f'{name}_app']} | ref {out[f'{name}_ref']} | app/ref {ratio:.0%}")
        # Unloaded latency: one request at a time, so queueing on the two cores does not count.
        out["search_app_serial"] = await drive(app_client, search_app, SECONDS / 2, concurrency=1)
        out["search_ref_serial"] = await drive(ref_client, search_ref, SECONDS / 2, concurrency=1)
        gc.unfreeze()
        log(f"  search one at a time: app {out['search_app_serial']} | ref {out['search_ref_serial']}")
    if HTTP:
        endpoints = {"search": (search_app, search_ref), "get": (get_app, get_ref)}
        out["http"] = await asyncio.to_thread(http_bench.measure, DSN, endpoints, HTTP_SECONDS, HTTP_ROUNDS, log)
    return out


def summary(report: dict) -> str:
    """App and reference req/s and their ratio, over HTTP and in process, per size and endpoint."""
    lines = [
        f"{'listings':>9} {'endpoint':<8} {'HTTP app':>9} {'HTTP ref':>9} {'ratio':>6}"
        f" {'in-proc app':>12} {'in-proc ref':>12} {'ratio':>6}"
    ]
    for run in report["runs"]:
        for name in ("search", "get"):
            http = run.get("http", {}).get(name)
            over_http = (
                f"{http['app']['rps']:>9} {http['ref']['rps']:>9} {http['ratio']:>6.0%}" if http else f"{'-':>26}"
            )
            lines.append(
                f"{run['listings']:>9,} {name:<8} {over_http} {run[f'{name}_app']['rps']:>12}"
                f" {run[f'{name}_ref']['rps']:>12} {run[f'{name}_throughput_ratio']:>6.0%}"
            )
    if "search_p50_growth" in report:
        lines.append(f"search p50 growth {report['search_p50_growth']}x (8 workers, in process)")
    return "\n".join(lines)


def machine() -> dict:
    def run(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    return {
        "nproc": run("nproc"),
        "free_g": run("free -g | sed -n 2p"),
        "cpu": run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip(),
        "python": platform.python_version(),
        "postgres": run(f"psql '{DSN}' -Atc 'show server_version'"),
    }


async def main() -> None:
    await create_database()
    reuse = REUSE and await _listing_count() == SIZES[0]
    if not reuse:
        await reset_schema()
        await asyncio.to_thread(migrations.upgrade, settings())
    app = create_app(settings())
    ref = create_reference(DSN)
    queries = dataset.queries(dataset.chinese_vocabulary(), dataset.english_vocabulary())
    report = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "seconds": SECONDS,
        "concurrency": CONCURRENCY,
        "http_connections": http_bench.CONNECTIONS if HTTP else None,
        "http_seconds": HTTP_SECONDS if HTTP else None,
        "http_rounds": HTTP_ROUNDS if HTTP else None,
        "reused_database": reuse,
        "runs": [],
    }
    try:
        for size in SIZES:
            started = time.perf_counter()
            if reuse and size == SIZES[0]:
                print(f"reusing {size:,} listings (BENCH_REUSE=1)")
            else:
                print(f"seeding {size:,} listings")
                conn = await asyncpg.connect(DSN)
                try:
                    await dataset.grow(conn, size)
                finally:
                    await conn.close()
            seeded = round(time.perf_counter() - started, 1)
            print(f"  seeded in {seeded}s; measuring")
            run = await measure(size, app, ref, queries)
            run["seed_seconds"] = seeded
            report["runs"].append(run)
    finally:
        await app.state.db.dispose()
        await ref.state.close()
    if len(report["runs"]) >= 2:
        first, last = report["runs"][0], report["runs"][-1]
        report["search_p50_growth"] = round(last["search_app"]["p50_ms"] / first["search_app"]["p50_ms"], 2)
        report["search_serial_p50_growth"] = round(
            last["search_app_serial"]["p50_ms"] / first["search_app_serial"]["p50_ms"], 2
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(summary(report))


if __name__ == "__main__":
    asyncio.run(main())
