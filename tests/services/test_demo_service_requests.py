"""Demo data: service requests waiting, quoted and accepted; idempotent."""

from __future__ import annotations

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
