"""Pilot-scale results: creation rules, validation, visibility of drafts, editing and life cycle."""

from __future__ import annotations

from models.enums import OrganisationKind, Role
from tests.factories.catalogue import create_published, make_world, pilot_body
from tests.factories.organisations import build, create_member, create_org

BASE = "/api/v1/pilot-results"


class TestCreatePilotResult:
    async def test_institute_staff_create_a_draft_owned_by_their_institute(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=pilot_body(), headers=w.institute_staff)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "draft"
        assert body["owner_org_id"] == str(w.institute.id)
        assert body["centre_id"] == str(w.centre.id)
        assert body["trl"] == 7
        assert body["asking_price"] == {"amount": 500_000_000, "currency": "CNY"}
        assert body["ip_assets"][0]["number"] == "ZL202310123456.6"
        assert response.headers["location"] == f"{BASE}/{body['id']}"

    async def test_centre_staff_may_create_for_their_institute(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=pilot_body(owner_org_id=str(w.institute.id)), headers=w.centre_staff)
        assert response.status_code == 201
        assert response.json()["owner_org_id"] == str(w.institute.id)

    async def test_staff_of_another_centre_cannot_create_for_this_one(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=pilot_body(owner_org_id=str(w.centre.id)), headers=w.other_staff)
        assert response.status_code == 403
        assert response.json()["type"] == "urn:ttm:problem:role-not-allowed"

    async def test_staff_of_two_organisations_must_say_which_owns_it(self, client, db, app):
        w = await make_world(db, app)
        async with build(db, app) as b:
            headers = b.headers(b.user((w.centre, Role.centre_staff), (w.other_centre, Role.centre_staff)))
        response = await client.post(BASE, json=pilot_body(), headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "owner_org_id"]

    async def test_an_sme_member_cannot_create_results(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=pilot_body(), headers=w.sme_member)
        assert response.status_code == 403

    async def test_anonymous_callers_must_sign_in(self, client, db, app):
        response = await client.post(BASE, json=pilot_body())
        assert response.status_code == 401

    async def test_without_an_asking_price_the_result_is_negotiable(self, client, db, app):
        w = await make_world(db, app)
        response = await client.post(BASE, json=pilot_body(asking_price=None), headers=w.institute_staff)
        assert response.status_code == 201
        assert response.json()["asking_price"] is None
        assert response.json()["price_negotiable"] is True

    async def test_patent_numbers_are_normalised(self, client, db, app):
        w = await make_world(db, app)
        assets = [{"number": "cn 2023 1012 3456.6", "status": "filed"}]
        response = await client.post(BASE, json=pilot_body(ip_assets=assets), headers=w.institute_staff)
        assert response.status_code == 201
        assert response.json()["ip_assets"][0]["number"] == "CN202310123456.6"


