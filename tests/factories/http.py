"""Checks on HTTP answers that every area's tests share."""

from __future__ import annotations

import httpx


def is_problem(r: httpx.Response, status: int) -> bool:
    """An RFC 9457 answer with this status and one of the API's problem types."""
    return (
        r.status_code == status
        and r.headers["content-type"] == "application/problem+json"
        and (r.json()["status"] == status and r.json()["type"].startswith("urn:ttm:problem:"))
    )


async def metrics_text(app) -> str:
    """/metrics as the monitoring agent on the same host reads it (loopback, the default allowance)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/metrics")
    assert response.status_code == 200, response.text
    return response.text
