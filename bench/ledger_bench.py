"""The ledger's balances over 1M postings on PostgreSQL: the API against the raw SQL aggregate.

    make bench-ledger        # or: .venv/bin/python -m bench.ledger_bench --database-url ... --postings 1000000

Creates (or wipes) its own database, migrates it, and loads one centre's ledger: the CNY chart,
three bank accounts, and `--postings` postings (two per entry) spread over 24 months with
generate_series in SQL. The ledger's row triggers are disabled for the bulk load only (they check
each entry as it is written; every entry loaded is balanced by construction, and the run ends by
checking that per entry and for the whole ledger).

Then, alternating in the same run (`--rounds` rounds of `--repeat` calls each):
- GET /api/v1/ledger/trial-balance?as_of=... through the real application in process (httpx ASGI
  transport: auth, middleware, the service, the response model) against the same aggregate as a
  raw SQL statement on asyncpg;
- GET /api/v1/ledger/accounts/{receivable}?as_of=... against its raw aggregate.
Median latency of each; the target is the app at most 1.5x the raw SQL. Results go to
bench/results/ledger.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.main import create_app
from models.enums import OrganisationKind, Role
from services import migrations
from services.db import Database
from services.ledger import chart
from services.settings import Environment, Settings, generate_dev_key
from tests.factories.organisations import build

DEFAULT_URL = "postgresql://postgres@127.0.0.1/ttm_bench_ledger"
RESULTS = Path(__file__).resolve().parent / "results" / "ledger.json"

RAW_TRIAL = """
SELECT account_id,
       coalesce(sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0),
       coalesce(sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0)
FROM ledger_postings WHERE centre_id = $1 AND booked_at <= $2 GROUP BY account_id
"""
RAW_ACCOUNT = """
SELECT coalesce(sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0),
       coalesce(sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0)
FROM ledger_postings WHERE account_id = $1 AND booked_at <= $2
"""

# The shapes a centre's ledger is made of, in turn: an accrual (Dr receivable / Cr income of one
# of five kinds), a receipt (Dr one of three bank accounts / Cr receivable) and an allocation
# (Dr team reward expense / Cr team reward payable). The receivable takes two postings in three.
LOAD = """
WITH series AS (
    SELECT g, gen_random_uuid() AS entry_id,
           $2::timestamptz + (g::double precision / $3) * interval '730 days' AS at,
           (1 + (g * 7919) % 2000000)::bigint AS amount
    FROM generate_series(1::bigint, $3::bigint) AS g
), shaped AS (
    SELECT s.*, CASE g % 3
        WHEN 0 THEN $4::uuid
        WHEN 1 THEN ($6::uuid[])[1 + (g / 3) % array_length($6::uuid[], 1)]
        ELSE $8::uuid END AS debit,
        CASE g % 3
        WHEN 0 THEN ($5::uuid[])[1 + (g / 3) % array_length($5::uuid[], 1)]
        WHEN 1 THEN $4::uuid
        ELSE $7::uuid END AS credit
    FROM series s
), entries AS (
    INSERT INTO ledger_entries (id, centre_id, booked_at, period, description, source, source_ref, created_at)
    SELECT entry_id, $1, at, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), 'bench', 'manual', entry_id::text, at
    FROM shaped
)
INSERT INTO ledger_postings (id, entry_id, line, account_id, centre_id, amount, currency, booked_at)
SELECT gen_random_uuid(), entry_id, l.line, CASE WHEN l.line = 1 THEN debit ELSE credit END,
       $1, CASE WHEN l.line = 1 THEN amount ELSE -amount END, 'CNY', at
