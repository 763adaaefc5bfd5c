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
