"""Instrument bookings: rules, frozen prices, states and fees, series, visibility, no double booking."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.bookings import Booking
from models.enums import MembershipTier, OrganisationKind, Role
from models.instruments import InstrumentBlackout
from models.notifications import Notification
from models.sme_memberships import SmeMembership
from services.bookings import planning
from tests.factories.bookings import BASE, MONDAY, NOW, at, book, booked, setup, slot
from tests.factories.catalogue import instrument_body
from tests.factories.organisations import build, create_member, create_org

INSTRUMENTS = "/api/v1/instruments"


@pytest.fixture(autouse=True)
def clock(clock):
    """Bookings are planned against a stopped clock (NOW, a Tuesday)."""
    clock.set(NOW)
    return clock


async def count_bookings(db) -> int:
    async with db.session_scope() as session:
        return await session.scalar(select(func.count()).select_from(Booking))


class TestCreateBooking:
    async def test_an_sme_books_a_slot_and_the_price_is_frozen_on_it(self, client, db, app):
        s = await setup(client, db, app)
        response = await book(client, s, purpose="正极材料断面形貌观察")
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/api/v1/bookings/{body['id']}"
        assert body["state"] == "confirmed"
        assert body["customer_org_id"] == str(s.w.sme.id)
        assert body["user_id"] == str(s.sme_user.id)
        assert body["staff_user_id"] is None
        assert body["start_at"] == "2026-12-07T01:00:00Z"
        assert body["end_at"] == "2026-12-07T03:00:00Z"
        assert body["price"] == {
            "customer_tier": "sme",
            "unit": "hour",
            "unit_rate": {"amount": 60000, "currency": "CNY"},
            "membership_tier": None,
            "discount_bps": 0,
            "min_billed_quantity": 30,
            "booked_quantity": 120,
            "quoted": {"amount": 120000, "currency": "CNY"},
        }
        assert body["cancellation_policy"] == {
            "free_cancellation_hours": 24,
            "cancellation_fee_bps": 5000,
            "no_show_fee_bps": 10000,
        }
        assert body["charge"] is None

    async def test_an_instrument_needing_confirmation_starts_requested_and_tells_its_staff(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        body = await booked(client, s)
        assert body["state"] == "requested"
        assert body["confirmed_at"] is None
        async with db.session_scope() as session:
            kinds = (await session.scalars(select(Notification.kind))).all()
        assert "booking.requested" in kinds

    async def test_the_membership_discount_applies_to_the_quote(self, client, db, app):
        s = await setup(client, db, app)
        async with db.session_scope() as session:
            session.add(
                SmeMembership(
                    centre_id=s.w.centre.id, sme_id=s.w.sme.id, tier=MembershipTier.gold, valid_from=NOW.date()
                )
            )
        body = await booked(client, s)
        assert body["price"]["membership_tier"] == "gold"
        assert body["price"]["discount_bps"] == 2000
        assert body["price"]["quoted"] == {"amount": 96000, "currency": "CNY"}

    async def test_a_later_rate_change_does_not_touch_the_booking(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        rates = [{"tier": "sme", "unit": "hour", "price": {"amount": 99900, "currency": "CNY"}}]
        patched = await client.patch(
            f"{INSTRUMENTS}/{s.id}", json={"rates": rates, "cancellation_fee_bps": 10000}, headers=s.staff
        )
        assert patched.status_code == 200, patched.text
        again = (await client.get(f"{BASE}/{created['id']}", headers=s.sme_member)).json()
        assert again["price"]["unit_rate"]["amount"] == 60000
        assert again["price"]["quoted"]["amount"] == 120000
        assert again["cancellation_policy"]["cancellation_fee_bps"] == 5000

    async def test_a_sample_booking_uses_the_per_sample_rate(self, client, db, app):
        rates = [{"tier": "sme", "unit": "sample", "price": {"amount": 15050, "currency": "CNY"}}]
        s = await setup(client, db, app, rates=rates)
        response = await client.post(BASE, json={"instrument_id": s.id, "sample_count": 3}, headers=s.sme_member)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["start_at"] is None
        assert body["sample_count"] == 3
        assert body["price"]["unit"] == "sample"
        assert body["price"]["quoted"] == {"amount": 45150, "currency": "CNY"}

    async def test_staff_book_on_an_smes_behalf(self, client, db, app):
        s = await setup(client, db, app)
        body = await booked(client, s, s.staff, customer_org_id=str(s.w.sme.id), user_id=str(s.sme_user.id))
        assert body["customer_org_id"] == str(s.w.sme.id)
        assert body["user_id"] == str(s.sme_user.id)
        assert body["staff_user_id"] is not None
        assert body["price"]["customer_tier"] == "sme"
        listed = (await client.get(BASE, headers=s.sme_member)).json()["items"]
        assert [b["id"] for b in listed] == [body["id"]]

    async def test_staff_name_a_user_of_the_customer_only(self, client, db, app):
        s = await setup(client, db, app)
        stranger, _ = await create_member(db, app, s.other_sme, Role.sme_member)
        response = await book(client, s, s.staff, customer_org_id=str(s.w.sme.id), user_id=str(stranger.id))
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "user_id"]

    async def test_an_sme_user_cannot_book_for_another_organisation(self, client, db, app):
        s = await setup(client, db, app)
        response = await book(client, s, customer_org_id=str(s.other_sme.id))
        assert response.status_code == 422
        assert await count_bookings(db) == 0

    async def test_a_member_of_several_smes_names_the_customer(self, client, db, app):
        s = await setup(client, db, app)
        async with build(db, app) as b:
            both = b.user((s.w.sme, Role.sme_member), (s.other_sme, Role.sme_member))
            headers = b.headers(both)
        response = await book(client, s, headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "customer_org_id"]
        named = await booked(client, s, headers, customer_org_id=str(s.other_sme.id))
        assert named["customer_org_id"] == str(s.other_sme.id)

    async def test_staff_booking_without_naming_the_customer_is_told_to(self, client, db, app):
        s = await setup(client, db, app)
        response = await book(client, s, s.staff)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "customer_org_id"]
        assert await count_bookings(db) == 0

    async def test_a_customer_tier_without_a_rate_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        university = await create_org(db, OrganisationKind.co_builder)
        _, partner = await create_member(db, app, university, Role.partner_member)
        response = await book(client, s, partner, customer_org_id=str(university.id))
        assert response.status_code == 422
        assert response.json()["type"] == "urn:ttm:problem:no-rate-for-customer"
        assert "academic" in response.json()["detail"]

    async def test_a_draft_instrument_cannot_be_booked(self, client, db, app):
        s = await setup(client, db, app)
        created = await client.post(INSTRUMENTS, json=instrument_body(), headers=s.staff)
        draft_id = created.json()["id"]
        as_sme = await client.post(BASE, json={"instrument_id": draft_id, **slot()}, headers=s.sme_member)
        assert as_sme.status_code == 404
        as_staff = await client.post(
            BASE, json={"instrument_id": draft_id, **slot(), "customer_org_id": str(s.w.sme.id)}, headers=s.staff
        )
        assert as_staff.status_code == 409
        assert as_staff.json()["type"] == "urn:ttm:problem:instrument-not-bookable"

    async def test_without_a_token_it_is_401(self, client, db, app):
        s = await setup(client, db, app)
        assert (await client.post(BASE, json=s.body())).status_code == 401


class TestBookingRules:
    async def expect_rule(self, response, rule: str) -> None:
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "urn:ttm:problem:booking-rule-violated"
        assert response.json()["rule"] == rule

    async def test_a_naive_time_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        response = await book(client, s, start_at="2026-12-07T09:00:00", end_at="2026-12-07T10:00:00")
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "start_at"]

    async def test_outside_opening_hours_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        await self.expect_rule(await book(client, s, **slot(start="16:00", end="18:00")), "opening_hours")
        await self.expect_rule(await book(client, s, **slot(day="2026-12-05")), "opening_hours")  # Saturday

    async def test_a_slot_ending_at_closing_time_is_allowed(self, client, db, app):
        s = await setup(client, db, app)
        assert (await book(client, s, **slot(start="15:00", end="17:00"))).status_code == 201

    async def test_a_maintenance_blackout_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        async with db.session_scope() as session:
            session.add(
                InstrumentBlackout(
                    instrument_id=uuid.UUID(s.id),
                    starts_at=at(MONDAY, "10:00"),
                    ends_at=at(MONDAY, "12:00"),
                    reason="年检",
                )
            )
        await self.expect_rule(await book(client, s), "blackout")

    async def test_shorter_than_the_minimum_is_refused(self, client, db, app):
        s = await setup(client, db, app, min_booking_minutes=60)
        await self.expect_rule(await book(client, s, **slot(end="09:30")), "min_length")

    async def test_longer_than_the_maximum_is_refused(self, client, db, app):
        s = await setup(client, db, app, max_booking_minutes=120)
        await self.expect_rule(await book(client, s, **slot(end="11:30")), "max_length")

    async def test_inside_the_lead_time_is_refused(self, client, db, app, clock):
        s = await setup(client, db, app, lead_time_hours=48)
        clock.set(at(MONDAY, "09:00") - timedelta(hours=47))
        await self.expect_rule(await book(client, s), "lead_time")
        clock.set(at(MONDAY, "09:00") - timedelta(hours=48))
        assert (await book(client, s)).status_code == 201

    async def test_beyond_the_advance_window_is_refused(self, client, db, app):
        s = await setup(client, db, app, max_advance_days=5)
        await self.expect_rule(await book(client, s), "advance_window")

    async def test_an_end_before_the_start_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        await self.expect_rule(await book(client, s, **slot(start="11:00", end="10:00")), "ordered")

    async def test_a_slot_or_samples_is_needed(self, client, db, app):
        s = await setup(client, db, app)
        response = await client.post(BASE, json={"instrument_id": s.id}, headers=s.sme_member)
        assert response.status_code == 422


class TestTrainingRequired:
    async def record(self, client, s, **body):
        return await client.post(f"{INSTRUMENTS}/{s.id}/trainings", json=body, headers=s.staff)

    async def test_an_untrained_user_is_refused_naming_the_reason(self, client, db, app):
        s = await setup(client, db, app, training_required=True, operation_mode="self_service")
        response = await book(client, s)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:ttm:problem:training-required"
        assert response.json()["reason"] == "training_required"
        assert "training" in response.json()["detail"]
        assert await count_bookings(db) == 0

    async def test_a_trained_user_books(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        recorded = await self.record(client, s, user_id=str(s.sme_user.id), trained_at="2026-11-20T10:00:00+08:00")
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["trained_at"] == "2026-11-20T02:00:00Z"
        assert (await book(client, s)).status_code == 201

    async def test_a_naive_training_time_is_refused(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        response = await self.record(client, s, user_id=str(s.sme_user.id), expires_at="2027-12-01T10:00:00")
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "expires_at"]]

    async def test_a_training_expired_before_the_slot_is_refused(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        await self.record(
            client,
            s,
            user_id=str(s.sme_user.id),
            trained_at="2025-12-01T10:00:00+08:00",
            expires_at="2026-12-07T08:00:00+08:00",
        )
        response = await book(client, s)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:ttm:problem:training-expired"
        assert response.json()["reason"] == "training_expired"
        assert "2026-12-07" in response.json()["detail"]

    async def test_a_training_expiring_after_the_start_is_still_valid(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        await self.record(
            client,
            s,
            user_id=str(s.sme_user.id),
            trained_at="2025-12-01T10:00:00+08:00",
            expires_at="2026-12-07T09:00:01+08:00",
        )
        assert (await book(client, s)).status_code == 201

    async def test_only_the_instruments_staff_record_trainings(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        as_sme = await client.post(
            f"{INSTRUMENTS}/{s.id}/trainings", json={"user_id": str(s.sme_user.id)}, headers=s.sme_member
        )
        assert as_sme.status_code == 403
        as_other_centre = await client.post(
            f"{INSTRUMENTS}/{s.id}/trainings", json={"user_id": str(s.sme_user.id)}, headers=s.w.other_staff
        )
        assert as_other_centre.status_code == 403

    async def test_staff_list_every_record_a_user_only_their_own(self, client, db, app):
        s = await setup(client, db, app, training_required=True)
        other_user, other_headers = await create_member(db, app, s.other_sme, Role.sme_member)
        await self.record(client, s, user_id=str(s.sme_user.id))
        await self.record(client, s, user_id=str(other_user.id), expires_at="2027-06-01T00:00:00+08:00")
        staff_view = (await client.get(f"{INSTRUMENTS}/{s.id}/trainings", headers=s.staff)).json()["items"]
        assert len(staff_view) == 2
        own = (await client.get(f"{INSTRUMENTS}/{s.id}/trainings", headers=other_headers)).json()["items"]
        assert [t["user_id"] for t in own] == [str(other_user.id)]
        assert own[0]["expires_at"] == "2027-05-31T16:00:00Z"

    async def test_an_expiry_before_the_training_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        response = await self.record(
            client,
            s,
            user_id=str(s.sme_user.id),
            trained_at="2026-11-20T10:00:00+08:00",
            expires_at="2026-11-19T10:00:00+08:00",
        )
        assert response.status_code == 422


class TestDryRun:
    async def test_a_dry_run_returns_the_price_and_books_nothing(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        response = await client.post(f"{BASE}?dry_run=true", json=s.body(weekly_occurrences=2), headers=s.sme_member)
        assert response.status_code == 200, response.text
        quote = response.json()
        assert quote["total"] == {"amount": 240000, "currency": "CNY"}
        assert [o["amount"]["amount"] for o in quote["occurrences"]] == [120000, 120000]
        assert [o["start_at"] for o in quote["occurrences"]] == ["2026-12-07T01:00:00Z", "2026-12-14T01:00:00Z"]
        assert quote["initial_state"] == "requested"
        assert quote["customer_tier"] == "sme"
        assert quote["unit_rate"] == {"amount": 60000, "currency": "CNY"}
        assert quote["cancellation_policy"] == {
            "free_cancellation_hours": 24,
            "cancellation_fee_bps": 5000,
            "no_show_fee_bps": 10000,
        }
        assert await count_bookings(db) == 0

    async def test_a_dry_run_checks_the_rules_too(self, client, db, app):
        s = await setup(client, db, app)
        response = await client.post(
            f"{BASE}?dry_run=true", json=s.body(**slot(start="07:00", end="08:00")), headers=s.sme_member
        )
        assert response.status_code == 422
        assert response.json()["rule"] == "opening_hours"


class TestNoDoubleBooking:
    async def test_an_overlapping_slot_is_refused_naming_the_taken_time_not_who(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s)
        response = await book(client, s, s.other_sme_member, **slot(start="10:00", end="12:00"))
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:ttm:problem:booking-overlap"
        assert problem["conflicts"] == [
            {"start_at": "2026-12-07T01:00:00+00:00", "end_at": "2026-12-07T03:00:00+00:00"}
        ]
        assert str(s.w.sme.id) not in response.text and s.w.sme.name not in response.text
        assert await count_bookings(db) == 1

    async def test_back_to_back_bookings_are_allowed(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s)
        assert (await book(client, s, s.other_sme_member, **slot(start="11:00", end="13:00"))).status_code == 201
        assert (await book(client, s, s.other_sme_member, **slot(start="08:00", end="09:00"))).status_code == 422

    async def test_a_cancelled_booking_frees_the_slot(self, client, db, app):
        s = await setup(client, db, app)
        first = await booked(client, s)
        assert (await client.post(f"{BASE}/{first['id']}/cancel", headers=s.sme_member)).status_code == 200
        assert (await book(client, s, s.other_sme_member)).status_code == 201

    async def test_a_rejected_booking_frees_the_slot(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        first = await booked(client, s)
        rejected = await client.post(f"{BASE}/{first['id']}/reject", json={"reason": "设备调试"}, headers=s.staff)
        assert rejected.status_code == 200
        assert (await book(client, s, s.other_sme_member)).status_code == 201

    async def test_another_instrument_is_independent(self, client, db, app):
        s = await setup(client, db, app)
        second = (
            await client.post(
                f"{INSTRUMENTS}",
                json=instrument_body(title="X射线衍射仪", requires_confirmation=False),
                headers=s.staff,
            )
        ).json()
        await client.post(f"{INSTRUMENTS}/{second['id']}/publish", headers=s.staff)
        await booked(client, s)
        other = await client.post(BASE, json={"instrument_id": second["id"], **slot()}, headers=s.sme_member)
        assert other.status_code == 201, other.text

    async def test_twenty_concurrent_requests_for_one_slot_yield_one_booking(self, client, db, app):
        s = await setup(client, db, app)
        headers = [s.sme_member, s.other_sme_member]
        responses = await asyncio.gather(*(book(client, s, headers[i % 2]) for i in range(20)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] + [409] * 19, [r.text for r in responses if r.status_code not in (201, 409)]
        assert all(r.json()["type"] == "urn:ttm:problem:booking-overlap" for r in responses if r.status_code == 409)
        assert await count_bookings(db) == 1

    async def test_twenty_concurrent_overlapping_different_slots_never_overlap(self, client, db, app):
        s = await setup(client, db, app)
        # Slots of 60 minutes starting every 15 minutes from 09:00: many overlap, none identical.
        starts = [f"{9 + (15 * i) // 60:02d}:{(15 * i) % 60:02d}" for i in range(20)]
        ends = [f"{10 + (15 * i) // 60:02d}:{(15 * i) % 60:02d}" for i in range(20)]
        responses = await asyncio.gather(
            *(book(client, s, **slot(start=a, end=b)) for a, b in zip(starts, ends, strict=True))
        )
        assert {r.status_code for r in responses} <= {201, 409}
        async with db.session_scope() as session:
            rows = (await session.execute(select(Booking.start_at, Booking.end_at).order_by(Booking.start_at))).all()
        assert len(rows) == sum(r.status_code == 201 for r in responses) >= 2
        for (_, end), (start, _) in itertools.pairwise(rows):
            assert end <= start


class TestWeeklySeries:
    async def test_a_series_is_created_whole_with_one_series_id(self, client, db, app):
        s = await setup(client, db, app)
        first = await booked(client, s, weekly_occurrences=4)
        assert first["series_id"] is not None
        series = (await client.get(BASE, params={"series_id": first["series_id"]}, headers=s.sme_member)).json()
        starts = sorted(b["start_at"] for b in series["items"])
        assert starts == [f"2026-12-{d:02d}T01:00:00Z" for d in (7, 14, 21, 28)]

    async def test_a_series_with_taken_dates_is_refused_whole_listing_them(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member, **slot(day="2026-12-14", start="10:00", end="12:00"))
        await booked(client, s, s.other_sme_member, **slot(day="2026-12-28"))
        response = await book(client, s, weekly_occurrences=4)
        assert response.status_code == 409
        assert response.json()["conflicting_dates"] == ["2026-12-14", "2026-12-28"]
        assert "2026-12-14" in response.json()["detail"]
        assert await count_bookings(db) == 2

    async def test_a_rule_broken_on_one_date_refuses_the_series_naming_it(self, client, db, app):
        s = await setup(client, db, app)
        async with db.session_scope() as session:
            session.add(
                InstrumentBlackout(
                    instrument_id=uuid.UUID(s.id),
                    starts_at=at("2026-12-21", "00:00"),
                    ends_at=at("2026-12-22", "00:00"),
                )
            )
        response = await book(client, s, weekly_occurrences=3)
        assert response.status_code == 422
        assert response.json()["rule"] == "blackout"
        assert response.json()["detail"].startswith("2026-12-21")
        assert await count_bookings(db) == 0

    async def test_more_than_the_limit_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        response = await book(client, s, weekly_occurrences=27)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "weekly_occurrences"]


class TestConfirmAndReject:
    async def test_staff_confirm_a_request_and_the_customer_is_told(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        response = await client.post(f"{BASE}/{created['id']}/confirm", headers=s.staff)
        assert response.status_code == 200
        assert response.json()["state"] == "confirmed"
        assert response.json()["confirmed_at"] is not None
        async with db.session_scope() as session:
            told = await session.scalar(select(Notification.user_id).where(Notification.kind == "booking.confirmed"))
        assert told == s.sme_user.id

    async def test_the_customer_cannot_confirm(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        response = await client.post(f"{BASE}/{created['id']}/confirm", headers=s.sme_member)
        assert response.status_code == 403

    async def test_confirming_twice_is_a_conflict(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        await client.post(f"{BASE}/{created['id']}/confirm", headers=s.staff)
        again = await client.post(f"{BASE}/{created['id']}/confirm", headers=s.staff)
        assert again.status_code == 409
        assert again.json()["type"] == "urn:ttm:problem:invalid-booking-transition"

    async def test_a_rejection_carries_its_reason(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        response = await client.post(f"{BASE}/{created['id']}/reject", json={"reason": "当天设备校准"}, headers=s.staff)
        assert response.status_code == 200
        assert response.json()["state"] == "rejected"
        assert response.json()["decision_reason"] == "当天设备校准"
        assert response.json()["charge"] is None

    async def test_a_rejection_needs_a_reason(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        response = await client.post(f"{BASE}/{created['id']}/reject", json={}, headers=s.staff)
        assert response.status_code == 422


class TestCancel:
    async def test_exactly_n_hours_before_the_start_is_free(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "09:00") - timedelta(hours=24))
        response = await client.post(
            f"{BASE}/{created['id']}/cancel", json={"reason": "样品未到"}, headers=s.sme_member
        )
        assert response.status_code == 200
        assert response.json()["state"] == "cancelled"
        assert response.json()["cancellation_fee"] == {"amount": 0, "currency": "CNY"}
        assert response.json()["charge"] is None

    async def test_one_second_inside_the_window_owes_the_fee(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "09:00") - timedelta(hours=24) + timedelta(seconds=1))
        response = await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        assert response.status_code == 200
        assert response.json()["cancellation_fee"] == {"amount": 60000, "currency": "CNY"}
        assert response.json()["charge"]["kind"] == "cancellation_fee"
        assert response.json()["charge"]["amount"] == {"amount": 60000, "currency": "CNY"}

    async def test_a_request_not_yet_confirmed_cancels_free(self, client, db, app, clock):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        clock.set(at(MONDAY, "08:00"))
        response = await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        assert response.json()["cancellation_fee"]["amount"] == 0

    async def test_a_cancellation_by_the_centre_is_free(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "08:00"))
        response = await client.post(f"{BASE}/{created['id']}/cancel", json={"reason": "设备故障"}, headers=s.staff)
        assert response.status_code == 200
        assert response.json()["cancellation_fee"]["amount"] == 0
        assert response.json()["charge"] is None

    async def test_after_the_start_it_cannot_be_cancelled(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "09:00"))
        response = await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        assert response.status_code == 409

    async def test_cancelling_twice_is_a_conflict(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        assert (await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)).status_code == 409


class TestComplete:
    async def test_actual_usage_below_the_minimum_bills_the_minimum(self, client, db, app, clock):
        s = await setup(client, db, app, min_booking_minutes=60)
        created = await booked(client, s)
        clock.set(at(MONDAY, "11:00"))
        response = await client.post(f"{BASE}/{created['id']}/complete", json={"actual_minutes": 20}, headers=s.staff)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["state"] == "completed"
        assert body["actual_quantity"] == 20
        assert body["final_charge"] == {"amount": 60000, "currency": "CNY"}
        assert body["charge"]["kind"] == "usage"
        assert body["charge"]["amount"] == {"amount": 60000, "currency": "CNY"}

    async def test_longer_usage_bills_the_actual_time_rounded_to_the_fen(self, client, db, app, clock):
        rates = [{"tier": "sme", "unit": "hour", "price": {"amount": 33333, "currency": "CNY"}}]
        s = await setup(client, db, app, rates=rates)
        async with db.session_scope() as session:
            session.add(
                SmeMembership(
                    centre_id=s.w.centre.id, sme_id=s.w.sme.id, tier=MembershipTier.silver, valid_from=NOW.date()
                )
            )
        created = await booked(client, s)
        clock.set(at(MONDAY, "11:00"))
        response = await client.post(f"{BASE}/{created['id']}/complete", json={"actual_minutes": 130}, headers=s.staff)
        # 33333 x 130 / 60 = 72221.5 -> 72222 fen; silver 10%: 7222.2 -> 7222; owed 65000.
        assert response.json()["final_charge"]["amount"] == 65000

    async def test_a_sample_booking_completes_with_samples(self, client, db, app, clock):
        rates = [{"tier": "sme", "unit": "sample", "price": {"amount": 20000, "currency": "CNY"}}]
        s = await setup(client, db, app, rates=rates)
        created = (
            await client.post(BASE, json={"instrument_id": s.id, "sample_count": 5}, headers=s.sme_member)
        ).json()
        wrong = await client.post(f"{BASE}/{created['id']}/complete", json={"actual_minutes": 60}, headers=s.staff)
        assert wrong.status_code == 422
        done = await client.post(f"{BASE}/{created['id']}/complete", json={"actual_samples": 4}, headers=s.staff)
        assert done.json()["final_charge"]["amount"] == 80000

    async def test_completing_before_the_start_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        response = await client.post(f"{BASE}/{created['id']}/complete", json={"actual_minutes": 60}, headers=s.staff)
        assert response.status_code == 409

    async def test_only_staff_complete(self, client, db, app, clock):
        s = await setup(client, db, app)
        created = await booked(client, s)
        clock.set(at(MONDAY, "11:00"))
        response = await client.post(
            f"{BASE}/{created['id']}/complete", json={"actual_minutes": 60}, headers=s.sme_member
        )
        assert response.status_code == 403

    async def test_a_no_show_owes_the_no_show_fee(self, client, db, app, clock):
        s = await setup(client, db, app, no_show_fee_bps=7500)
        created = await booked(client, s)
        clock.set(at(MONDAY, "09:30"))
        response = await client.post(f"{BASE}/{created['id']}/no-show", headers=s.staff)
        assert response.status_code == 200
        assert response.json()["state"] == "no_show"
        assert response.json()["charge"] == {
            "kind": "no_show_fee",
            "amount": {"amount": 90000, "currency": "CNY"},
            "charged_at": response.json()["charge"]["charged_at"],
        }


class TestVisibility:
    async def test_another_sme_gets_404(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        assert (await client.get(f"{BASE}/{created['id']}", headers=s.other_sme_member)).status_code == 404
        assert (await client.post(f"{BASE}/{created['id']}/cancel", headers=s.other_sme_member)).status_code == 404
        assert (await client.get(BASE, headers=s.other_sme_member)).json()["items"] == []

    async def test_another_centres_staff_get_404(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        assert (await client.get(f"{BASE}/{created['id']}", headers=s.w.other_staff)).status_code == 404
        assert (await client.post(f"{BASE}/{created['id']}/confirm", headers=s.w.other_staff)).status_code == 404

    async def test_the_owning_institute_and_its_centre_see_it(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        assert (await client.get(f"{BASE}/{created['id']}", headers=s.staff)).status_code == 200
        assert (await client.get(f"{BASE}/{created['id']}", headers=s.w.centre_staff)).status_code == 200
        listed = (await client.get(BASE, params={"instrument_id": s.id}, headers=s.staff)).json()["items"]
        assert [b["id"] for b in listed] == [created["id"]]


class TestMyBookingsInOneCall:
    async def test_each_booking_carries_its_instruments_title_and_centre(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        expected = {
            "id": s.id,
            "title": s.instrument["title"],
            "centre_id": str(s.w.centre.id),
            "centre_name": "长三角国家技术创新中心",
        }
        assert created["instrument"] == expected
        listed = (await client.get(BASE, headers=s.sme_member)).json()["items"]
        assert [b["instrument"] for b in listed] == [expected]
        cancelled = await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        assert cancelled.json()["instrument"] == expected


class TestAvailability:
    async def test_availability_subtracts_active_bookings(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        day = {"from": f"{MONDAY}T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
        free = (await client.get(f"{INSTRUMENTS}/{s.id}/availability", params=day)).json()["free"]
        assert free == [{"start": "2026-12-07T03:00:00Z", "end": "2026-12-07T09:00:00Z"}]
        await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        free = (await client.get(f"{INSTRUMENTS}/{s.id}/availability", params=day)).json()["free"]
        assert free == [{"start": "2026-12-07T01:00:00Z", "end": "2026-12-07T09:00:00Z"}]


class TestDatabaseGuardThroughTheApi:
    async def test_a_request_racing_past_the_check_gets_the_same_409(self, client, db, app, monkeypatch):
        s = await setup(client, db, app)
        await booked(client, s)
        real = planning.conflicts
        calls = []

        async def blind_first(session, instrument, slots):
            calls.append(slots)
            return [] if len(calls) == 1 else await real(session, instrument, slots)

        monkeypatch.setattr(planning, "conflicts", blind_first)
        response = await book(client, s, s.other_sme_member, **slot(start="10:00", end="12:00"))
        assert response.status_code == 409
        assert response.json()["type"] == "urn:ttm:problem:booking-overlap"
        assert response.json()["conflicts"] == [
            {"start_at": "2026-12-07T01:00:00+00:00", "end_at": "2026-12-07T03:00:00+00:00"}
        ]
        assert len(calls) == 2
        assert await count_bookings(db) == 1


class TestIdempotentBooking:
    async def test_a_retry_with_the_same_key_returns_the_first_booking(self, client, db, app):
        s = await setup(client, db, app)
        headers = {**s.sme_member, "Idempotency-Key": "book-sem-2026-12-07"}
        first = await client.post(BASE, json=s.body(), headers=headers)
        again = await client.post(BASE, json=s.body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert await count_bookings(db) == 1


class TestOpenApi:
    async def test_the_bookings_endpoints_are_documented(self, client):
        paths = (await client.get("/openapi.json")).json()["paths"]
        for path, method in [
            ("/api/v1/bookings", "post"),
            ("/api/v1/bookings", "get"),
            ("/api/v1/bookings/{booking_id}", "get"),
            ("/api/v1/bookings/{booking_id}/confirm", "post"),
            ("/api/v1/bookings/{booking_id}/reject", "post"),
            ("/api/v1/bookings/{booking_id}/cancel", "post"),
            ("/api/v1/bookings/{booking_id}/complete", "post"),
            ("/api/v1/bookings/{booking_id}/no-show", "post"),
            ("/api/v1/instruments/{instrument_id}/trainings", "post"),
            ("/api/v1/instruments/{instrument_id}/waitlist", "post"),
            ("/api/v1/instruments/{instrument_id}/waitlist/{entry_id}", "delete"),
            ("/api/v1/instruments/{instrument_id}/calendar.ics", "get"),
            ("/api/v1/instruments/{instrument_id}/calendar-link", "post"),
        ]:
            operation = paths[path][method]
            assert operation["tags"] == ["bookings"], (path, method)
            assert operation["description"] or operation["summary"], (path, method)
        create = paths["/api/v1/bookings"]["post"]
        assert {"200", "201", "409", "422"} <= set(create["responses"])
