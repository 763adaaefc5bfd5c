"""Shared instruments: rate card, discounts, booking rules, opening hours, blackouts, availability."""

from __future__ import annotations

from models.enums import OrganisationKind, Role
from models.organisations import Organisation
from tests.factories.catalogue import create_published, instrument_body, make_world
from tests.factories.organisations import create_member, create_org

BASE = "/api/v1/instruments"
WEEK = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-14T00:00:00+08:00"}  # Monday to Monday


class TestCreateInstrument:
    async def test_staff_create_a_draft_with_rate_card_and_rules(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            BASE,
            json=instrument_body(lead_time_hours=48, training_required=True, operation_mode="self_service"),
            headers=w.institute_staff,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "draft"
        assert body["sme_rate"] == {"amount": 60000, "currency": "CNY"}
        assert {(r["tier"], r["unit"], r["price"]["amount"]) for r in body["rates"]} == {
            ("sme", "hour", 60000),
            ("commercial", "hour", 80000),
            ("internal", "hour", 20000),
        }
        assert body["membership_discounts"] == [
            {"tier": "gold", "discount_bps": 2000},
            {"tier": "silver", "discount_bps": 1000},
        ]
        assert body["lead_time_hours"] == 48
        assert body["training_required"] is True
        assert body["operation_mode"] == "self_service"
        assert body["free_cancellation_hours"] == 24
        assert body["cancellation_fee_bps"] == 5000
        assert body["no_show_fee_bps"] == 10000

    async def test_default_opening_hours_are_weekdays_nine_to_five(self, client, db, app):
        w = await make_world(db, app)
        body = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        assert body["opening_hours"] == [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)]

    async def test_the_time_zone_is_the_centres(self, client, db, app):
        w = await make_world(db, app)
        async with db.session_scope() as session:
            centre = await session.get(Organisation, w.centre.id)
            centre.timezone = "Asia/Urumqi"
        body = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        assert body["timezone"] == "Asia/Urumqi"

    async def test_two_rates_for_one_tier_and_unit_are_refused(self, client, db, app):
        w = await make_world(db, app)
        rate = {"tier": "sme", "unit": "hour", "price": {"amount": 1, "currency": "CNY"}}
        response = await client.post(BASE, json=instrument_body(rates=[rate, rate]), headers=w.institute_staff)
        assert response.status_code == 422

    async def test_a_negative_rate_is_refused(self, client, db, app):
        w = await make_world(db, app)
        rate = {"tier": "sme", "unit": "sample", "price": {"amount": -100, "currency": "CNY"}}
        response = await client.post(BASE, json=instrument_body(rates=[rate]), headers=w.institute_staff)
        assert response.status_code == 422

    async def test_a_maximum_length_below_the_minimum_is_refused(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            BASE, json=instrument_body(min_booking_minutes=120, max_booking_minutes=60), headers=w.institute_staff
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "max_booking_minutes"]

    async def test_a_discount_over_100_percent_is_refused(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            BASE,
            json=instrument_body(membership_discounts=[{"tier": "gold", "discount_bps": 10001}]),
            headers=w.institute_staff,
        )
        assert response.status_code == 422

    async def test_opening_before_closing(self, client, db, app):
        w = await make_world(db, app)
        hours = [{"weekday": 0, "opens": "18:00", "closes": "09:00"}]
        response = await client.post(BASE, json=instrument_body(opening_hours=hours), headers=w.institute_staff)
        assert response.status_code == 422

    async def test_an_sme_cannot_create_instruments(self, client, db, app):
        w = await make_world(db, app)
        assert (await client.post(BASE, json=instrument_body(), headers=w.sme_member)).status_code == 403


