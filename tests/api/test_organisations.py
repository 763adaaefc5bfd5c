"""Organisations and members: tenant isolation, roles, validation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from models.enums import OrganisationKind, Role
from models.organisations import Membership, Organisation
from tests.factories.organisations import auth_headers, create_member, create_org, create_user, make_uscc


@pytest.fixture
async def world(db, app):
    """Two centres; centre A has institutes A1 and A2; an SME; staff in each."""
    centre_a = await create_org(db, OrganisationKind.centre, name="中心A")
    inst_a1 = await create_org(db, OrganisationKind.institute, parent=centre_a, name="研究院A1")
    inst_a2 = await create_org(db, OrganisationKind.institute, parent=centre_a, name="研究院A2")
    centre_b = await create_org(db, OrganisationKind.centre, name="中心B")
    sme = await create_org(db, OrganisationKind.sme, name="企业S")
    other_sme = await create_org(db, OrganisationKind.sme, name="企业T")
    w = {
        "centre_a": centre_a,
        "inst_a1": inst_a1,
        "inst_a2": inst_a2,
        "centre_b": centre_b,
        "sme": sme,
        "other_sme": other_sme,
    }
    for key, org, role in [
        ("hq_manager", centre_a, Role.centre_manager),
        ("hq_staff", centre_a, Role.centre_staff),
        ("a1_staff", inst_a1, Role.centre_staff),
        ("a1_manager", inst_a1, Role.centre_manager),
        ("b_manager", centre_b, Role.centre_manager),
        ("sme_admin", sme, Role.sme_admin),
        ("sme_member", sme, Role.sme_member),
        ("other_sme_admin", other_sme, Role.sme_admin),
    ]:
        user, headers = await create_member(db, app, org, role)
        w[key] = headers
        w[key + "_user"] = user
    admin = await create_user(db, app, platform_admin=True)
    w["platform_admin"] = await auth_headers(db, app, admin)
    return w


class TestVisibility:
    async def test_hq_staff_see_their_institutes(self, client, world):
        for inst in ("inst_a1", "inst_a2"):
            r = await client.get(f"/api/v1/organisations/{world[inst].id}", headers=world["hq_staff"])
            assert r.status_code == 200
        r = await client.get("/api/v1/organisations", headers=world["hq_staff"])
        names = {o["name"] for o in r.json()["items"]}
        assert names == {"中心A", "研究院A1", "研究院A2"}

    async def test_institute_staff_see_only_their_institute(self, client, world):
        r = await client.get("/api/v1/organisations", headers=world["a1_staff"])
        assert {o["name"] for o in r.json()["items"]} == {"研究院A1"}
        for hidden in ("inst_a2", "centre_a", "centre_b", "sme"):
            r = await client.get(f"/api/v1/organisations/{world[hidden].id}", headers=world["a1_staff"])
            assert r.status_code == 404, hidden
            assert r.headers["content-type"] == "application/problem+json"

    async def test_other_tenants_are_404_not_403(self, client, world):
        r = await client.get(f"/api/v1/organisations/{world['sme'].id}", headers=world["other_sme_admin"])
        assert r.status_code == 404
        r = await client.get(f"/api/v1/organisations/{world['centre_a'].id}", headers=world["b_manager"])
        assert r.status_code == 404
        # Indistinguishable from an id that does not exist.
        missing = await client.get(f"/api/v1/organisations/{uuid.uuid4()}", headers=world["b_manager"])
        assert missing.json()["title"] == r.json()["title"]

    async def test_another_tenants_members_are_404(self, client, world):
        r = await client.get(f"/api/v1/organisations/{world['sme'].id}/members", headers=world["other_sme_admin"])
        assert r.status_code == 404
        r = await client.get(f"/api/v1/organisations/{world['inst_a2'].id}/members", headers=world["a1_manager"])
        assert r.status_code == 404

    async def test_members_list_for_own_organisation(self, client, world):
        r = await client.get(f"/api/v1/organisations/{world['sme'].id}/members", headers=world["sme_member"])
        assert r.status_code == 200
        roles = sorted(m["role"] for m in r.json()["items"])
        assert roles == ["sme_admin", "sme_member"]
        assert "password" not in r.text

    async def test_platform_admin_sees_everything(self, client, world):
        r = await client.get("/api/v1/organisations?limit=100", headers=world["platform_admin"])
        assert len(r.json()["items"]) == 6

    async def test_filter_by_kind(self, client, world):
        r = await client.get("/api/v1/organisations?kind=institute", headers=world["hq_manager"])
        assert {o["name"] for o in r.json()["items"]} == {"研究院A1", "研究院A2"}


class TestCreate:
    def body(self, **overrides) -> dict:
        return {"kind": "centre", "name": "新中心", "uscc": make_uscc(), "region": "110000"} | overrides

    async def test_platform_admin_creates_a_verified_centre(self, client, world):
        r = await client.post("/api/v1/organisations", json=self.body(), headers=world["platform_admin"])
        assert r.status_code == 201, r.text
        assert r.json()["verified"] is True
        assert r.json()["centre_category"] == "comprehensive"
        assert r.headers["location"] == f"/api/v1/organisations/{r.json()['id']}"

    async def test_sme_user_on_a_centre_only_action_is_403(self, client, world):
        body = self.body(kind="institute", parent_id=str(world["centre_a"].id))
        r = await client.post("/api/v1/organisations", json=body, headers=world["sme_admin"])
        assert r.status_code == 403
        assert r.json()["type"].endswith("role-not-allowed")

    async def test_centre_manager_creates_an_institute_of_own_centre(self, client, world, db):
        body = self.body(kind="institute", parent_id=str(world["centre_a"].id), name="研究院A3")
        r = await client.post("/api/v1/organisations", json=body, headers=world["hq_manager"])
        assert r.status_code == 201, r.text
        assert r.json()["verified"] is False
        # ...and then sees it, as HQ staff see their institutes.
        r2 = await client.get(f"/api/v1/organisations/{r.json()['id']}", headers=world["hq_staff"])
        assert r2.status_code == 200

    async def test_centre_manager_cannot_create_under_another_centre(self, client, world):
        body = self.body(kind="institute", parent_id=str(world["centre_b"].id))
        r = await client.post("/api/v1/organisations", json=body, headers=world["hq_manager"])
        assert r.status_code == 403

    async def test_institute_needs_a_centre_parent(self, client, world):
        r = await client.post(
            "/api/v1/organisations", json=self.body(kind="institute"), headers=world["platform_admin"]
        )
        assert r.status_code == 422
        body = self.body(kind="institute", parent_id=str(world["sme"].id))
        r = await client.post("/api/v1/organisations", json=body, headers=world["platform_admin"])
        assert r.status_code == 422

    async def test_duplicate_credit_code_is_409(self, client, world):
        body = self.body(uscc=world["sme"].uscc)
        r = await client.post("/api/v1/organisations", json=body, headers=world["platform_admin"])
        assert r.status_code == 409

    @pytest.mark.parametrize(
        "field,value",
        [
            ("uscc", "91320594MA1MBLXK3G"),
            ("uscc", "short"),
            ("region", "12345"),
            ("kind", "bank"),
            ("timezone", "Mars/Olympus"),
        ],
    )
    async def test_invalid_fields_are_422(self, client, world, field, value):
        r = await client.post(
            "/api/v1/organisations", json=self.body(**{field: value}), headers=world["platform_admin"]
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"][:2] == ["body", field]

    async def test_unknown_fields_are_422(self, client, world):
        body = self.body(verified=True)
        r = await client.post("/api/v1/organisations", json=body, headers=world["platform_admin"])
        assert r.status_code == 422


class TestUpdate:
    async def test_admin_renames_own_organisation(self, client, world):
        r = await client.patch(
            f"/api/v1/organisations/{world['sme'].id}", json={"name": "企业S（更名）"}, headers=world["sme_admin"]
        )
        assert r.status_code == 200
        assert r.json()["name"] == "企业S（更名）"

    async def test_member_without_admin_role_is_403(self, client, world):
        r = await client.patch(
            f"/api/v1/organisations/{world['sme'].id}", json={"name": "x"}, headers=world["sme_member"]
        )
        assert r.status_code == 403

    async def test_only_platform_admin_verifies(self, client, world, db):
        url = f"/api/v1/organisations/{world['sme'].id}"
        async with db.session_scope() as s:
            (await s.get(Organisation, world["sme"].id)).verified = False
        r = await client.patch(url, json={"verified": True}, headers=world["sme_admin"])
        assert r.status_code == 403
        async with db.session_scope() as s:
            assert (await s.get(Organisation, world["sme"].id)).verified is False
        r = await client.patch(url, json={"verified": True}, headers=world["platform_admin"])
        assert r.status_code == 200 and r.json()["verified"] is True

    async def test_mass_assignment_of_kind_is_422(self, client, world):
        r = await client.patch(
            f"/api/v1/organisations/{world['sme'].id}", json={"kind": "centre"}, headers=world["sme_admin"]
        )
        assert r.status_code == 422

    async def test_other_tenant_update_is_404(self, client, world):
        r = await client.patch(
            f"/api/v1/organisations/{world['sme'].id}", json={"name": "x"}, headers=world["other_sme_admin"]
        )
        assert r.status_code == 404

    async def test_null_name_is_422(self, client, world):
        r = await client.patch(
            f"/api/v1/organisations/{world['sme'].id}", json={"name": None}, headers=world["sme_admin"]
        )
        assert r.status_code == 422


class TestMembers:
    async def test_admin_adds_a_new_person(self, client, world, app):
        body = {
            "email": "new.colleague@example.com",
            "role": "sme_member",
            "full_name": "新同事",
            "initial_password": "initial-password-1",
        }
        r = await client.post(f"/api/v1/organisations/{world['sme'].id}/members", json=body, headers=world["sme_admin"])
        assert r.status_code == 202, r.text
        token = await client.post(
            "/api/v1/auth/token", data={"username": "new.colleague@example.com", "password": "initial-password-1"}
        )
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        accepted = await client.post(f"/api/v1/me/invitations/{r.json()['id']}/accept", headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["role"] == "sme_member"

    async def test_role_must_suit_the_organisation_kind(self, client, world):
        body = {"email": world["hq_staff_user"].email, "role": "centre_staff"}
        r = await client.post(f"/api/v1/organisations/{world['sme'].id}/members", json=body, headers=world["sme_admin"])
        assert r.status_code == 422

    async def test_existing_user_joins_a_second_organisation_by_accepting(self, client, world):
        body = {"email": world["other_sme_admin_user"].email, "role": "sme_member"}
        r = await client.post(f"/api/v1/organisations/{world['sme'].id}/members", json=body, headers=world["sme_admin"])
        assert r.status_code == 202
        accepted = await client.post(
            f"/api/v1/me/invitations/{r.json()['id']}/accept", headers=world["other_sme_admin"]
        )
        assert accepted.status_code == 200
        again = await client.post(
            f"/api/v1/organisations/{world['sme'].id}/members", json=body, headers=world["sme_admin"]
        )
        assert again.status_code == 202
        twice = await client.post(
            f"/api/v1/me/invitations/{again.json()['id']}/accept", headers=world["other_sme_admin"]
        )
        assert twice.status_code == 409

    async def test_non_admin_cannot_add(self, client, world):
        body = {"email": "x@example.com", "role": "sme_member", "full_name": "x", "initial_password": "initial-pass-2"}
        r = await client.post(
            f"/api/v1/organisations/{world['sme'].id}/members", json=body, headers=world["sme_member"]
        )
        assert r.status_code == 403

    async def test_hq_manager_administers_institute_members(self, client, world):
        body = {
            "email": "inst.staff@example.com",
            "role": "centre_staff",
            "full_name": "研究员",
            "initial_password": "initial-pass-3",
        }
        r = await client.post(
            f"/api/v1/organisations/{world['inst_a2'].id}/members", json=body, headers=world["hq_manager"]
        )
        assert r.status_code == 202

    async def test_remove_member(self, client, world, db):
        user_id = world["sme_member_user"].id
        r = await client.delete(
            f"/api/v1/organisations/{world['sme'].id}/members/{user_id}", headers=world["sme_admin"]
        )
        assert r.status_code == 204
        async with db.session_scope() as s:
            left = await s.scalar(select(Membership).where(Membership.user_id == user_id))
        assert left is None

    async def test_last_admin_cannot_be_removed(self, client, world):
        user_id = world["sme_admin_user"].id
        r = await client.delete(
            f"/api/v1/organisations/{world['sme'].id}/members/{user_id}", headers=world["sme_admin"]
        )
        assert r.status_code == 409
        assert r.json()["type"].endswith("last-admin")

    async def test_removing_from_another_tenant_is_404(self, client, world):
        user_id = world["sme_member_user"].id
        r = await client.delete(
            f"/api/v1/organisations/{world['sme'].id}/members/{user_id}", headers=world["other_sme_admin"]
        )
        assert r.status_code == 404
