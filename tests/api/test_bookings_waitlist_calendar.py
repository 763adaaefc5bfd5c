"""The waitlist for taken slots and the instrument's busy-time calendar feed (.ics)."""

from __future__ import annotations

from urllib.parse import urlsplit

import icalendar
import pytest
from sqlalchemy import select

from models.bookings import InstrumentCalendarFeed
from models.enums import Role
from models.notifications import Notification
from tests.factories.bookings import BASE, MONDAY, NOW, at, booked, setup, slot
from tests.factories.organisations import create_member

INSTRUMENTS = "/api/v1/instruments"


@pytest.fixture(autouse=True)
def clock(clock):
    """Bookings are planned against a stopped clock (NOW, a Tuesday)."""
    clock.set(NOW)
    return clock


class TestWaitlist:
    async def test_waiting_for_a_free_slot_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        response = await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)
        assert response.status_code == 409
        assert response.json()["type"] == "urn:ttm:problem:slot-not-taken"

    async def test_an_sme_waits_for_a_taken_slot(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member)
        response = await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)
        assert response.status_code == 201, response.text
        assert response.json()["state"] == "waiting"
        assert response.json()["customer_org_id"] == str(s.w.sme.id)
        again = await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)
        assert again.status_code == 409

    async def test_one_waits_only_for_an_organisation_one_belongs_to(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member)
        response = await client.post(
            f"{INSTRUMENTS}/{s.id}/waitlist",
            json={**slot(), "customer_org_id": str(s.other_sme.id)},
            headers=s.sme_member,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "customer_org_id"]
        without_an_sme = await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.staff)
        assert without_an_sme.status_code == 422
        assert without_an_sme.json()["errors"][0]["loc"] == ["body", "customer_org_id"]

    async def test_a_naive_time_is_refused(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member)
        body = {"start_at": f"{MONDAY}T09:00:00", "end_at": f"{MONDAY}T11:00:00+08:00"}
        response = await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=body, headers=s.sme_member)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "start_at"]]

    async def test_when_the_slot_frees_the_first_waiting_party_is_notified(self, client, db, app):
        s = await setup(client, db, app)
        holder = await booked(client, s, s.other_sme_member)
        _, third = await create_member(db, app, s.w.sme, Role.sme_admin)
        first = (await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)).json()
        second = (await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(end="10:00"), headers=third)).json()
        cancelled = await client.post(f"{BASE}/{holder['id']}/cancel", headers=s.other_sme_member)
        assert cancelled.status_code == 200
        async with db.session_scope() as session:
            notes = (
                await session.scalars(select(Notification).where(Notification.kind == "waitlist.slot_freed"))
            ).all()
        assert [(n.user_id, str(n.subject_id)) for n in notes] == [(s.sme_user.id, first["id"])]
        entries = (await client.get(f"{INSTRUMENTS}/{s.id}/waitlist", headers=s.staff)).json()["items"]
        assert {e["id"]: e["state"] for e in entries} == {first["id"]: "notified", second["id"]: "waiting"}
        # The notified party books the freed slot like anyone else.
        assert (await client.post(BASE, json=s.body(), headers=s.sme_member)).status_code == 201

    async def test_a_waiting_slot_still_partly_taken_is_skipped(self, client, db, app):
        s = await setup(client, db, app)
        early = await booked(client, s, s.other_sme_member, **slot(start="09:00", end="10:00"))
        await booked(client, s, s.other_sme_member, **slot(start="10:00", end="11:00"))
        await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)
        await client.post(f"{BASE}/{early['id']}/cancel", headers=s.other_sme_member)
        async with db.session_scope() as session:
            assert (
                await session.scalar(select(Notification.id).where(Notification.kind == "waitlist.slot_freed")) is None
            )

    async def test_others_see_only_their_own_entries_and_can_withdraw_them(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member)
        entry = (await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)).json()
        assert (await client.get(f"{INSTRUMENTS}/{s.id}/waitlist", headers=s.other_sme_member)).json()["items"] == []
        stranger = await client.delete(f"{INSTRUMENTS}/{s.id}/waitlist/{entry['id']}", headers=s.other_sme_member)
        assert stranger.status_code == 404
        own = await client.delete(f"{INSTRUMENTS}/{s.id}/waitlist/{entry['id']}", headers=s.sme_member)
        assert own.status_code == 204
        mine = (await client.get(f"{INSTRUMENTS}/{s.id}/waitlist", headers=s.sme_member)).json()["items"]
        assert [e["state"] for e in mine] == ["withdrawn"]


