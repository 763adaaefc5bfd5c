"""Notifications: each user reads and marks only their own."""

from __future__ import annotations

import uuid

import pytest

from tests.factories.problems import make_cast, notifications_of, post_problem, post_proposal


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


class TestListNotifications:
    async def test_people_concerned_are_told_and_nobody_else(self, client, cast):
        problem = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        for member in (cast.sme, cast.sme_member):
            notes = await notifications_of(client, member)
            assert [(n["kind"], n["subject_type"], n["subject_id"], n["read"]) for n in notes] == [
                ("proposal.received", "proposal", proposal["id"], False)
            ]
            assert notes[0]["organisation_id"] == str(cast.sme.org.id)
        for other in (cast.centre_a, cast.centre_b, cast.other_sme):
            assert await notifications_of(client, other) == []

    async def test_unread_filter_and_paging(self, client, cast):
        problem = await post_problem(client, cast.sme)
        await post_proposal(client, cast.centre_a, problem["id"])
        await post_proposal(client, cast.centre_b, problem["id"])
        await post_proposal(client, cast.institute, problem["id"])
        page = (await client.get("/api/v1/notifications", params={"limit": 2}, headers=cast.sme.headers)).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (
            await client.get(
                "/api/v1/notifications", params={"limit": 2, "cursor": page["next_cursor"]}, headers=cast.sme.headers
            )
        ).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        newest = page["items"][0]["id"]
        marked = await client.post(f"/api/v1/notifications/{newest}/read", headers=cast.sme.headers)
        assert marked.status_code == 200 and marked.json()["read"] is True
        unread = await notifications_of(client, cast.sme, unread="true")
        assert len(unread) == 2 and newest not in [n["id"] for n in unread]
        read = await notifications_of(client, cast.sme, unread="false")
        assert [n["id"] for n in read] == [newest]

    async def test_unauthenticated_is_401(self, client):
        assert (await client.get("/api/v1/notifications")).status_code == 401


class TestMarkRead:
    async def test_marking_again_keeps_the_first_time(self, client, cast):
        problem = await post_problem(client, cast.sme)
        await post_proposal(client, cast.centre_a, problem["id"])
        note = (await notifications_of(client, cast.sme))[0]
        first = (await client.post(f"/api/v1/notifications/{note['id']}/read", headers=cast.sme.headers)).json()
        second = (await client.post(f"/api/v1/notifications/{note['id']}/read", headers=cast.sme.headers)).json()
        assert first["read_at"] == second["read_at"] is not None

    async def test_someone_elses_notification_is_404(self, client, cast):
        problem = await post_problem(client, cast.sme)
        await post_proposal(client, cast.centre_a, problem["id"])
        note = (await notifications_of(client, cast.sme))[0]
        response = await client.post(f"/api/v1/notifications/{note['id']}/read", headers=cast.sme_member.headers)
        assert response.status_code == 404
        assert (await notifications_of(client, cast.sme))[0]["read"] is False
        unknown = await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=cast.sme.headers)
        assert unknown.status_code == 404