class TestPilotResultValidation:
    async def _post(self, client, db, app, **overrides):
        w = await make_world(db, app)
        return await client.post(BASE, json=pilot_body(**overrides), headers=w.institute_staff)

    async def test_trl_zero_is_refused(self, client, db, app):
        response = await self._post(client, db, app, trl=0)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "trl"]

    async def test_trl_ten_is_refused(self, client, db, app):
        response = await self._post(client, db, app, trl=10)
        assert response.status_code == 422

    async def test_a_wrong_patent_check_digit_is_refused(self, client, db, app):
        response = await self._post(client, db, app, ip_assets=[{"number": "CN202310123456.7", "status": "filed"}])
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["loc"][:4] == ["body", "ip_assets", 0, "number"]
        assert "check digit" in error["msg"]

    async def test_a_patent_number_without_prefix_is_refused(self, client, db, app):
        response = await self._post(client, db, app, ip_assets=[{"number": "202310123456.6", "status": "filed"}])
        assert response.status_code == 422

    async def test_a_negative_price_is_refused(self, client, db, app):
        response = await self._post(client, db, app, asking_price={"amount": -1, "currency": "CNY"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][:2] == ["body", "asking_price"]

    async def test_a_fractional_price_is_refused(self, client, db, app):
        response = await self._post(client, db, app, asking_price={"amount": 10.5, "currency": "CNY"})
        assert response.status_code == 422

    async def test_at_least_one_transfer_mode_is_needed(self, client, db, app):
        response = await self._post(client, db, app, transfer_modes=[])
        assert response.status_code == 422

    async def test_unknown_fields_are_refused(self, client, db, app):
        response = await self._post(client, db, app, status="published")
        assert response.status_code == 422


class TestGetPilotResult:
    async def test_a_draft_is_404_to_anonymous_callers(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.get(f"{BASE}/{draft['id']}")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:ttm:problem:pilot-result-not-found"

    async def test_a_draft_is_404_to_smes_and_other_centres(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}", headers=w.sme_member)).status_code == 404
        assert (await client.get(f"{BASE}/{draft['id']}", headers=w.other_staff)).status_code == 404

    async def test_a_draft_is_visible_to_the_owner_and_the_parent_centre(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        for headers in (w.institute_staff, w.centre_staff):
            response = await client.get(f"{BASE}/{draft['id']}", headers=headers)
            assert response.status_code == 200
            assert response.json()["status"] == "draft"

    async def test_a_draft_is_404_to_a_sibling_institute(self, client, db, app):
        w = await make_world(db, app)
        sibling = await create_org(db, OrganisationKind.institute, parent=w.centre)
        _, sibling_staff = await create_member(db, app, sibling, Role.centre_staff)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}", headers=sibling_staff)).status_code == 404

    async def test_a_published_result_is_readable_anonymously(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await client.get(f"{BASE}/{published['id']}")
        assert response.status_code == 200
        assert response.json()["title"] == "高能量密度锂电池正极材料中试成果"


class TestListPilotResults:
    async def test_anonymous_callers_see_only_published_results(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await client.post(BASE, json=pilot_body(title="草稿成果"), headers=w.institute_staff)
        response = await client.get(BASE)
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["items"]] == [published["id"]]

    async def test_owners_also_see_their_drafts(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await client.post(BASE, json=pilot_body(title="草稿成果"), headers=w.institute_staff)
        response = await client.get(BASE, params={"status": "draft"}, headers=w.institute_staff)
        assert [r["title"] for r in response.json()["items"]] == ["草稿成果"]


class TestUpdatePilotResult:
    async def test_the_owner_changes_a_published_result(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await client.patch(
            f"{BASE}/{published['id']}", json={"trl": 8, "asking_price": None}, headers=w.institute_staff
        )
        assert response.status_code == 200
        assert response.json()["trl"] == 8
        assert response.json()["asking_price"] is None
        assert response.json()["price_negotiable"] is True

    async def test_absent_fields_are_kept_and_null_ones_cleared(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}", json={"title_en": None, "pilot_scale": None}, headers=w.institute_staff
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["title_en"], changed["pilot_scale"]) == (None, None)
        kept = {k: v for k, v in changed.items() if k not in ("title_en", "pilot_scale", "updated_at")}
        assert kept == {k: v for k, v in draft.items() if k not in ("title_en", "pilot_scale", "updated_at")}

    async def test_staff_of_another_centre_get_403_on_a_published_result(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await client.patch(f"{BASE}/{published['id']}", json={"trl": 8}, headers=w.other_staff)
        assert response.status_code == 403

    async def test_others_get_404_on_a_draft(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.patch(f"{BASE}/{draft['id']}", json={"trl": 8}, headers=w.other_staff)
        assert response.status_code == 404

    async def test_required_fields_cannot_be_nulled(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.patch(f"{BASE}/{draft['id']}", json={"title": None}, headers=w.institute_staff)
        assert response.status_code == 422

    async def test_a_bad_patent_number_is_refused_on_edit(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.patch(
            f"{BASE}/{draft['id']}",
            json={"ip_assets": [{"number": "ZL202310123456.X", "status": "granted"}]},
            headers=w.institute_staff,
        )
        assert response.status_code == 422

    async def test_an_archived_result_cannot_be_changed(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await client.post(f"{BASE}/{published['id']}/archive", headers=w.institute_staff)
        response = await client.patch(f"{BASE}/{published['id']}", json={"trl": 8}, headers=w.institute_staff)
        assert response.status_code == 409
        assert response.json()["type"] == "urn:ttm:problem:listing-archived"


class TestPublishAndArchive:
    async def test_publishing_makes_the_result_public(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.post(f"{BASE}/{draft['id']}/publish", headers=w.institute_staff)
        assert response.status_code == 200
        assert response.json()["status"] == "published"
        assert response.json()["published_at"] is not None
        assert (await client.get(f"{BASE}/{draft['id']}")).status_code == 200

    async def test_publishing_twice_is_a_conflict(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await client.post(f"{BASE}/{published['id']}/publish", headers=w.institute_staff)
        assert response.status_code == 409

    async def test_a_draft_cannot_be_archived(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.post(f"{BASE}/{draft['id']}/archive", headers=w.institute_staff)
        assert response.status_code == 409

    async def test_an_archived_result_is_404_to_the_public_but_kept_for_the_owner(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await client.post(f"{BASE}/{published['id']}/archive", headers=w.institute_staff)
        assert response.status_code == 200
        assert response.json()["status"] == "archived"
        assert (await client.get(f"{BASE}/{published['id']}")).status_code == 404
        assert (await client.get(f"{BASE}/{published['id']}", headers=w.institute_staff)).status_code == 200

    async def test_an_archived_result_can_be_published_again(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await client.post(f"{BASE}/{published['id']}/archive", headers=w.institute_staff)
        response = await client.post(f"{BASE}/{published['id']}/publish", headers=w.institute_staff)
        assert response.status_code == 200
        assert response.json()["archived_at"] is None

    async def test_an_sme_cannot_publish(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        response = await client.post(f"{BASE}/{draft['id']}/publish", headers=w.sme_member)
        assert response.status_code == 404


class TestPlatformAdministrators:
    async def test_read_drafts_but_change_and_create_no_listing(self, client, db, app):
        """Platform administrators read every listing (drafts too, docs/catalogue.md) but act for no
        centre or institute (docs/security.md, "Roles' reach"): editing, publishing, archiving a
        listing or creating one for an institute is 403."""
        from tests.factories.catalogue import instrument_body
        from tests.factories.organisations import auth_headers, create_user

        w = await make_world(db, app)
        admin = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        draft = (await client.post(BASE, json=pilot_body(), headers=w.institute_staff)).json()
        assert (await client.get(f"{BASE}/{draft['id']}", headers=admin)).status_code == 200
        edited = await client.patch(f"{BASE}/{draft['id']}", json={"trl": 8}, headers=admin)
        assert edited.status_code == 403, edited.text
        for verb in ("publish", "archive"):
            assert (await client.post(f"{BASE}/{draft['id']}/{verb}", headers=admin)).status_code == 403, verb
        made = await client.post(
            "/api/v1/instruments", json=instrument_body(owner_org_id=str(w.institute.id)), headers=admin
        )
        assert made.status_code == 403, made.text
        mine = await client.get(f"{BASE}/{draft['id']}", headers=w.institute_staff)
        assert (mine.json()["status"], mine.json()["trl"]) == ("draft", draft["trl"])
