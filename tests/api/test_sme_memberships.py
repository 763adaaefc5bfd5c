"""会员制: centre staff grant SMEs membership tiers with validity dates."""

from __future__ import annotations

import asyncio

from models.enums import OrganisationKind, Role
from tests.factories.catalogue import make_world
from tests.factories.organisations import create_member, create_org


def path(centre) -> str:
    return f"/api/v1/organisations/{centre.id}/sme-memberships"


def grant_body(sme, **overrides) -> dict:
    return {"sme_id": str(sme.id), "tier": "gold", "valid_from": "2026-01-01", "valid_until": "2026-12-31", **overrides}


class TestGrantMembership:
    async def test_centre_staff_grant_a_tier(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["tier"], body["valid_from"], body["valid_until"]) == ("gold", "2026-01-01", "2026-12-31")
        assert body["centre_id"] == str(w.centre.id)

    async def test_an_overlapping_period_is_a_conflict(self, client, db, app):
        w = await make_world(db, app)
        await client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff)
        response = await client.post(
            path(w.centre),
            json=grant_body(w.sme, tier="silver", valid_from="2026-12-31", valid_until=None),
            headers=w.centre_staff,
        )
        assert response.status_code == 409
        assert response.json()["type"] == "urn:ttm:problem:membership-overlap"

    async def test_a_following_period_is_allowed(self, client, db, app):
        w = await make_world(db, app)
        await client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff)
        response = await client.post(
            path(w.centre), json=grant_body(w.sme, valid_from="2027-01-01", valid_until=None), headers=w.centre_staff
        )
        assert response.status_code == 201

    async def test_an_sme_cannot_grant_itself_a_tier(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(path(w.centre), json=grant_body(w.sme), headers=w.sme_member)
        assert response.status_code == 403

    async def test_institute_staff_cannot_grant_the_centres_tiers(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(path(w.centre), json=grant_body(w.sme), headers=w.institute_staff)
        assert response.status_code == 403

    async def test_only_smes_hold_memberships(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(path(w.centre), json=grant_body(w.other_centre), headers=w.centre_staff)
        assert response.status_code == 422

    async def test_an_end_before_the_start_is_refused(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(
            path(w.centre), json=grant_body(w.sme, valid_until="2025-12-31"), headers=w.centre_staff
        )
        assert response.status_code == 422

    async def test_an_institute_is_not_a_centre(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(path(w.institute), json=grant_body(w.sme), headers=w.centre_staff)
        assert response.status_code == 404


class TestListMemberships:
    async def test_staff_see_every_membership_and_smes_only_their_own(self, client, db, app):
        w = await make_world(db, app)
        other_sme = await create_org(db, OrganisationKind.sme)
        _, other_sme_member = await create_member(db, app, other_sme, Role.sme_admin)
        await client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff)
        await client.post(path(w.centre), json=grant_body(other_sme, tier="basic"), headers=w.centre_staff)
        staff_view = (await client.get(path(w.centre), headers=w.centre_staff)).json()["items"]
        assert {m["tier"] for m in staff_view} == {"gold", "basic"}
        own = (await client.get(path(w.centre), headers=w.sme_member)).json()["items"]
        assert [(m["sme_id"], m["tier"]) for m in own] == [(str(w.sme.id), "gold")]
        other = (await client.get(path(w.centre), headers=other_sme_member)).json()["items"]
        assert [m["tier"] for m in other] == ["basic"]

    async def test_active_on_filters_by_validity(self, client, db, app):
        w = await make_world(db, app)
        await client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff)
        inside = await client.get(path(w.centre), params={"active_on": "2026-06-01"}, headers=w.centre_staff)
        outside = await client.get(path(w.centre), params={"active_on": "2027-06-01"}, headers=w.centre_staff)
        assert len(inside.json()["items"]) == 1
        assert outside.json()["items"] == []

    async def test_signing_in_is_required(self, client, db, app):
        w = await make_world(db, app)
        assert (await client.get(path(w.centre))).status_code == 401


async def test_two_concurrent_overlapping_grants_let_only_one_through(client, db, app):
    w = await make_world(db, app)
    responses = await asyncio.gather(
        client.post(path(w.centre), json=grant_body(w.sme), headers=w.centre_staff),
        client.post(path(w.centre), json=grant_body(w.sme, tier="silver"), headers=w.centre_staff),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    listed = (await client.get(path(w.centre), headers=w.centre_staff)).json()["items"]
    assert len(listed) == 1
