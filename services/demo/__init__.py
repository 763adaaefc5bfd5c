"""Demo data, one module per area, built through the services a user calls (`make run`,
`ttm seed-demo`). Idempotent: each record is found by its natural key first, so running it again
changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.demo import bookings, catalogue, contracts, organisations, payments, problems, service_requests
from services.demo.organisations import DEMO_PASSWORD, SeedReport
from services.settings import Settings

__all__ = ["DEMO_PASSWORD", "SeedReport", "seed"]


async def seed(session: AsyncSession, settings: Settings) -> SeedReport:
    """Create whatever demo records are missing, area by area."""
    report = SeedReport()
    await organisations.seed(session, settings, report)
    await catalogue.seed(session, report)
    await problems.seed(session, report)
    await service_requests.seed(session, report)
    await bookings.seed(session, report)
    await contracts.seed(session, report)
    await payments.seed(session, settings, report)
    return report
