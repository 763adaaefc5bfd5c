"""Service requests: an SME asks for an offer; the provider accepts (fixed price), quotes or declines."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from models.contracts import Contract
from models.service_requests import ServiceRequest
from tests.factories.catalogue import create_published, offer_body
from tests.factories.problems import make_cast, notifications_of, proposal_body


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


async def publish_offer(client, cast, **overrides) -> dict:
    return await create_published(client, cast.centre_a.headers, "service-offers", offer_body(**overrides))


async def ask(client, cast, offer_id: str, actor=None, **overrides) -> dict:
    body = {"message": "需检测 3 批正极材料样品", "quantity": 3} | overrides
    r = await client.post(f"/api/v1/service-offers/{offer_id}/requests", json=body, headers=(actor or cast.sme).headers)
    assert r.status_code == 201, r.text
    return r.json()


class TestRequest:
    async def test_sme_requests_a_published_offer_with_a_snapshot_of_its_terms(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        assert request["status"] == "submitted"
        assert request["offer_price"] == {"amount": 300000, "currency": "CNY"}
        assert request["price_model"] == "fixed" and request["lead_time_days"] == 10
        assert request["provider_org_id"] == str(cast.centre_a.org.id)
        # Changing the offer later leaves the request's terms alone.
        r = await client.patch(
            f"/api/v1/service-offers/{offer['id']}",
            json={"price": {"amount": 999, "currency": "CNY"}},
            headers=cast.centre_a.headers,
        )
        assert r.status_code == 200, r.text
        again = await client.get(f"/api/v1/service-requests/{request['id']}", headers=cast.sme.headers)
        assert again.json()["offer_price"]["amount"] == 300000

    async def test_provider_staff_are_notified(self, client, cast):
        offer = await publish_offer(client, cast)
        await ask(client, cast, offer["id"])
        kinds = [n["kind"] for n in await notifications_of(client, cast.centre_a)]
        assert "service_request.received" in kinds

    async def test_draft_offer_is_404(self, client, cast):
        r = await client.post("/api/v1/service-offers", json=offer_body(), headers=cast.centre_a.headers)
        draft = r.json()
        r = await client.post(
            f"/api/v1/service-offers/{draft['id']}/requests", json={"message": "x"}, headers=cast.sme.headers
        )
        assert r.status_code == 404

    async def test_centre_staff_cannot_request(self, client, cast):
        offer = await publish_offer(client, cast)
        r = await client.post(
            f"/api/v1/service-offers/{offer['id']}/requests", json={"message": "x"}, headers=cast.centre_b.headers
        )
        assert r.status_code == 403

    async def test_unknown_fields_and_bad_quantity_are_422(self, client, cast):
        offer = await publish_offer(client, cast)
        url = f"/api/v1/service-offers/{offer['id']}/requests"
        assert (
            await client.post(url, json={"message": "x", "status": "accepted"}, headers=cast.sme.headers)
        ).status_code == 422
        assert (
            await client.post(url, json={"message": "x", "quantity": 0}, headers=cast.sme.headers)
        ).status_code == 422


class TestVisibility:
    async def test_only_the_sme_and_the_provider_see_a_request(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        url = f"/api/v1/service-requests/{request['id']}"
        for who in (cast.sme, cast.sme_member, cast.centre_a, cast.centre_a2):
            assert (await client.get(url, headers=who.headers)).status_code == 200
        for who in (cast.other_sme, cast.centre_b, cast.institute):
            assert (await client.get(url, headers=who.headers)).status_code == 404

    async def test_lists_by_role(self, client, cast):
        offer = await publish_offer(client, cast)
        await ask(client, cast, offer["id"])
        mine = await client.get("/api/v1/service-requests", params={"role": "client"}, headers=cast.sme.headers)
        assert len(mine.json()["items"]) == 1
        theirs = await client.get("/api/v1/service-requests", headers=cast.centre_a.headers)
        assert len(theirs.json()["items"]) == 1
        other = await client.get("/api/v1/service-requests", headers=cast.centre_b.headers)
        assert other.json()["items"] == []


class TestDirectAcceptance:
    async def test_fixed_price_accept_creates_a_draft_contract(self, client, cast, db):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        r = await client.post(f"/api/v1/service-requests/{request['id']}/accept", headers=cast.centre_a.headers)
        assert r.status_code == 201, r.text
        contract = r.json()
        assert contract["status"] == "draft"
        assert contract["contract_type"] == "service"  # testing -> 技术服务
        assert contract["value"] == {"amount": 900000, "currency": "CNY"}  # 3 samples x 3000.00
        assert [m["amount"]["amount"] for m in contract["milestones"]] == [900000]
        assert contract["service_request_id"] == request["id"]
        got = await client.get(f"/api/v1/service-requests/{request['id']}", headers=cast.sme.headers)
        assert got.json()["status"] == "accepted" and got.json()["contract_id"] == contract["id"]
        seen = await client.get(f"/api/v1/contracts/{contract['id']}", headers=cast.sme.headers)
        assert seen.status_code == 200
        kinds = [n["kind"] for n in await notifications_of(client, cast.sme)]
        assert "service_request.accepted" in kinds

    async def test_accepting_twice_is_409(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        url = f"/api/v1/service-requests/{request['id']}/accept"
        assert (await client.post(url, headers=cast.centre_a.headers)).status_code == 201
        again = await client.post(url, headers=cast.centre_a.headers)
        assert again.status_code == 409
        assert again.json()["type"].endswith("service-request-closed")

    async def test_concurrent_accepts_make_one_contract(self, client, cast, db):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        url = f"/api/v1/service-requests/{request['id']}/accept"
        results = await asyncio.gather(
            *(
                client.post(url, headers=h)
                for h in (cast.centre_a.headers, cast.centre_a2.headers, cast.centre_a.headers)
            )
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409]
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(Contract)) == 1

    async def test_quote_offers_cannot_be_accepted_directly(self, client, cast):
        offer = await publish_offer(client, cast, price_model="quote", price=None, service_kind="contract_rd")
        request = await ask(client, cast, offer["id"])
        r = await client.post(f"/api/v1/service-requests/{request['id']}/accept", headers=cast.centre_a.headers)
        assert r.status_code == 409
        assert r.json()["type"].endswith("not-fixed-price")

    async def test_sme_cannot_accept_its_own_request(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        r = await client.post(f"/api/v1/service-requests/{request['id']}/accept", headers=cast.sme.headers)
        assert r.status_code == 403


class TestQuoteFlow:
    async def _quoted(self, client, cast):
        offer = await publish_offer(client, cast, price_model="quote", price=None, service_kind="contract_rd")
        request = await ask(client, cast, offer["id"], quantity=None)
        r = await client.post(
            f"/api/v1/service-requests/{request['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
        )
        assert r.status_code == 201, r.text
        return request, r.json()

    async def test_provider_answers_with_a_proposal(self, client, cast):
        request, proposal = await self._quoted(client, cast)
        assert proposal["service_request_id"] == request["id"] and proposal["problem_id"] is None
        got = await client.get(f"/api/v1/service-requests/{request['id']}", headers=cast.sme.headers)
        assert got.json()["status"] == "quoted"
        listed = await client.get(f"/api/v1/service-requests/{request['id']}/proposals", headers=cast.sme.headers)
        assert [p["id"] for p in listed.json()["items"]] == [proposal["id"]]
        kinds = [n["kind"] for n in await notifications_of(client, cast.sme)]
        assert "service_request.answered" in kinds

    async def test_sme_accepts_the_proposal_into_a_draft_contract(self, client, cast):
        request, proposal = await self._quoted(client, cast)
        r = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert r.status_code == 201, r.text
        contract = r.json()
        assert contract["service_request_id"] == request["id"]
        assert contract["proposal_id"] == proposal["id"]
        assert contract["value"]["amount"] == 80_000_000
        assert [m["title"] for m in contract["milestones"]] == ["小试验证", "中试放大与交付"]
        got = await client.get(f"/api/v1/service-requests/{request['id']}", headers=cast.sme.headers)
        assert got.json()["status"] == "accepted"

    async def test_one_live_proposal_per_request(self, client, cast):
        request, _ = await self._quoted(client, cast)
        r = await client.post(
            f"/api/v1/service-requests/{request['id']}/proposals", json=proposal_body(), headers=cast.centre_a2.headers
        )
        assert r.status_code == 409

    async def test_milestones_must_add_up(self, client, cast):
        offer = await publish_offer(client, cast, price_model="quote", price=None)
        request = await ask(client, cast, offer["id"])
        body = proposal_body()
        body["milestones"][0]["amount"]["amount"] += 1
        r = await client.post(
            f"/api/v1/service-requests/{request['id']}/proposals", json=body, headers=cast.centre_a.headers
        )
        assert r.status_code == 422

    async def test_other_centres_cannot_answer_or_see(self, client, cast):
        request, proposal = await self._quoted(client, cast)
        r = await client.post(
            f"/api/v1/service-requests/{request['id']}/proposals", json=proposal_body(), headers=cast.centre_b.headers
        )
        assert r.status_code == 404
        assert (
            await client.get(f"/api/v1/proposals/{proposal['id']}", headers=cast.centre_b.headers)
        ).status_code == 404

    async def test_withdrawn_proposal_returns_the_request_to_submitted(self, client, cast):
        request, proposal = await self._quoted(client, cast)
        r = await client.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=cast.centre_a.headers)
        assert r.status_code == 200, r.text
        got = await client.get(f"/api/v1/service-requests/{request['id']}", headers=cast.sme.headers)
        assert got.json()["status"] == "submitted"

    async def test_revision_keeps_history(self, client, cast):
        _, proposal = await self._quoted(client, cast)
        body = proposal_body(price=90_000_000) | {"note": "增加一轮验证"}
        r = await client.post(f"/api/v1/proposals/{proposal['id']}/revisions", json=body, headers=cast.centre_a.headers)
        assert r.status_code == 201, r.text
        assert r.json()["revision"] == 2 and r.json()["price"]["amount"] == 90_000_000


class TestDeclineAndWithdraw:
    async def test_provider_declines_with_a_reason(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        r = await client.post(
            f"/api/v1/service-requests/{request['id']}/decline",
            json={"reason": "设备检修至下月"},
            headers=cast.centre_a.headers,
        )
        assert r.status_code == 200
        assert r.json()["status"] == "declined" and r.json()["decline_reason"] == "设备检修至下月"
        kinds = [n["kind"] for n in await notifications_of(client, cast.sme)]
        assert "service_request.declined" in kinds
        accept = await client.post(f"/api/v1/service-requests/{request['id']}/accept", headers=cast.centre_a.headers)
        assert accept.status_code == 409

    async def test_sme_withdraws_and_the_pending_proposal_is_declined(self, client, cast, db):
        offer = await publish_offer(client, cast, price_model="quote", price=None)
        request = await ask(client, cast, offer["id"])
        p = await client.post(
            f"/api/v1/service-requests/{request['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
        )
        r = await client.post(f"/api/v1/service-requests/{request['id']}/withdraw", headers=cast.sme.headers)
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        proposal = await client.get(f"/api/v1/proposals/{p.json()['id']}", headers=cast.centre_a.headers)
        assert proposal.json()["status"] == "declined"
        late = await client.post(f"/api/v1/proposals/{p.json()['id']}/accept", headers=cast.sme.headers)
        assert late.status_code == 409
        async with db.session_scope() as s:
            assert (await s.scalar(select(ServiceRequest.status))).value == "withdrawn"

    async def test_provider_cannot_withdraw_for_the_sme(self, client, cast):
        offer = await publish_offer(client, cast)
        request = await ask(client, cast, offer["id"])
        r = await client.post(f"/api/v1/service-requests/{request['id']}/withdraw", headers=cast.centre_a.headers)
        assert r.status_code == 403
