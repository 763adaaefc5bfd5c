"""Resident memory of each API worker: `ttm serve --workers N` started as in production, a short
catalogue load (searches and gets by id over real HTTP), RSS of every worker before, during and after.

    .venv/bin/python -m bench.memory                      # 2 workers on a seeded SQLite demo
    .venv/bin/python -m bench.memory --workers 4 --seconds 20
    .venv/bin/python -m bench.memory --database-url postgresql://postgres@127.0.0.1/ttm_bench

Without `--database-url` a fresh SQLite file in a temporary directory is migrated and seeded with
the demo (`ttm migrate`, `ttm seed-demo`); a given database is used as it is (migrated and filled,
e.g. the catalogue benchmark's `ttm_bench`). Per worker: RSS once ready (`started`), the highest
RSS sampled every 50 ms while the load runs and the kernel's high-water mark (`peak`), RSS after
the load (`after`), and the private part of it (`private`: memory the worker shares with no other
process, from /proc/<pid>/smaps_rollup). `--sign-ins N` first sends N failed sign-ins and reads RSS
again (`signins`): whether the memory a password check takes comes back (services/allocator.py).
Linux only (reads /proc). Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.serving import free_port, wait_ready

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "锂电池",
    "电池",
    "材料",
    "显微镜",
    "检测",
    "battery",
    "microscope",
    "carbon",
    "机器人",
    "疫苗",
    "membrane",
    "复合材料",
    "电机 控制器",
    "x",
]
DETAIL = {"pilot_result": "pilot-results", "instrument": "instruments", "service_offer": "service-offers"}


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def _private_kib(pid: int) -> int:
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def workers_of(master: int, expected: int) -> list[int]:
    """The worker processes: the master itself with one worker (uvicorn serves in-process), else its
    children that run the app (not multiprocessing's resource tracker)."""
    if expected == 1:
        return [master]
    pids = []
    for child in _children(master):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if "resource_tracker" not in cmdline:
            pids.append(child)
    return sorted(pids)


def _mb(kib: int) -> float:
    return round(kib / 1024, 1)


async def _settled(pids: list[int], *, within: float = 600) -> None:
    """Until no worker's RSS has moved by more than 1 MB for 2 s: every worker has finished starting
    (imports, the segmenter's dictionary) before `started` is read."""
    last = {pid: _status(pid)["VmRSS"] for pid in pids}
    steady_since = time.monotonic()
    deadline = steady_since + within
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        now = {pid: _status(pid)["VmRSS"] for pid in pids}
        if any(abs(now[pid] - last[pid]) > 1024 for pid in pids):
            steady_since, last = time.monotonic(), now
        elif time.monotonic() - steady_since >= 2:
            return
    raise SystemExit("the workers' memory did not settle")


async def drive(base: str, *, seconds: float, concurrency: int) -> dict[str, int]:
    """Searches (each query a few pages deep) and gets by id of what they found, from `concurrency`
    clients for `seconds`."""
    counts = {"search": 0, "get": 0, "errors": 0}
    stop = time.monotonic() + seconds

    async def client_loop(n: int) -> None:
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while time.monotonic() < stop:
                r = await client.get("/api/v1/catalogue/search", params={"q": rng.choice(QUERIES), "limit": 20})
                counts["search"] += 1
                if r.status_code != 200:
                    counts["errors"] += 1
                    continue
                for hit in r.json()["items"][:3]:
                    got = await client.get(f"/api/v1/{DETAIL[hit['kind']]}/{hit['id']}")
                    counts["get"] += 1
                    counts["errors"] += got.status_code != 200

    await asyncio.gather(*(client_loop(i) for i in range(concurrency)))
    return counts


async def sign_ins(base: str, count: int) -> dict[int, int]:
    """`count` failed sign-ins (unknown e-mails, two at a time; each checks a password against the
    dummy argon2 hash at the server's costs, as a wrong password does) before the catalogue load:
    whether memory a sign-in takes comes back. Returns the statuses seen."""
    statuses: dict[int, int] = {}
    gate = asyncio.Semaphore(2)

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with gate:
            form = {"username": f"bench-memory-{n}@example.invalid", "password": "not the password"}
            r = await client.post("/api/v1/auth/token", data=form)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await asyncio.gather(*(one(client, n) for n in range(count)))
    return statuses


async def sample_peak(pids: list[int], peak: dict[int, int], done: asyncio.Event) -> None:
    while not done.is_set():
        for pid in pids:
            peak[pid] = max(peak[pid], _status(pid)["VmRSS"])
        await asyncio.sleep(0.05)


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def measure(args: argparse.Namespace) -> dict:
    """Start the server (on a fresh demo SQLite file unless a database is given), measure, stop it."""
    app_dir = args.app_dir.resolve()
    env = dict(os.environ, PYTHONPATH=str(app_dir))
    env.setdefault("TTM_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="ttm-bench-memory-") as tmp:
        if args.database_url:
            env["TTM_DATABASE_URL"] = args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        else:
            env["TTM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp}/ttm.db"
            print("migrating and seeding the demo into a fresh SQLite file ...", flush=True)
            _run([sys.executable, "-m", "api.cli", "migrate"], env, app_dir)
            _run([sys.executable, "-m", "api.cli", "seed-demo"], env, app_dir)
        port = free_port()
        cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", str(args.workers)]
        server = subprocess.Popen(cmd, env=env, cwd=app_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            result = asyncio.run(_measure(server.pid, f"http://127.0.0.1:{port}", args))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    result["app_dir"] = str(app_dir)
    return result


async def _measure(master: int, base: str, args: argparse.Namespace) -> dict:
    await wait_ready(base, within=600)
    pids = workers_of(master, args.workers)
    if len(pids) != args.workers:
        raise SystemExit(f"expected {args.workers} workers, found processes {pids}")
    await _settled(pids)
    started = {pid: _status(pid)["VmRSS"] for pid in pids}
    peak = dict(started)
    signed = await sign_ins(base, args.sign_ins) if args.sign_ins else None
    after_sign_ins = {pid: _status(pid)["VmRSS"] for pid in pids}
    done = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(pids, peak, done))
    t0 = time.monotonic()
    counts = await drive(base, seconds=args.seconds, concurrency=args.concurrency)
    elapsed = time.monotonic() - t0
    done.set()
    await sampler
    await asyncio.sleep(1)
    after = {pid: _status(pid) for pid in pids}
    private = {pid: _private_kib(pid) for pid in pids}
    per_worker = [
        {
            "pid": pid,
            "started_mb": _mb(started[pid]),
            "after_sign_ins_mb": _mb(after_sign_ins[pid]) if signed else None,
            "during_max_mb": _mb(peak[pid]),
            "peak_hwm_mb": _mb(max(after[pid]["VmHWM"], peak[pid])),
            "after_mb": _mb(after[pid]["VmRSS"]),
            "private_after_mb": _mb(private[pid]),
        }
        for pid in pids
    ]
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg()[0],
        },
        "database": "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite demo",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 1),
        "requests": counts,
        "sign_ins": signed,
        "per_worker": per_worker,
        "peak_mb": max(w["peak_hwm_mb"] for w in per_worker),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "2")))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_MEMORY_DB"))
    parser.add_argument(
        "--sign-ins", type=int, default=0, help="failed sign-ins before the load (at most 30: the per-address limit)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "memory.json")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="serve another checkout (before/after comparisons)")
    args = parser.parse_args()
    result = measure(args)
    print(f"{result['workers']} workers, {result['database']}, {result['seconds']} s of load: {result['requests']}")
    if result["sign_ins"]:
        print(f"before the load: failed sign-ins by status {result['sign_ins']}")
    print(f"{'worker':>8} {'started':>8} {'signins':>8} {'during':>8} {'peak':>8} {'after':>8} {'private':>8}  (MB)")
    for w in result["per_worker"]:
        print(
            f"{w['pid']:>8} {w['started_mb']:>8} {w['after_sign_ins_mb'] or '-':>8} {w['during_max_mb']:>8} "
            f"{w['peak_hwm_mb']:>8} {w['after_mb']:>8} {w['private_after_mb']:>8}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
