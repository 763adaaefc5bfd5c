"""Operations endpoints outside /api/v1: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import os
from ipaddress import ip_address

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from api.deps import client_address
from services import health
from services.errors import NotFound

router = APIRouter(tags=["operations"])


@router.get("/health", operation_id="getLiveness")
async def liveness() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get(
    "/ready",
    operation_id="getReadiness",
    responses={503: {"description": "The database is unreachable or not migrated"}},
)
async def readiness(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at the latest migration."""
    report = await health.check_database(request.app.state.db)
    if report["status"] == "ready":
        return JSONResponse(report)
    return JSONResponse(report, status_code=503, headers={"Retry-After": "5", "Cache-Control": "no-store"})


def _metrics_allowed(request: Request) -> bool:
    settings = request.app.state.settings
    try:
        address = ip_address(client_address(request, settings))
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=Response,
    responses={404: {"description": "The caller's address is not in `TTM_METRICS_ALLOW` (loopback by default)"}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (aggregated across workers when PROMETHEUS_MULTIPROC_DIR is set), served
    only to the networks in `TTM_METRICS_ALLOW`; anyone else is told there is no such page."""
    if not _metrics_allowed(request):
        raise NotFound("no such resource")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
