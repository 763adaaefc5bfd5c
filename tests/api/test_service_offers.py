"""Service offers: price models, validation, visibility, life cycle."""

from __future__ import annotations

from tests.factories.catalogue import create_published, make_world, offer_body

BASE = "/api/v1/service-offers"


class TestCreateServiceOffer:
    async def test_a_fixed_price_offer(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=offer_body(), headers=w.centre_staff)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["owner_org_id"] == str(w.centre.id)
        assert body["price"] == {"amount": 300000, "currency": "CNY"}
        assert body["lead_time_days"] == 10
        assert body["deliverables"] == ["检测报告（CMA）"]

    async def test_a_quote_on_request_offer_has_no_price(self, client, db, app):
        w = await make_world(db, app)
        body = offer_body(service_kind="contract_rd", price_model="quote", price={"amount": 5, "currency": "CNY"})
        response = await client.post(BASE, json=body, headers=w.centre_staff)
        assert response.status_code == 201
        assert response.json()["price"] is None

    async def test_a_fixed_offer_needs_a_price(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=offer_body(price=None), headers=w.centre_staff)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "price"]

    async def test_a_negative_price_is_refused(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            BASE, json=offer_body(price={"amount": -5, "currency": "CNY"}), headers=w.centre_staff
        )
        assert response.status_code == 422

    async def test_an_unknown_currency_is_refused(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            BASE, json=offer_body(price={"amount": 5, "currency": "XYZ"}), headers=w.centre_staff
        )
        assert response.status_code == 422

    async def test_an_sme_cannot_create_offers(self, client, db, app):
        w = await make_world(db, app)
        assert (await client.post(BASE, json=offer_body(), headers=w.sme_member)).status_code == 403


class TestServiceOfferVisibility:
    async def test_a_draft_is_404_to_anonymous_callers(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=offer_body(), headers=w.centre_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}")).status_code == 404

    async def test_a_published_offer_is_public(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.centre_staff, "service-offers", offer_body())
        response = await client.get(f"{BASE}/{published['id']}")
        assert response.status_code == 200
        assert response.json()["status"] == "published"

    async def test_institute_staff_cannot_change_the_centres_offer(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.centre_staff, "service-offers", offer_body())
        response = await client.patch(
            f"{BASE}/{published['id']}", json={"lead_time_days": 3}, headers=w.institute_staff
        )
        assert response.status_code == 403


class TestUpdateServiceOffer:
    async def test_switching_to_quote_clears_the_price(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=offer_body(), headers=w.centre_staff)).json()
        response = await client.patch(f"{BASE}/{draft['id']}", json={"price_model": "quote"}, headers=w.centre_staff)
        assert response.status_code == 200
        assert response.json()["price"] is None

    async def test_absent_fields_are_kept_and_null_ones_cleared(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=offer_body(contact_name="王工"), headers=w.centre_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}", json={"lead_time_days": None, "contact_name": None}, headers=w.centre_staff
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["lead_time_days"], changed["contact_name"]) == (None, None)
        kept = {k: v for k, v in changed.items() if k not in ("lead_time_days", "contact_name", "updated_at")}
        assert kept == {k: v for k, v in draft.items() if k not in ("lead_time_days", "contact_name", "updated_at")}

    async def test_switching_to_hourly_without_a_price_is_refused(self, client, db, app):
        w = await make_world(db, app)
        body = offer_body(price_model="quote", price=None)
        draft = (await client.post(BASE, json=body, headers=w.centre_staff)).json()
        response = await client.patch(f"{BASE}/{draft['id']}", json={"price_model": "hourly"}, headers=w.centre_staff)
        assert response.status_code == 422

    async def test_archive_then_the_offer_is_404_to_the_public(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.centre_staff, "service-offers", offer_body())
        archived = await client.post(f"{BASE}/{published['id']}/archive", headers=w.centre_staff)
        assert archived.json()["status"] == "archived"
        assert (await client.get(f"{BASE}/{published['id']}")).status_code == 404
