"""The application factory (`ttm serve` runs it through api/asgi.py, which loads the segmenter first)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import (
    attachments,
    auth,
    bookings,
    card_payments,
    catalogue,
    contracts,
    errors,
    health,
    instruments,
    ledger,
    notifications,
    organisations,
    pilot_results,
    problems,
    proposals,
    reconciliation,
    reports,
    service_offers,
    service_requests,
    settlements,
    sme_memberships,
    vouchers,
    webhooks,
)
from api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from api.openapi import install as install_openapi
from api.openapi import no_generated_ids
from services import allocator, logs, segmentation
from services.auth import AuthService
from services.db import Database
from services.settings import Settings, get_settings
from services.stripe_gateway import StripeGateway

DESCRIPTION = """
A marketplace where National Technology Innovation Centres (国家技术创新中心) publish pilot-scale
results, shared instruments and contract-R&D offers; SMEs post technical problems and book
services; contracts carry IP-sharing terms and feed each centre's market-service revenue ledger.

**Conventions.** JSON in UTF-8. Errors are RFC 9457 `application/problem+json` with a stable
`type` URN. 404 is returned for anything private to another organisation. Lists use cursor
pagination (`limit` ≤ 100, `cursor` = the previous page's `next_cursor`). Money is
`{"amount": <integer minor units>, "currency": "CNY"}`; shares are basis points (10000 = 100%).
Times are RFC 3339 with an offset; ranges are half-open. Creating POSTs accept an
`Idempotency-Key` header.

**Try it.** Register with `POST /api/v1/auth/register`, then press *Authorize* and sign in with
the e-mail as username; or use a demo account printed by `make run`.
"""

TAGS = [
    {"name": "auth", "description": "Registration, OAuth2 password sign-in, refresh-token rotation"},
    {"name": "organisations", "description": "Centres, institutes, SMEs, co-builders, voucher issuers, members"},
    {
        "name": "catalogue",
        "description": "Pilot-scale results, shared instruments, service offers, attachments, and one search",
    },
    {
        "name": "problems",
        "description": "SMEs' technical problems: confidentiality tiers, NDAs, invitations, questions",
    },
    {"name": "proposals", "description": "Centres' proposals on problems: compare, revise, withdraw, accept"},
    {
        "name": "bookings",
        "description": "Instrument bookings: rules, frozen prices, states and fees, trainings, waitlist, calendar feed",
    },
    {
        "name": "contracts",
        "description": "Technology contracts between centres and SMEs (drafts from accepted proposals)",
    },
    {"name": "service requests", "description": "SMEs request service offers; providers accept, quote or decline"},
    {"name": "notifications", "description": "In-app notifications for the people concerned by a change"},
    {
        "name": "settlements",
        "description": "What clients owe for bookings and milestones: offline payments, write-offs, allocations",
    },
    {
        "name": "ledger",
        "description": "Each centre's double-entry revenue ledger: accounts, balances, entries, trial balance, periods",
    },
    {
        "name": "vouchers",
        "description": "Innovation vouchers (科技创新券): programmes, vouchers, redemptions, claims",
    },
    {
        "name": "reconciliation",
        "description": "Bank and Stripe statements imported, matched to the ledger, reported by period",
    },
    {
        "name": "reports",
        "description": "Finance reports: revenue, receivables aging, co-builder statements (JSON, CSV, XLSX)",
    },
    {
        "name": "webhooks",
        "description": "Stripe's signed events (no caller): card payments, refunds, disputes, payouts",
    },
    {"name": "operations", "description": "Liveness, readiness and metrics (outside /api/v1)"},
]


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Serve the router's own routes, as they are.

    `include_router` builds every route a second time for the inclusion (its dependency tree, its
    parameter and response fields) and keeps the router's original beside it: 5.5 MB more in every
    worker for these routes (docs/benchmarks.md, "Peak and steady memory"). Nothing of an inclusion
    is lost, since the routers carry their full prefix (`api.deps.API_PREFIX`), tags and responses,
    except one thing nothing here uses: `app.dependency_overrides` does not reach these routes
    (tests pass their own settings and database to `create_app` instead).
    """
    app.router.routes.extend(router.routes)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the application; tests pass their own settings and database."""
    settings = settings or get_settings()
    # Large blocks (a password check's 19 MiB) go back to the system when freed: 19 MB less per worker.
    allocator.keep_large_blocks_mapped()
    logs.configure(settings.log_level, json_lines=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The segmenter's dictionary before the first search, not during it; then everything loaded so far
        # (modules, routes, schemas, that dictionary) leaves the garbage collector's generations, so
        # full collections no longer walk it while serving (and forked workers keep sharing it).
        await asyncio.to_thread(segmentation.initialise)
        gc.freeze()
        yield
        if database is None:
            await app.state.db.dispose()

    app = FastAPI(
        title="Technology-transfer service marketplace",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        # Every route names its operation (api/openapi.py): a generated id fails the app's creation.
        generate_unique_id_function=no_generated_ids,
    )
    app.state.settings = settings
    app.state.db = database or Database(settings)
    app.state.auth = AuthService(settings)
    app.state.stripe = StripeGateway(settings)

    errors.install(app)

    # Each router's routes are added to the app as they are (`add_routes`): the routers carry the
    # /api/v1 prefix and their tags themselves. Starlette matches routes in order: the anonymous
    # catalogue reads that SMEs' apps hit most come first (measured: ~0.2 ms less routing per
    # request than at the end; docs/benchmarks.md).
    for router in (
        catalogue.router,
        pilot_results.router,
        attachments.router,
        auth.router,
        organisations.router,
        sme_memberships.router,
        instruments.router,
        service_offers.router,
        problems.router,
        proposals.router,
        bookings.router,
        bookings.instrument_router,
        bookings.organisation_router,
        contracts.router,
        service_requests.router,
        notifications.router,
        settlements.router,
        card_payments.router,
        vouchers.router,
        webhooks.router,
        ledger.router,
        reconciliation.router,
        reports.router,
    ):
        add_routes(app, router)
    add_routes(app, health.router)
    install_openapi(app)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location", "Retry-After", "Idempotent-Replayed"],
            allow_credentials=False,
            max_age=600,
        )
    # Attachment uploads may be larger than JSON bodies (plus room for the multipart envelope).
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        overrides={
            "/attachments": settings.attachment_max_bytes + 65_536,
            "/reconciliation/imports": settings.import_max_bytes + 65_536,
        },
    )
    app.add_middleware(RequestContextMiddleware)
    return app