def parse(body: bytes) -> list:
    calendar = icalendar.Calendar.from_ical(body)
    return [c for c in calendar.walk("VEVENT")]


class TestCalendarFeed:
    async def link(self, client, s) -> str:
        response = await client.post(f"{INSTRUMENTS}/{s.id}/calendar-link", headers=s.staff)
        assert response.status_code == 200, response.text
        parts = urlsplit(response.json()["url"])
        return f"{parts.path}?{parts.query}"

    async def test_the_feed_shows_busy_times_without_the_customer(self, client, db, app, clock):
        s = await setup(client, db, app)
        await booked(client, s)
        await booked(client, s, s.other_sme_member, **slot(day="2026-12-08", start="14:00", end="15:30"))
        url = await self.link(client, s)
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        events = parse(response.content)
        spans = sorted((e.decoded("dtstart"), e.decoded("dtend")) for e in events)
        assert spans == [
            (at(MONDAY, "09:00"), at(MONDAY, "11:00")),
            (at("2026-12-08", "14:00"), at("2026-12-08", "15:30")),
        ]
        assert all(str(e["summary"]) == "已预约 Booked" for e in events)
        for secret in (s.w.sme.name, str(s.w.sme.id), s.other_sme.name, str(s.other_sme.id)):
            assert secret.encode() not in response.content

    async def test_a_cancelled_booking_leaves_the_feed(self, client, db, app):
        s = await setup(client, db, app)
        created = await booked(client, s)
        await client.post(f"{BASE}/{created['id']}/cancel", headers=s.sme_member)
        url = await self.link(client, s)
        assert parse((await client.get(url)).content) == []

    async def test_a_wrong_or_missing_token_is_404(self, client, db, app):
        s = await setup(client, db, app)
        await self.link(client, s)
        assert (await client.get(f"{INSTRUMENTS}/{s.id}/calendar.ics?token=guess")).status_code == 404
        assert (await client.get(f"{INSTRUMENTS}/{s.id}/calendar.ics")).status_code == 404

    async def test_only_the_tokens_hash_is_stored(self, client, db, app):
        s = await setup(client, db, app)
        url = await self.link(client, s)
        token = url.split("token=")[1]
        async with db.session_scope() as session:
            stored = await session.scalar(select(InstrumentCalendarFeed.token_sha256))
        assert token not in stored and len(stored) == 64

    async def test_rotating_the_link_revokes_the_old_one(self, client, db, app):
        s = await setup(client, db, app)
        old = await self.link(client, s)
        new = await self.link(client, s)
        assert (await client.get(old)).status_code == 404
        assert (await client.get(new)).status_code == 200

    async def test_revoking_the_link(self, client, db, app):
        s = await setup(client, db, app)
        url = await self.link(client, s)
        assert (await client.delete(f"{INSTRUMENTS}/{s.id}/calendar-link", headers=s.staff)).status_code == 204
        assert (await client.get(url)).status_code == 404

    async def test_only_staff_manage_the_link(self, client, db, app):
        s = await setup(client, db, app)
        assert (await client.post(f"{INSTRUMENTS}/{s.id}/calendar-link", headers=s.sme_member)).status_code == 403
        assert (await client.post(f"{INSTRUMENTS}/{s.id}/calendar-link", headers=s.w.other_staff)).status_code == 403


class TestWaitlistLeastPrivilege:
    async def test_an_smes_evaluator_neither_sees_nor_withdraws_its_waitlist_entries(self, client, db, app):
        """Evaluators read nothing private of their organisation (docs/security.md): the SME's
        waitlist entry is not listed to its evaluator, and withdrawing it is 404."""
        s = await setup(client, db, app)
        await booked(client, s, s.other_sme_member)
        entry = (await client.post(f"{INSTRUMENTS}/{s.id}/waitlist", json=slot(), headers=s.sme_member)).json()
        _, evaluator = await create_member(db, app, s.w.sme, Role.evaluator)
        listed = await client.get(f"{INSTRUMENTS}/{s.id}/waitlist", headers=evaluator)
        assert listed.status_code == 200 and listed.json()["items"] == []
        withdrawn = await client.delete(f"{INSTRUMENTS}/{s.id}/waitlist/{entry['id']}", headers=evaluator)
        assert withdrawn.status_code == 404
        mine = await client.get(f"{INSTRUMENTS}/{s.id}/waitlist", headers=s.sme_member)
        assert [e["state"] for e in mine.json()["items"]] == ["waiting"]