FROM shaped CROSS JOIN (VALUES (1), (2)) AS l(line)
"""


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _reset(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(_asyncpg_url(url.rsplit("/", 1)[0] + "/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _seed(app, db: Database, url: str, postings: int) -> tuple[str, dict[str, str], str]:
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre, name="长三角国家技术创新中心")
        finance = b.member(centre, Role.finance)[1]
    async with db.session_scope() as session:
        await chart.open_chart(session, centre.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for n in range(3):
            r = await client.post(
                "/api/v1/ledger/bank-accounts",
                json={"name": f"账户{n}", "bank_name": "工商银行", "account_number": f"62220000{n:08d}"},
                headers=finance,
            )
            assert r.status_code == 201, r.text
        accounts = (await client.get("/api/v1/ledger/accounts", params={"limit": 100}, headers=finance)).json()
    by_purpose: dict[str, list[uuid.UUID]] = {}
    for a in accounts["items"]:
        by_purpose.setdefault(a["purpose"], []).append(uuid.UUID(a["id"]))
    receivable = by_purpose["receivable"][0]
    conn = await asyncpg.connect(_asyncpg_url(url))
    try:
        await conn.execute("ALTER TABLE ledger_postings DISABLE TRIGGER USER")
        await conn.execute("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
        start = datetime.now(UTC) - timedelta(days=730)
        await conn.execute(
            LOAD,
            centre.id,
            start,
            postings // 2,
            receivable,
            by_purpose["income"],
            by_purpose["bank"],
            by_purpose["team_reward_payable"][0],
            by_purpose["team_reward_expense"][0],
        )
        await conn.execute("ALTER TABLE ledger_postings ENABLE TRIGGER USER")
        await conn.execute("ALTER TABLE ledger_entries ENABLE TRIGGER USER")
        await conn.execute("VACUUM ANALYZE ledger_postings")
        await conn.execute("VACUUM ANALYZE ledger_entries")
        await conn.execute("CHECKPOINT")
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING sum(amount) <> 0) x"
        )
        total = await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM ledger_postings")
        assert unbalanced == 0 and total == 0, (unbalanced, total)
    finally:
        await conn.close()
    return str(centre.id), finance, str(receivable)


async def _time(call, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def prepare(args: argparse.Namespace) -> Settings:
    """A fresh database at head (migrations run outside the event loop) and the app's settings."""
    asyncio.run(_reset(args.database_url))
    keys = Path(tempfile.mkdtemp())
    generate_dev_key(keys)
    settings = Settings(
        env=Environment.test,
        database_url=args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1),
        jwt_key_dir=keys,
        jwt_active_kid=next(keys.glob("*.pem")).stem,
        log_level="WARNING",
        log_json=False,
    )
    migrations.upgrade(settings)
    return settings


async def run(args: argparse.Namespace, settings: Settings) -> dict:
    url = args.database_url
    db = Database(settings)
    app = create_app(settings, database=db)
    centre_id, finance, receivable = await _seed(app, db, url, args.postings)
    as_of = datetime.now(UTC) - timedelta(days=120)
    conn = await asyncpg.connect(_asyncpg_url(url))
    await conn.execute("SET plan_cache_mode = force_generic_plan")
    transport = httpx.ASGITransport(app=app)
    results: dict[str, dict[str, list[float]]] = {
        "trial_balance": {"app": [], "raw": []},
        "account": {"app": [], "raw": []},
    }
    centre_uuid, account_uuid = uuid.UUID(centre_id), uuid.UUID(receivable)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def app_trial():
            r = await client.get("/api/v1/ledger/trial-balance", params={"as_of": as_of.isoformat()}, headers=finance)
            assert r.status_code == 200, r.text

        async def raw_trial():
            await conn.fetch(RAW_TRIAL, centre_uuid, as_of)

        async def app_account():
            r = await client.get(
                f"/api/v1/ledger/accounts/{receivable}", params={"as_of": as_of.isoformat()}, headers=finance
            )
            assert r.status_code == 200, r.text

        async def raw_account():
            await conn.fetchrow(RAW_ACCOUNT, account_uuid, as_of)

        for call in (app_trial, raw_trial, app_account, raw_account):  # warm both sides
            await _time(call, 3)
        for _ in range(args.rounds):
            results["trial_balance"]["app"] += await _time(app_trial, args.repeat)
            results["trial_balance"]["raw"] += await _time(raw_trial, args.repeat)
            results["account"]["app"] += await _time(app_account, args.repeat)
            results["account"]["raw"] += await _time(raw_account, args.repeat)
        # Same numbers on both sides, checked once.
        body = (
            await client.get("/api/v1/ledger/trial-balance", params={"as_of": as_of.isoformat()}, headers=finance)
        ).json()
        raw = {str(r[0]): (r[1], r[2]) for r in await conn.fetch(RAW_TRIAL, centre_uuid, as_of)}
        for line in body["accounts"]:
            assert raw.get(line["account_id"], (0, 0)) == (line["debits"]["amount"], line["credits"]["amount"])
    await conn.close()
    await db.dispose()
    summary = {}
    for name, sides in results.items():
        app_ms, raw_ms = statistics.median(sides["app"]), statistics.median(sides["raw"])
        summary[name] = {"app_ms": round(app_ms, 3), "raw_ms": round(raw_ms, 3), "ratio": round(app_ms / raw_ms, 3)}
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "postings": args.postings,
        "rounds": args.rounds,
        "repeat": args.repeat,
        "results": summary,
        "target": "app <= 1.5x raw SQL",
        "met": all(v["ratio"] <= 1.5 for v in summary.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_LEDGER_DB", DEFAULT_URL))
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    out = asyncio.run(run(args, prepare(args)))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    for name, r in out["results"].items():
        print(f"{name:14s} app {r['app_ms']:8.2f} ms  raw {r['raw_ms']:8.2f} ms  ratio {r['ratio']:.2f}")
    print("target met" if out["met"] else "TARGET MISSED", "(app <= 1.5x raw)")


if __name__ == "__main__":
    main()