class TestPublishInstrument:
    async def test_an_instrument_without_rates_cannot_be_published(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(rates=[]), headers=w.institute_staff)).json()
        response = await client.post(f"{BASE}/{draft['id']}/publish", headers=w.institute_staff)
        assert response.status_code == 422
        assert (await client.get(f"{BASE}/{draft['id']}", headers=w.institute_staff)).json()["status"] == "draft"

    async def test_a_published_instrument_is_readable_anonymously(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(f"{BASE}/{published['id']}")
        assert response.status_code == 200
        assert response.json()["model"] == "SU8010"

    async def test_a_draft_is_404_to_an_sme(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}", headers=w.sme_member)).status_code == 404


class TestUpdateInstrument:
    async def test_the_rate_card_is_replaced_whole(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        rates = [{"tier": "sme", "unit": "sample", "price": {"amount": 15000, "currency": "CNY"}}]
        response = await client.patch(f"{BASE}/{draft['id']}", json={"rates": rates}, headers=w.institute_staff)
        assert response.status_code == 200
        assert response.json()["rates"] == rates  # read back as written
        assert response.json()["sme_rate"] == {"amount": 15000, "currency": "CNY"}

    async def test_a_rate_card_read_can_be_written_back_unchanged(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        read = (await client.get(f"{BASE}/{draft['id']}", headers=w.institute_staff)).json()["rates"]
        response = await client.patch(f"{BASE}/{draft['id']}", json={"rates": read}, headers=w.institute_staff)
        assert response.status_code == 200, response.text

        def card(rates: list[dict]) -> list[tuple]:
            return sorted((r["tier"], r["unit"], r["price"]["amount"], r["price"]["currency"]) for r in rates)

        assert card(response.json()["rates"]) == card(read) == card(draft["rates"])

    async def test_opening_hours_are_replaced(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        hours = [{"weekday": 5, "opens": "00:00", "closes": "24:00"}]
        response = await client.patch(f"{BASE}/{draft['id']}", json={"opening_hours": hours}, headers=w.institute_staff)
        assert response.json()["opening_hours"] == hours

    async def test_booking_rules_change(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}",
            json={"requires_confirmation": False, "max_advance_days": 14, "no_show_fee_bps": 3000},
            headers=w.institute_staff,
        )
        body = response.json()
        assert (body["requires_confirmation"], body["max_advance_days"], body["no_show_fee_bps"]) == (False, 14, 3000)

    async def test_absent_fields_are_kept_and_null_ones_cleared(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(lead_time_hours=48), headers=w.institute_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}", json={"location": None, "maker": None}, headers=w.institute_staff
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["location"], changed["maker"]) == (None, None)
        kept = {k: v for k, v in changed.items() if k not in ("location", "maker", "updated_at")}
        assert kept == {k: v for k, v in draft.items() if k not in ("location", "maker", "updated_at")}

    async def test_a_minimum_above_the_stored_maximum_is_refused(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}", json={"min_booking_minutes": 600}, headers=w.institute_staff
        )
        assert response.status_code == 422

    async def test_other_centres_get_403_on_a_published_instrument(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.patch(f"{BASE}/{published['id']}", json={"location": "x"}, headers=w.other_staff)
        assert response.status_code == 403


class TestBlackouts:
    async def test_owner_staff_add_and_list_a_blackout(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.post(
            f"{BASE}/{published['id']}/blackouts",
            json={"starts_at": "2026-12-08T10:00:00+08:00", "ends_at": "2026-12-08T12:00:00+08:00", "reason": "年检"},
            headers=w.institute_staff,
        )
        assert response.status_code == 201
        assert response.json()["starts_at"] == "2026-12-08T02:00:00Z"
        listed = (await client.get(f"{BASE}/{published['id']}/blackouts")).json()["items"]
        assert [b["reason"] for b in listed] == ["年检"]

    async def test_a_naive_time_is_refused(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.post(
            f"{BASE}/{published['id']}/blackouts",
            json={"starts_at": "2026-12-08T10:00:00", "ends_at": "2026-12-08T12:00:00+08:00"},
            headers=w.institute_staff,
        )
        assert response.status_code == 422

    async def test_an_end_before_the_start_is_refused(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.post(
            f"{BASE}/{published['id']}/blackouts",
            json={"starts_at": "2026-12-08T12:00:00+08:00", "ends_at": "2026-12-08T12:00:00+08:00"},
            headers=w.institute_staff,
        )
        assert response.status_code == 422

    async def test_an_sme_cannot_add_blackouts(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.post(
            f"{BASE}/{published['id']}/blackouts",
            json={"starts_at": "2026-12-08T10:00:00+08:00", "ends_at": "2026-12-08T12:00:00+08:00"},
            headers=w.sme_member,
        )
        assert response.status_code == 403

    async def test_a_deleted_blackout_frees_the_time_again(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        blackout = (
            await client.post(
                f"{BASE}/{published['id']}/blackouts",
                json={"starts_at": "2026-12-07T00:00:00+08:00", "ends_at": "2026-12-14T00:00:00+08:00"},
                headers=w.institute_staff,
            )
        ).json()
        assert (await client.get(f"{BASE}/{published['id']}/availability", params=WEEK)).json()["free"] == []
        deleted = await client.delete(f"{BASE}/{published['id']}/blackouts/{blackout['id']}", headers=w.institute_staff)
        assert deleted.status_code == 204
        assert len((await client.get(f"{BASE}/{published['id']}/availability", params=WEEK)).json()["free"]) == 5


class TestAvailability:
    async def test_opening_hours_in_shanghai_time_come_back_in_utc(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(f"{BASE}/{published['id']}/availability", params=WEEK)
        assert response.status_code == 200
        body = response.json()
        assert body["timezone"] == "Asia/Shanghai"
        assert body["free"][0] == {"start": "2026-12-07T01:00:00Z", "end": "2026-12-07T09:00:00Z"}
        assert len(body["free"]) == 5  # Monday to Friday

    async def test_blackouts_are_cut_out(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        await client.post(
            f"{BASE}/{published['id']}/blackouts",
            json={"starts_at": "2026-12-07T10:00:00+08:00", "ends_at": "2026-12-07T11:30:00+08:00"},
            headers=w.institute_staff,
        )
        free = (await client.get(f"{BASE}/{published['id']}/availability", params=WEEK)).json()["free"]
        assert free[:2] == [
            {"start": "2026-12-07T01:00:00Z", "end": "2026-12-07T02:00:00Z"},
            {"start": "2026-12-07T03:30:00Z", "end": "2026-12-07T09:00:00Z"},
        ]

    async def test_the_range_clips_the_hours(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(
            f"{BASE}/{published['id']}/availability",
            params={"from": "2026-12-07T03:00:00Z", "to": "2026-12-07T04:00:00Z"},
        )
        assert response.json()["free"] == [{"start": "2026-12-07T03:00:00Z", "end": "2026-12-07T04:00:00Z"}]

    async def test_a_range_without_offset_is_refused(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(
            f"{BASE}/{published['id']}/availability", params={"from": "2026-12-07T00:00:00", "to": WEEK["to"]}
        )
        assert response.status_code == 422

    async def test_a_reversed_range_is_refused(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(
            f"{BASE}/{published['id']}/availability", params={"from": WEEK["to"], "to": WEEK["from"]}
        )
        assert response.status_code == 422

    async def test_a_range_over_92_days_is_refused(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await client.get(
            f"{BASE}/{published['id']}/availability",
            params={"from": "2026-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
        )
        assert response.status_code == 422

    async def test_a_draft_instruments_availability_is_404_to_others(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}/availability", params=WEEK)).status_code == 404


async def test_hq_staff_manage_an_institutes_instrument(client, db, app):
    w = await make_world(db, app)
    published = await create_published(client, w.institute_staff, "instruments", instrument_body())
    response = await client.patch(f"{BASE}/{published['id']}", json={"location": "新址"}, headers=w.centre_staff)
    assert response.status_code == 200
    assert response.json()["location"] == "新址"


async def test_a_manager_of_another_institute_gets_404_on_a_draft(client, db, app):
    w = await make_world(db, app)
    other = await create_org(db, OrganisationKind.institute, parent=w.other_centre)
    _, headers = await create_member(db, app, other, Role.centre_manager)
    draft = (await client.post(BASE, json=instrument_body(), headers=w.institute_staff)).json()
    assert (await client.patch(f"{BASE}/{draft['id']}", json={"location": "x"}, headers=headers)).status_code == 404
