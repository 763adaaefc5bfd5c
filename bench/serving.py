"""What the benchmarks that start a server share: a free port on 127.0.0.1, and waiting for /health."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(base: str, within: float) -> None:
    """Until `base`/health answers 200, or a clear failure after `within` seconds."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the server at {base} did not answer /health within {within:.0f} s")
