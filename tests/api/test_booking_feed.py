"""An SME's iCalendar feed of its own bookings, behind a revocable secret link (issue 11 item 10)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import icalendar
import pytest
from sqlalchemy import select, update

from models.bookings import OrganisationBookingFeed
from models.catalogue import Listing
from models.enums import Role
from models.instruments import Instrument
from models.organisations import Organisation
from tests.factories.bookings import BASE, MONDAY, NOW, Setup, at, booked, setup, slot
from tests.factories.http import is_problem
from tests.factories.organisations import build

ORGS = "/api/v1/organisations"


@pytest.fixture(autouse=True)
def clock(clock):
    """Bookings are planned against a stopped clock (NOW, a Tuesday)."""
    clock.set(NOW)
    return clock


def events(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


async def link(client, s: Setup, headers: dict[str, str] | None = None) -> str:
    response = await client.post(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=headers or s.sme_member)
    assert response.status_code == 200, response.text
    assert response.json()["organisation_id"] == str(s.w.sme.id)
    parts = urlsplit(response.json()["url"])
    return f"{parts.path}?{parts.query}"


class TestTheFeed:
    async def test_it_lists_the_organisations_bookings_with_instrument_and_centre(self, client, db, app):
        s = await setup(client, db, app)
        mine = await booked(client, s)
        await booked(client, s, s.other_sme_member, **slot(day="2026-12-08", start="14:00", end="15:30"))
        response = await client.get(await link(client, s))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/calendar")
        assert response.headers["cache-control"] == "private, max-age=60"
        (event,) = events(response.content)  # the other SME's booking is not there
        assert str(event["uid"]) == f"org-booking-{mine['id']}@ttm"
        assert str(event["summary"]) == f"场发射扫描电子显微镜 · {s.w.centre.name}"
        assert str(event["location"]) == s.w.centre.name
        assert str(event["status"]) == "CONFIRMED"
        assert str(s.other_sme.id).encode() not in response.content

    async def test_times_are_in_the_instruments_time_zone(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s)
        response = await client.get(await link(client, s))
        (event,) = events(response.content)
        assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert (start.hour, start.minute, end.hour) == (9, 0, 11)  # local wall time, not UTC
        assert (start, end) == (at(MONDAY, "09:00"), at(MONDAY, "11:00"))
        assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Asia/Shanghai" in response.content

    async def test_another_time_zone_is_kept(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s)
        async with db.session_scope() as session:
            await session.execute(update(Instrument).values(timezone="Asia/Urumqi"))
        (event,) = events((await client.get(await link(client, s))).content)
        assert event["dtstart"].params["TZID"] == "Asia/Urumqi"
        assert event.decoded("dtstart") == at(MONDAY, "09:00")
        assert event.decoded("dtstart").hour == 7  # Urumqi is UTC+6

    async def test_states_requested_confirmed_cancelled(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        requested = await booked(client, s)
        confirmed = await booked(client, s, **slot(day="2026-12-08"))
        cancelled = await booked(client, s, **slot(day="2026-12-09"))
        assert (await client.post(f"{BASE}/{confirmed['id']}/confirm", headers=s.staff)).status_code == 200
        assert (await client.post(f"{BASE}/{cancelled['id']}/cancel", headers=s.sme_member)).status_code == 200
        found = {str(e["uid"]): str(e["status"]) for e in events((await client.get(await link(client, s))).content)}
        assert found == {
            f"org-booking-{requested['id']}@ttm": "TENTATIVE",
            f"org-booking-{confirmed['id']}@ttm": "CONFIRMED",
            f"org-booking-{cancelled['id']}@ttm": "CANCELLED",
        }

    async def test_uids_are_stable_across_fetches_and_changes(self, client, db, app):
        s = await setup(client, db, app, requires_confirmation=True)
        created = await booked(client, s)
        url = await link(client, s)
        before = [str(e["uid"]) for e in events((await client.get(url)).content)]
        await client.post(f"{BASE}/{created['id']}/confirm", headers=s.staff)
        after = [str(e["uid"]) for e in events((await client.get(url)).content)]
        assert before == after == [f"org-booking-{created['id']}@ttm"]

    async def test_stored_control_characters_never_break_the_feed(self, client, db, app):
        s = await setup(client, db, app)
        await booked(client, s)
        async with db.session_scope() as session:
            await session.execute(
                update(Listing).where(Listing.id == uuid.UUID(s.id)).values(title="电镜\r\nBEGIN:VEVENT\x07")
            )
            await session.execute(
                update(Organisation).where(Organisation.id == s.w.centre.id).values(name="中心\nX-EVIL:1\x1b")
            )
        response = await client.get(await link(client, s))
        assert response.status_code == 200, response.text
        (event,) = events(response.content)
        assert str(event["summary"]) == "电镜 BEGIN:VEVENT · 中心 X-EVIL:1"
        assert b"\x07" not in response.content and b"\x1b" not in response.content
        assert b"\nX-EVIL" not in response.content


class TestTheLink:
    async def test_a_wrong_missing_or_other_organisations_token_is_404(self, client, db, app):
        s = await setup(client, db, app)
        await link(client, s)
        feed = f"{ORGS}/{s.w.sme.id}/bookings.ics"
        assert is_problem(await client.get(f"{feed}?token=guess"), 404)
        assert is_problem(await client.get(feed), 404)
        other = await client.post(f"{ORGS}/{s.other_sme.id}/booking-feed", headers=s.other_sme_member)
        other_token = other.json()["url"].split("token=")[1]
        assert is_problem(await client.get(f"{feed}?token={other_token}"), 404)

    async def test_only_the_tokens_hash_is_stored(self, client, db, app):
        s = await setup(client, db, app)
        token = (await link(client, s)).split("token=")[1]
        async with db.session_scope() as session:
            stored = await session.scalar(select(OrganisationBookingFeed.token_sha256))
        assert stored is not None and token not in stored and len(stored) == 64

    async def test_rotating_invalidates_the_old_link(self, client, db, app):
        s = await setup(client, db, app)
        old = await link(client, s)
        new = await link(client, s)
        assert is_problem(await client.get(old), 404)
        assert (await client.get(new)).status_code == 200

    async def test_revoking_the_link(self, client, db, app):
        s = await setup(client, db, app)
        url = await link(client, s)
        assert (await client.get(url)).status_code == 200
        assert (await client.delete(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=s.sme_member)).status_code == 204
        assert is_problem(await client.get(url), 404)
        again = await client.delete(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=s.sme_member)
        assert is_problem(again, 404)

    async def test_an_sme_admin_manages_it_too(self, client, db, app):
        s = await setup(client, db, app)
        async with build(db, app) as b:
            _, admin = b.member(s.w.sme, Role.sme_admin)
        url = await link(client, s, admin)
        assert (await client.get(url)).status_code == 200


class TestTenants:
    async def test_another_tenant_can_neither_create_nor_revoke_the_link(self, client, db, app):
        s = await setup(client, db, app)
        url = await link(client, s)
        for headers in (s.other_sme_member, s.staff, s.w.other_staff):
            created = await client.post(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=headers)
            assert is_problem(created, 404), created.text
            revoked = await client.delete(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=headers)
            assert is_problem(revoked, 404), revoked.text
        assert (await client.get(url)).status_code == 200  # still the member's link

    async def test_an_unknown_organisation_is_404(self, client, db, app):
        s = await setup(client, db, app)
        response = await client.post(f"{ORGS}/{uuid.uuid4()}/booking-feed", headers=s.sme_member)
        assert is_problem(response, 404)

    async def test_an_evaluator_of_the_sme_is_403(self, client, db, app):
        s = await setup(client, db, app)
        async with build(db, app) as b:
            _, evaluator = b.member(s.w.sme, Role.evaluator)
        assert is_problem(await client.post(f"{ORGS}/{s.w.sme.id}/booking-feed", headers=evaluator), 403)

    async def test_anonymous_needs_a_sign_in_to_manage(self, client, db, app):
        s = await setup(client, db, app)
        assert (await client.post(f"{ORGS}/{s.w.sme.id}/booking-feed")).status_code == 401
