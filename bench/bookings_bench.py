"""Booking under contention against PostgreSQL: zero overlaps, and throughput versus uncontended booking.

    make bench-bookings            # or: .venv/bin/python bench/bookings_bench.py --database-url ...

The real application (every middleware, auth, idempotency-free POST /api/v1/bookings, the
exclusion constraint) is driven in-process through httpx's ASGI transport by N concurrent
clients (asyncio tasks); PostgreSQL does the concurrency control. The database is wiped and
migrated first, so point it at a throwaway database.

Phases, in the same run and with the same number of requests:
- uncontended: every client books its own instrument, each request a distinct free slot (all 201);
- contended: every client books the same instrument's `--slots` hourly slots, each slot asked for
  `clients * attempts / slots` times in a shuffled order (one 201 per slot, the rest 409).
Throughput is answered requests per second; afterwards an SQL self-join counts overlapping
slot-holding bookings (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.main import create_app
from models.enums import OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services import migrations
from services.db import Database, create_engine
from services.settings import Environment, Settings, generate_dev_key
from tests.factories.organisations import auth_headers, make_uscc

OVERLAPS_SQL = """
SELECT count(*) FROM bookings a JOIN bookings b
  ON a.instrument_id = b.instrument_id AND a.id < b.id
 AND a.start_at < b.end_at AND b.start_at < a.end_at
WHERE a.state IN ('requested', 'confirmed', 'completed', 'no_show')
  AND b.state IN ('requested', 'confirmed', 'completed', 'no_show')
"""


def async_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1) if url.startswith("postgresql://") else url


async def _create_database(url: str) -> None:
    """Create the benchmark's database when it is missing (a fresh machine has only `postgres`)."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    base, name = plain.rsplit("/", 1)
    admin = await asyncpg.connect(base + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def reset(url: str, settings: Settings) -> None:
    await _create_database(url)
    engine = create_engine(settings.model_copy(update={"database_url": url}), null_pool=True)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await asyncio.to_thread(migrations.upgrade, settings)


def instrument_body(title: str) -> dict:
    return {
        "title": title,
        "abstract": "基准测试用仪器 (benchmark instrument)",
        "fields": ["new_materials"],
        "category": "基准",
        "rates": [{"tier": "sme", "unit": "hour", "price": {"amount": 60000, "currency": "CNY"}}],
        "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(7)],
        "min_booking_minutes": 30,
        "max_booking_minutes": 480,
        "lead_time_hours": 0,
        "max_advance_days": 365,
        "requires_confirmation": False,
    }


async def prepare(db: Database, app, client: httpx.AsyncClient, clients: int) -> tuple[list[dict], str, list[str]]:
    """A centre with staff, one SME user per client; one shared and one private instrument per client."""
    async with db.session_scope() as session:
        centre = Organisation(kind=OrganisationKind.centre, name="基准测试中心", uscc=make_uscc(), region="320500")
        session.add(centre)
        await session.flush()
        staff = User(email="bench-staff@example.com", full_name="基准", password_hash="x")
        session.add(staff)
        await session.flush()
        session.add(Membership(user_id=staff.id, organisation_id=centre.id, role=Role.centre_staff))
        users = []
        for i in range(clients):
            sme = Organisation(kind=OrganisationKind.sme, name=f"基准企业{i:02d}", uscc=make_uscc(), region="320500")
            user = User(email=f"bench-sme-{i}@example.com", full_name=f"用户{i}", password_hash="x")
            session.add_all([sme, user])
            await session.flush()
            session.add(Membership(user_id=user.id, organisation_id=sme.id, role=Role.sme_member))
            users.append(user)
    staff_headers = await auth_headers(db, app, staff)
    headers = [await auth_headers(db, app, u) for u in users]

    async def published(title: str) -> str:
        created = await client.post("/api/v1/instruments", json=instrument_body(title), headers=staff_headers)
        created.raise_for_status()
        iid = created.json()["id"]
        (await client.post(f"/api/v1/instruments/{iid}/publish", headers=staff_headers)).raise_for_status()
        return iid

    shared = await published("共享仪器（争用）")
    private = [await published(f"专用仪器{i:02d}") for i in range(clients)]
    return headers, shared, private


def slot(base: datetime, index: int) -> dict[str, str]:
    start = base + timedelta(hours=index)
    return {"start_at": start.isoformat(), "end_at": (start + timedelta(hours=1)).isoformat()}


async def run_phase(client, plans: list[tuple[dict, list[dict]]]) -> dict:
    """Each plan is (headers, bodies) for one client, sent one after another; clients run concurrently."""
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def one_client(headers: dict, bodies: list[dict]) -> None:
        for body in bodies:
            started = time.perf_counter()
            response = await client.post("/api/v1/bookings", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client(h, b) for h, b in plans))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "status_codes": {str(k): v for k, v in sorted(codes.items())},
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }


async def main(args: argparse.Namespace) -> dict:
    key_dir = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    kid = generate_dev_key(key_dir)
    url = async_url(args.database_url)
    settings = Settings(
        env=Environment.test,
        database_url=url,
        jwt_key_dir=key_dir,
        jwt_active_kid=kid,
        log_level="ERROR",
        log_json=False,
        db_pool_size=args.clients + 4,
        db_max_overflow=8,
    )
    await reset(url, settings)
    db = Database(settings)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    rng = random.Random(args.seed)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
        headers, shared, private = await prepare(db, app, client, args.clients)
        base = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
        per_client = args.attempts

        # Uncontended: each client its own instrument and its own free slots.
        uncontended_plans = [
            (headers[c], [{"instrument_id": private[c], **slot(base, k)} for k in range(per_client)])
            for c in range(args.clients)
        ]
        # Contended: every slot of the shared instrument asked for the same number of times, shuffled.
        total = args.clients * per_client
        attempts = [k % args.slots for k in range(total)]
        rng.shuffle(attempts)
        contended_plans = [
            (headers[c], [{"instrument_id": shared, **slot(base, k)} for k in attempts[c :: args.clients]])
            for c in range(args.clients)
        ]
        await run_phase(client, [(headers[0], [{"instrument_id": private[0], **slot(base, 400)}])])  # warm-up
        uncontended = await run_phase(client, uncontended_plans)
        contended = await run_phase(client, contended_plans)

    async with db.engine.connect() as conn:
        overlaps = await conn.scalar(text(OVERLAPS_SQL))
        shared_rows = await conn.scalar(
            text("SELECT count(*) FROM bookings WHERE instrument_id = CAST(:i AS uuid)"), {"i": shared}
        )
        server = await conn.scalar(text("SELECT version()"))
    await db.dispose()
    ratio = contended["requests_per_second"] / uncontended["requests_per_second"]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, cpus={os.cpu_count()}",
        "database": server,
        "transport": "in-process httpx.ASGITransport (one event loop), real app and real PostgreSQL",
        "clients": args.clients,
        "slots": args.slots,
        "requests_per_client": per_client,
        "uncontended": uncontended,
        "contended": contended,
        "contended_bookings_created": shared_rows,
        "overlapping_pairs": overlaps,
        "throughput_ratio": round(ratio, 3),
        "passed": overlaps == 0
        and shared_rows == args.slots
        and contended["status_codes"] == {"201": args.slots, "409": total - args.slots}
        and uncontended["status_codes"] == {"201": total}
        and ratio >= 0.5,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/ttm_bench_bookings")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--attempts", type=int, default=25, help="requests per client in each phase")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    result = asyncio.run(main(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bookings.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    sys.exit(0 if result["passed"] else 1)
