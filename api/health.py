"""Operations endpoints outside /api/v1: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from services import health

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
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)


@router.get("/metrics", operation_id="getMetrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus metrics (aggregated across workers when PROMETHEUS_MULTIPROC_DIR is set)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
