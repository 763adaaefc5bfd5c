"""Demo data: service requests waiting, quoted and accepted, asked and answered in the past; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.contracts import Contract
from models.enums import ContractSource, ServiceRequestStatus
from models.service_requests import ServiceRequest
from services import demo


async def test_demo_requests_cover_each_outcome_once(db, settings):
    async with db.session_scope() as session:
        await demo.seed(session, settings)
    async with db.session_scope() as session:
        again = await demo.seed(session, settings)
    assert "service requests" not in again.created
    async with db.session_scope() as session:
        statuses = sorted((await session.scalars(select(ServiceRequest.status))).all())
        assert statuses == sorted(
            [ServiceRequestStatus.submitted, ServiceRequestStatus.quoted, ServiceRequestStatus.accepted]
        )
        sources = (await session.scalars(select(Contract.source))).all()
        assert sources.count(ContractSource.service_request) == 1


async def test_requests_were_asked_and_answered_before_seeding(db, settings, clock):
    seeded = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    clock.set(seeded)
    async with db.session_scope() as session:
        await demo.seed(session, settings)
    async with db.session_scope() as session:
        requests = (await session.scalars(select(ServiceRequest))).all()
    assert {r.created_at for r in requests} == {seeded - timedelta(days=10)}
    accepted = next(r for r in requests if r.status is ServiceRequestStatus.accepted)
    assert accepted.decided_at == seeded - timedelta(days=8)
