"""A database that restarts or refuses connections answers 503 with Retry-After, never 500
(issue 12 item 9). A local stand-in for PostgreSQL speaks the start of the wire protocol and
answers every connection as a server does while it starts up or shuts down (SQLSTATE 57P03 or
57P01), or nothing listens at all; reads, writes, sign-in and /ready are tried against it."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator

import httpx
import pytest

from api.main import create_app
from services.db import Database

API = "/api/v1"


def _error_response(code: str, message: str) -> bytes:
    fields = b"".join(
        key + value.encode() + b"\0" for key, value in [(b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message)]
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


async def _serve_refusal(code: str, message: str) -> tuple[asyncio.AbstractServer, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!I", await reader.readexactly(4))
                payload = await reader.readexactly(length - 4)
                if payload[:4] in (struct.pack("!I", 80877103), struct.pack("!I", 80877104)):  # SSL / GSS request
                    writer.write(b"N")
                    await writer.drain()
                    continue
                writer.write(_error_response(code, message))  # the startup message
                await writer.drain()
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(
    params=[
        ("57P03", "the database system is starting up"),
        ("57P01", "terminating connection due to administrator command"),
        None,  # connection refused
    ],
    ids=["starting-up", "shutting-down", "refused"],
)
async def unavailable(request, settings) -> AsyncIterator[httpx.AsyncClient]:
    server = None
    if request.param is None:
        port = _free_port()
    else:
        server, port = await _serve_refusal(*request.param)
    down = settings.model_copy(update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{port}/ttm"})
    db = Database(down)
    app = create_app(down, database=db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("127.0.0.1", 5000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await db.dispose()
        if server is not None:
            server.close()
            await server.wait_closed()


def _is_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and int(response.headers["Retry-After"]) > 0
        and response.headers["content-type"] in ("application/problem+json", "application/json")
    )


class TestConnectionPhaseFailures:
    async def test_reads_answer_503_with_retry_after(self, unavailable):
        for path in (f"{API}/catalogue/search", f"{API}/pilot-results/00000000-0000-0000-0000-000000000000"):
            response = await unavailable.get(path)
            assert _is_503(response), (path, response.status_code, response.text)
            assert response.json()["type"] == "urn:ttm:problem:database-unavailable"

    async def test_writes_and_sign_in_answer_503(self, unavailable):
        body = {"username": "someone@example.com", "password": "a-long-enough-password"}
        response = await unavailable.post(f"{API}/auth/token", data=body)
        assert _is_503(response), response.text
        response = await unavailable.get(f"{API}/me", headers={"Authorization": "Bearer x.y.z"})
        assert response.status_code in (401, 503), response.text

    async def test_ready_answers_503_with_retry_after(self, unavailable):
        response = await unavailable.get("/ready")
        assert _is_503(response), response.text
        assert response.json()["status"] == "unavailable"
