"""`/health` latency while failed sign-ins run (issue 12 item 2): argon2 must not stall the event loop.

    .venv/bin/python -m bench.signin_burst                                  # a fresh SQLite file
    .venv/bin/python -m bench.signin_burst --database-url postgresql://postgres@127.0.0.1/ttm_bench_signin

The API runs under uvicorn on 127.0.0.1 (`ttm serve`, one worker, production argon2 costs: the
defaults, time cost 3 and 64 MiB), on a fresh SQLite file in a temporary directory (migrated with
`ttm migrate`) or on the given PostgreSQL database, whose `public` schema is dropped and
re-migrated (the database is created when missing). The sign-in limits are raised for the run (`TTM_LOGIN_MAX_FAILURES`,
`TTM_LOGIN_MAX_FAILURES_PER_IP`) so every attempt does the full argon2 work instead of a cheap 429.

This process is the client (httpx, asyncio). Two phases of `--seconds` each:
1. `idle`: one task asks `/health` every 10 ms; nothing else runs;
2. `burst`: the same, while `--concurrency` (default 6) tasks send wrong passwords to
   `POST /api/v1/auth/token` back to back (each a distinct unknown e-mail, verified against the
   dummy hash: the same argon2 work as a wrong password).
It reports p50/p90/p99/max of `/health` in each phase, the sign-ins done and their latency, and the
load average, and writes bench/results/signin.json. `--app-dir` serves another checkout (e.g. the
code before argon2 moved off the event loop, `git archive 08db8e5^`) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.serving import free_port, wait_ready

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)


def _summary(ms: list[float]) -> dict[str, float | int]:
    return {
        "n": len(ms),
        "p50_ms": _pct(ms, 50),
        "p90_ms": _pct(ms, 90),
        "p99_ms": _pct(ms, 99),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


async def _health(client: httpx.AsyncClient, stop: float) -> list[float]:
    samples = []
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        r = await client.get("/health")
        samples.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"/health answered {r.status_code}")
        await asyncio.sleep(0.01)
    return samples


async def _sign_in(
    client: httpx.AsyncClient, stop: float, out: list[float], statuses: dict[int, int], odd: dict[int, str]
) -> None:
    while time.monotonic() < stop:
        form = {"username": f"nobody-{uuid.uuid4().hex[:12]}@example.com", "password": "wrong-password-123"}
        t0 = time.perf_counter()
        r = await client.post("/api/v1/auth/token", data=form)
        out.append((time.perf_counter() - t0) * 1000)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code != 401:
            odd.setdefault(r.status_code, r.text[:300])  # one example of each unexpected answer


async def _measure(base: str, args: argparse.Namespace) -> dict:
    await wait_ready(base, within=300)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(20):  # warm the connection pool and the app
            await client.get("/health")
        loads = [os.getloadavg()[0]]
        idle = await _health(client, time.monotonic() + args.seconds)
        loads.append(os.getloadavg()[0])
        stop = time.monotonic() + args.seconds
        sign_ins: list[float] = []
        statuses: dict[int, int] = {}
        odd: dict[int, str] = {}
        async with httpx.AsyncClient(base_url=base, timeout=120) as attackers:
            burst, *_ = await asyncio.gather(
                _health(client, stop),
                *(_sign_in(attackers, stop, sign_ins, statuses, odd) for _ in range(args.concurrency)),
            )
        loads.append(os.getloadavg()[0])
    return {
        "health_idle": _summary(idle),
        "health_during_burst": _summary(burst),
        "sign_ins": {"done": len(sign_ins), "statuses": statuses, "unexpected": odd, **_summary(sign_ins)},
        "load_average": {"min": min(loads), "max": max(loads)},
    }


def _reset_postgres(url: str) -> None:
    """Create the database when missing, then drop and re-create its `public` schema."""
    import asyncpg  # the app's own driver

    base, _, name = url.rpartition("/")

    async def reset() -> None:
        server = await asyncpg.connect(f"{base}/postgres")
        try:
            if not await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await server.execute(f'CREATE DATABASE "{name}"')
        finally:
            await server.close()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        finally:
            await conn.close()

    asyncio.run(reset())


def measure(args: argparse.Namespace) -> dict:
    app_dir = args.app_dir.resolve()
    env = dict(os.environ, PYTHONPATH=str(app_dir))
    env.setdefault("TTM_LOG_LEVEL", "WARNING")
    env["TTM_LOGIN_MAX_FAILURES"] = "1000000"
    env["TTM_LOGIN_MAX_FAILURES_PER_IP"] = "1000000"
    with tempfile.TemporaryDirectory(prefix="ttm-bench-signin-") as tmp:
        if args.database_url:
            _reset_postgres(args.database_url)
            env["TTM_DATABASE_URL"] = args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        else:
            env["TTM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp}/ttm.db"
        subprocess.run(
            [sys.executable, "-m", "api.cli", "migrate"], env=env, cwd=app_dir, check=True, stdout=subprocess.DEVNULL
        )
        port = free_port()
        cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        server = subprocess.Popen(cmd, env=env, cwd=app_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            result = asyncio.run(_measure(f"http://127.0.0.1:{port}", args))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "app_dir": str(app_dir),
        "database": "postgresql" if args.database_url else "sqlite (fresh file)",
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "password_hash_concurrency": int(os.environ.get("TTM_PASSWORD_HASH_CONCURRENCY", "2")),
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "15")))
    parser.add_argument("--concurrency", type=int, default=6, help="failed sign-ins in flight at once")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SIGNIN_DB") or None)
    parser.add_argument("--output", type=Path, default=RESULTS / "signin.json")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="serve another checkout (before/after comparisons)")
    args = parser.parse_args()
    result = measure(args)
    idle, burst, s = result["health_idle"], result["health_during_burst"], result["sign_ins"]
    print(f"{result['database']}, load {result['load_average']['min']:.1f}-{result['load_average']['max']:.1f}")
    print(f"/health idle: p50 {idle['p50_ms']} ms, p90 {idle['p90_ms']} ms, p99 {idle['p99_ms']} ms (n={idle['n']})")
    print(
        f"/health during burst: p50 {burst['p50_ms']} ms, p90 {burst['p90_ms']} ms, p99 {burst['p99_ms']} ms "
        f"(n={burst['n']})"
    )
    print(f"{result['concurrency']} concurrent failed sign-ins: {s['done']} done {s['statuses']}, p50 {s['p50_ms']} ms")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
