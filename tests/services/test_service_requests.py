"""The state changes proposals ask of a service request: quoted, back to submitted, accepted."""

from __future__ import annotations

import uuid

import pytest

from models.enums import ServiceRequestStatus as St
from models.proposals import Proposal
from models.service_requests import ServiceRequest
from services import service_requests
from services.actors import load_actor
from tests.factories.problems import make_cast, quoted_request


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


@pytest.fixture
async def quoted(client, cast):
    return await quoted_request(client, cast)


async def rows(session, request: dict, proposal: dict) -> tuple[ServiceRequest, Proposal]:
    return (
        await session.get(ServiceRequest, uuid.UUID(request["id"])),
        await session.get(Proposal, uuid.UUID(proposal["id"])),
    )


class TestQuoteTransitions:
    async def test_a_withdrawn_quote_sends_the_request_back_to_submitted(self, db, quoted):
        async with db.session_scope() as session:
            request, _ = await rows(session, *quoted)
            assert request.status is St.quoted
            await service_requests.reopen(session, request)
            assert request.status is St.submitted
            await service_requests.mark_quoted(session, request)
            assert request.status is St.quoted

    async def test_a_decided_request_takes_no_quote_and_stays_decided(self, db, quoted):
        async with db.session_scope() as session:
            request, _ = await rows(session, *quoted)
            request.status = St.declined
            with pytest.raises(service_requests.ServiceRequestClosed):
                await service_requests.mark_quoted(session, request)
            await service_requests.reopen(session, request)
            assert request.status is St.declined


class TestAcceptWithProposal:
    async def test_the_request_is_accepted_by_the_smes_user(self, db, cast, quoted, clock):
        clock.set(clock.now)
        async with db.session_scope() as session:
            request, proposal = await rows(session, *quoted)
            actor = await load_actor(session, cast.sme.user)
            await service_requests.accept_with_proposal(session, actor, request, proposal)
            assert (request.status, request.decided_by, request.decided_at) == (
                St.accepted,
                cast.sme.user.id,
                clock.now,
            )
            with pytest.raises(service_requests.ServiceRequestClosed):
                await service_requests.accept_with_proposal(session, actor, request, proposal)

    async def test_only_with_the_proposal_answering_it(self, client, db, cast, quoted):
        other, _ = await quoted_request(client, cast)
        async with db.session_scope() as session:
            _, proposal = await rows(session, *quoted)
            elsewhere = await session.get(ServiceRequest, uuid.UUID(other["id"]))
            actor = await load_actor(session, cast.sme.user)
            with pytest.raises(ValueError, match="another request"):
                await service_requests.accept_with_proposal(session, actor, elsewhere, proposal)
