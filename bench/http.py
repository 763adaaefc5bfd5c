"""Throughput over real HTTP: the app and the bare reference, each under uvicorn with one worker on
127.0.0.1, driven by wrk from another process (16 connections), in alternating rounds.

Used by `bench.run` after each size's in-process phases. The app is started as production starts
it (`ttm serve --workers 1`: uvicorn with uvloop and httptools, the app's JSON access log at INFO
written to a discarded stderr), the reference by uvicorn with the same loop and parser
(`bench.reference:from_env`, no access log: it has none). wrk runs a Lua script that cycles
through the same paths as the in-process phases (the 400 benchmark queries; 2,000 pilot results).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.serving import free_port

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "16"))


def ensure_wrk() -> str:
    """wrk's path; installed from Debian's package when missing, or a clear failure."""
    if not shutil.which("wrk"):
        print("wrk is missing; installing Debian's package `wrk` with apt-get ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        install = [*prefix, "apt-get", "install", "-y", "wrk"]
        # A stale package list makes `install` fail: update it, then install again.
        for cmd in (install, [*prefix, "apt-get", "update"], install):
            try:
                subprocess.run(cmd, env=env, check=False, capture_output=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired):
                pass
            if cmd is install and shutil.which("wrk"):
                break
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "the HTTP benchmark needs wrk and could not install it (`apt-get install wrk` failed); "
            "install Debian's `wrk` package (or run as a user who may) and run again"
        )
    return found


class Server:
    """A uvicorn process with one worker, stopped on exit."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, ready: str) -> None:
        self.name, self.cmd, self.env, self.port, self.ready = name, cmd, env, port, ready
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the {self.name} server exited with {self.process.returncode}: {' '.join(self.cmd)}")
            try:
                if httpx.get(self.base + self.ready, timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the {self.name} server did not start within 120 s")

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def app_server(dsn: str) -> Server:
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TTM_DATABASE_URL=dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
        TTM_DB_POOL_SIZE="10",
        TTM_DB_MAX_OVERFLOW="0",
        TTM_LOG_LEVEL="INFO",
        TTM_LOG_JSON="true",
    )
    cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    return Server("app", cmd, env, port, "/health")


def reference_server(dsn: str) -> Server:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), BENCH_DSN=dsn)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "bench.reference:from_env", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]
    return Server("reference", cmd, env, port, "/openapi.json")


def _lua(paths: list[str]) -> str:
    listed = ",\n".join(json.dumps(p) for p in paths)  # percent-encoded ASCII: a JSON string is a Lua string
    return (
        f"local paths = {{\n{listed}\n}}\n"
        "local n = #paths\n"
        "local i = math.random(n) - 1\n"
        "request = function()\n"
        "  i = (i + 1) % n\n"
        '  return wrk.format("GET", paths[i + 1])\n'
        "end\n"
    )


_LINE = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
_PCT = re.compile(r"^\s+(50|90|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def run_wrk(wrk: str, base: str, script: Path, seconds: float) -> dict:
    duration = f"-d{max(1, round(seconds))}s"
    out = subprocess.run(
        [wrk, "-t1", f"-c{CONNECTIONS}", duration, "--latency", "--timeout", "10s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = _LINE.search(out)
    if found is None:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    requests, elapsed = int(found[1]), float(found[2]) * _UNITS[found[3]]
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: .*?timeout (\d+)"):
        match = re.search(pattern, out)
        errors += int(match[1]) if match else 0
    latency = {f"p{m[1]}_ms": float(m[2]) * _UNITS[m[3]] * 1000 for m in _PCT.finditer(out)}
    return {"requests": requests, "elapsed": elapsed, "errors": errors, **latency}


def _pooled(runs: list[dict]) -> dict:
    requests = sum(r["requests"] for r in runs)
    elapsed = sum(r["elapsed"] for r in runs)
    return {
        "requests": requests,
        "errors": sum(r["errors"] for r in runs),
        "rps": round(requests / elapsed, 1),
        # wrk reports percentiles per run; the median of the rounds' values
        "p50_ms": round(sorted(r.get("p50_ms", 0) for r in runs)[len(runs) // 2], 2),
        "p99_ms": round(sorted(r.get("p99_ms", 0) for r in runs)[len(runs) // 2], 2),
    }


def measure(
    dsn: str, endpoints: dict[str, tuple[list[str], list[str]]], seconds: float, rounds: int, log=print
) -> dict:
    """For each endpoint name -> (app paths, reference paths): rounds app, ref, app, ref, ... of
    seconds / rounds each, after a warm-up; returns per endpoint app, ref and their ratio."""
    wrk = ensure_wrk()
    out: dict = {"connections": CONNECTIONS, "load_generator": "wrk -t1", "workers_per_app": 1}
    with (
        tempfile.TemporaryDirectory(prefix="ttm-bench-http-") as tmp,
        app_server(dsn) as app,
        reference_server(dsn) as ref,
    ):
        for name, (app_paths, ref_paths) in endpoints.items():
            scripts = []
            for side, paths in (("app", app_paths), ("ref", ref_paths)):
                script = Path(tmp) / f"{name}-{side}.lua"
                script.write_text(_lua(paths))
                scripts.append(script)
            runs: dict[str, list[dict]] = {"app": [], "ref": []}
            for server, script in ((app, scripts[0]), (ref, scripts[1])):
                run_wrk(wrk, server.base, script, 2)  # warm: pools, caches, the segmenter
            for _ in range(rounds):
                runs["app"].append(run_wrk(wrk, app.base, scripts[0], seconds / rounds))
                runs["ref"].append(run_wrk(wrk, ref.base, scripts[1], seconds / rounds))
            app_result, ref_result = _pooled(runs["app"]), _pooled(runs["ref"])
            if app_result["errors"] or ref_result["errors"]:
                raise SystemExit(f"HTTP {name}: errors (non-2xx or timeouts): app {app_result} ref {ref_result}")
            ratio = round(app_result["rps"] / ref_result["rps"], 3)
            out[name] = {"app": app_result, "ref": ref_result, "ratio": ratio}
            log(f"  HTTP {name}: app {app_result} | ref {ref_result} | app/ref {ratio:.0%}")
    return out
