"""Membership needs consent (issue 12 item 3): adding an e-mail creates an invitation the account
accepts at /me/invitations; until then the organisation learns nothing about the account."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from models.enums import OrganisationKind, Role
from models.organisations import Membership
from tests.factories.http import is_problem
from tests.factories.organisations import build

API = "/api/v1"


async def world(db, app):
    async with build(db, app) as b:
        sme = b.org(OrganisationKind.sme)
        other = b.org(OrganisationKind.sme)
        admin = b.headers(b.user((sme, Role.sme_admin)))
        invitee = b.user((other, Role.sme_admin), email=f"invitee-{uuid.uuid4().hex[:6]}@example.com")
        invitee_headers = b.headers(invitee)
        stranger = b.headers(b.user((other, Role.sme_member)))
    return sme, admin, invitee, invitee_headers, stranger


async def invite(client, sme, admin, email: str, role: str = "sme_member"):
    return await client.post(
        f"{API}/organisations/{sme.id}/members", json={"email": email, "role": role}, headers=admin
    )


class TestAddingAnExistingAccount:
    async def test_answers_as_for_a_free_e_mail_and_shows_nothing_of_the_account(self, client, db, app):
        sme, admin, invitee, _, _ = await world(db, app)
        taken = await invite(client, sme, admin, invitee.email)
        free = await invite(client, sme, admin, "nobody-has-this@example.com")
        assert taken.status_code == free.status_code == 202
        assert (
            set(taken.json()) == set(free.json()) == {"id", "organisation_id", "email", "role", "status", "created_at"}
        )
        assert taken.json()["status"] == free.json()["status"] == "pending"
        assert invitee.full_name not in taken.text and str(invitee.id) not in taken.text
        members = await client.get(f"{API}/organisations/{sme.id}/members", headers=admin)
        assert invitee.email not in members.text  # no membership before consent
        async with db.session_scope() as s:
            assert (
                await s.scalar(
                    select(Membership).where(Membership.user_id == invitee.id, Membership.organisation_id == sme.id)
                )
                is None
            )
        pending = await client.get(f"{API}/organisations/{sme.id}/invitations", headers=admin)
        assert {i["email"] for i in pending.json()["items"]} == {invitee.email, "nobody-has-this@example.com"}

    async def test_inviting_again_while_pending_is_the_same_invitation(self, client, db, app):
        sme, admin, invitee, _, _ = await world(db, app)
        first = await invite(client, sme, admin, invitee.email)
        again = await invite(client, sme, admin, invitee.email.upper(), role="sme_admin")
        assert again.json()["id"] == first.json()["id"] and again.json()["role"] == "sme_admin"


class TestAnsweringAnInvitation:
    async def test_the_account_sees_and_accepts_it(self, client, db, app):
        sme, admin, invitee, headers, _ = await world(db, app)
        invitation = (await invite(client, sme, admin, invitee.email)).json()
        mine = await client.get(f"{API}/me/invitations", headers=headers)
        assert mine.status_code == 200
        assert [(i["id"], i["organisation_id"], i["role"]) for i in mine.json()["items"]] == [
            (invitation["id"], str(sme.id), "sme_member")
        ]
        accepted = await client.post(f"{API}/me/invitations/{invitation['id']}/accept", headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["organisation_id"] == str(sme.id)
        members = await client.get(f"{API}/organisations/{sme.id}/members", headers=admin)
        assert invitee.email in {m["email"] for m in members.json()["items"]}
        assert (await client.get(f"{API}/me/invitations", headers=headers)).json()["items"] == []
        again = await client.post(f"{API}/me/invitations/{invitation['id']}/accept", headers=headers)
        assert again.status_code == 409

    async def test_declining_leaves_no_membership(self, client, db, app):
        sme, admin, invitee, headers, _ = await world(db, app)
        invitation = (await invite(client, sme, admin, invitee.email)).json()
        declined = await client.post(f"{API}/me/invitations/{invitation['id']}/decline", headers=headers)
        assert declined.status_code == 204
        async with db.session_scope() as s:
            assert (
                await s.scalar(
                    select(Membership).where(Membership.user_id == invitee.id, Membership.organisation_id == sme.id)
                )
                is None
            )
        assert (
            await client.post(f"{API}/me/invitations/{invitation['id']}/accept", headers=headers)
        ).status_code == 409
        assert (await invite(client, sme, admin, invitee.email)).json()["id"] != invitation["id"]

    async def test_nobody_else_can_answer_it(self, client, db, app):
        sme, admin, invitee, _, stranger = await world(db, app)
        invitation = (await invite(client, sme, admin, invitee.email)).json()
        for action in ("accept", "decline"):
            response = await client.post(f"{API}/me/invitations/{invitation['id']}/{action}", headers=stranger)
            assert response.status_code == 404
            response = await client.post(f"{API}/me/invitations/{invitation['id']}/{action}", headers=admin)
            assert response.status_code == 404
        assert (await client.get(f"{API}/me/invitations", headers=stranger)).json()["items"] == []

    async def test_only_administrators_invite_and_see_invitations(self, client, db, app):
        sme, _, invitee, _, _ = await world(db, app)
        async with build(db, app) as b:
            member = b.headers(b.user((sme, Role.sme_member)))
        assert (await invite(client, sme, member, invitee.email)).status_code == 403
        assert (await client.get(f"{API}/organisations/{sme.id}/invitations", headers=member)).status_code == 403


class TestWithdrawingAnInvitation:
    async def withdraw(self, client, sme, headers, invitation_id):
        return await client.post(f"{API}/organisations/{sme.id}/invitations/{invitation_id}/withdraw", headers=headers)

    async def test_the_invitee_can_then_neither_see_nor_answer_it(self, client, db, app):
        sme, admin, invitee, invitee_headers, _ = await world(db, app)
        invitation = (await invite(client, sme, admin, invitee.email)).json()
        withdrawn = await self.withdraw(client, sme, admin, invitation["id"])
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["status"] == "withdrawn"
        mine = await client.get(f"{API}/me/invitations", headers=invitee_headers)
        assert mine.json()["items"] == []
        pending = await client.get(f"{API}/organisations/{sme.id}/invitations", headers=admin)
        assert pending.json()["items"] == []
        for answer in ("accept", "decline"):
            r = await client.post(f"{API}/me/invitations/{invitation['id']}/{answer}", headers=invitee_headers)
            assert is_problem(r, 409), r.text
            assert r.json()["type"] == "urn:ttm:problem:invitation-answered"
            assert "withdrawn" in r.json()["detail"]
        async with db.session_scope() as s:
            assert (
                await s.scalar(
                    select(Membership).where(Membership.user_id == invitee.id, Membership.organisation_id == sme.id)
                )
                is None
            )

    async def test_withdrawing_twice_or_an_answered_one_is_a_conflict(self, client, db, app):
        sme, admin, invitee, invitee_headers, _ = await world(db, app)
        first = (await invite(client, sme, admin, "someone-else@example.com")).json()
        assert (await self.withdraw(client, sme, admin, first["id"])).status_code == 200
        twice = await self.withdraw(client, sme, admin, first["id"])
        assert is_problem(twice, 409) and "already withdrawn" in twice.json()["detail"]
        answered = (await invite(client, sme, admin, invitee.email)).json()
        accepted = await client.post(f"{API}/me/invitations/{answered['id']}/accept", headers=invitee_headers)
        assert accepted.status_code == 200, accepted.text
        late = await self.withdraw(client, sme, admin, answered["id"])
        assert is_problem(late, 409) and "already accepted" in late.json()["detail"]

    async def test_the_same_e_mail_can_be_invited_again_after_a_withdrawal(self, client, db, app):
        sme, admin, invitee, invitee_headers, _ = await world(db, app)
        first = (await invite(client, sme, admin, invitee.email)).json()
        await self.withdraw(client, sme, admin, first["id"])
        again = (await invite(client, sme, admin, invitee.email)).json()
        assert again["id"] != first["id"] and again["status"] == "pending"
        accepted = await client.post(f"{API}/me/invitations/{again['id']}/accept", headers=invitee_headers)
        assert accepted.status_code == 200, accepted.text

    async def test_only_the_organisations_administrators_withdraw_and_others_do_not_see_it(self, client, db, app):
        sme, admin, invitee, invitee_headers, stranger = await world(db, app)
        async with build(db, app) as b:
            member = b.headers(b.user((sme, Role.sme_member)))
        invitation = (await invite(client, sme, admin, invitee.email)).json()
        assert is_problem(await self.withdraw(client, sme, member, invitation["id"]), 403)
        assert is_problem(await self.withdraw(client, sme, stranger, invitation["id"]), 404)
        assert is_problem(await self.withdraw(client, sme, invitee_headers, invitation["id"]), 404)
        # An invitation id under another organisation's path is not found, even for an administrator.
        async with build(db, app) as b:
            other = b.org(OrganisationKind.sme)
            other_admin = b.headers(b.user((other, Role.sme_admin)))
        assert is_problem(await self.withdraw(client, other, other_admin, invitation["id"]), 404)
        mine = await client.get(f"{API}/me/invitations", headers=invitee_headers)
        assert [i["id"] for i in mine.json()["items"]] == [invitation["id"]]
