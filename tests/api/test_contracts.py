"""Contracts: creation from each source, IP terms, signing, the document, amendments, milestones,
termination, events and visibility."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from models.contracts import CentrePolicy, ContractAmountOwed
from models.enums import Role
from models.notifications import Notification
from tests.factories.catalogue import pilot_body
from tests.factories.contracts import (
    ContractCast,
    active_contract,
    contract_body,
    ip_terms_body,
    licence,
    make_contract_cast,
    post_contract,
    put_terms,
    sign,
    sign_all,
)
from tests.factories.organisations import create_member
from tests.factories.problems import post_problem, post_proposal

RECORD = re.compile(r"<!--signature-record-->.*?<!--/signature-record-->", re.S)


@pytest.fixture
async def cast(db, app, client) -> ContractCast:
    return await make_contract_cast(db, app, client)


@pytest.fixture
async def draft(client, cast) -> dict:
    return await post_contract(client, cast.provider_staff, contract_body(cast))


def canonical_sha256(document: str) -> str:
    stripped = RECORD.sub("<!--signature-record--><!--/signature-record-->", document)
    return hashlib.sha256(stripped.encode("utf-8")).hexdigest()


class TestCreateContract:
    async def test_centre_staff_draft_a_contract_directly(self, client, cast):
        response = await client.post("/api/v1/contracts", json=contract_body(cast), headers=cast.provider_staff.headers)
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/api/v1/contracts/{body['id']}"
        assert (body["status"], body["source"], body["version"], body["effective_version"]) == (
            "draft",
            "direct",
            1,
            None,
        )
        assert {(p["organisation_id"], p["role"]) for p in body["parties"]} == {
            (str(cast.provider_staff.org.id), "provider"),
            (str(cast.client_signer.org.id), "client"),
            (str(cast.co_builder.id), "co_builder"),
        }
        assert body["technology_portion"] == {"amount": 60_000_000, "currency": "CNY"}
        assert [m["status"] for m in body["milestones"]] == ["pending", "pending"]

    async def test_a_new_draft_carries_the_statutory_team_reward(self, client, cast, draft):
        assert draft["ip_terms"]["team_reward_bps"] == 5000
        assert draft["ip_terms"]["team_reward_source"] == "statutory_default"

    async def test_from_a_pilot_result_for_a_licence(self, client, cast):
        body = contract_body(cast, contract_type="licence", pilot_result_id=cast.pilot_result["id"], co_builders=False)
        contract = await post_contract(client, cast.provider_staff, body)
        assert (contract["source"], contract["pilot_result_id"]) == ("pilot_result", cast.pilot_result["id"])
        background = contract["ip_terms"]["background_ip"]
        assert background[0]["patent_numbers"] == ["ZL202310123456.6"]
        assert background[0]["organisation_id"] == str(cast.provider_staff.org.id)

    async def test_a_pilot_result_only_for_a_transfer_or_licence(self, client, cast):
        body = contract_body(cast, contract_type="development", pilot_result_id=cast.pilot_result["id"])
        response = await client.post("/api/v1/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "contract_type"]

    async def test_only_the_providers_own_result(self, client, cast):
        body = contract_body(cast, contract_type="transfer", pilot_result_id=cast.pilot_result["id"])
        response = await client.post("/api/v1/contracts", json=body, headers=cast.outsider.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "pilot_result_id"]

    async def test_from_an_accepted_proposal(self, client, cast):
        problem = await post_problem(client, cast.client_signer)
        proposal = await post_proposal(client, cast.provider_staff, problem["id"])
        accepted = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.client_signer.headers)
        assert accepted.status_code == 201
        contract = accepted.json()
        assert (contract["source"], contract["proposal_id"]) == ("proposal", proposal["id"])
        assert sorted(p["role"] for p in contract["parties"]) == ["client", "provider"]
        versions = await client.get(f"/api/v1/contracts/{contract['id']}/versions", headers=cast.client_signer.headers)
        assert [v["number"] for v in versions.json()["items"]] == [1]

    async def test_smes_may_not_create_contracts(self, client, cast):
        response = await client.post("/api/v1/contracts", json=contract_body(cast), headers=cast.client_signer.headers)
        assert response.status_code == 403

    async def test_the_client_must_be_an_sme(self, client, cast):
        body = contract_body(cast, client_org_id=str(cast.co_builder.id), co_builders=False)
        response = await client.post("/api/v1/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "client_org_id"]

    async def test_milestones_may_not_exceed_the_value(self, client, cast):
        body = contract_body(cast, value={"amount": 10_000_000, "currency": "CNY"}, technology_portion=None)
        response = await client.post("/api/v1/contracts", json=body, headers=cast.provider_staff.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "milestones"]

    async def test_a_retry_with_the_same_idempotency_key_returns_the_first_contract(self, client, cast):
        headers = {**cast.provider_staff.headers, "Idempotency-Key": "contract-create-0001"}
        first = await client.post("/api/v1/contracts", json=contract_body(cast), headers=headers)
        again = await client.post("/api/v1/contracts", json=contract_body(cast), headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"


class TestIpTerms:
    async def test_the_provider_sets_shares_licences_and_publication_rights(self, client, cast, draft):
        body = ip_terms_body(cast, licences=[licence(cast, kind="non_exclusive")])
        response = await put_terms(client, cast.provider_staff, draft["id"], body)
        assert response.status_code == 200, response.text
        terms = response.json()["ip_terms"]
        assert [s["bps"] for s in terms["new_ip_ownership"]] == [6000, 4000]
        assert [s["bps"] for s in terms["revenue_shares"]] == [7000, 3000]
        assert terms["licences"][0]["kind"] == "non_exclusive"
        assert terms["publication_rights"] == "经各方书面同意后方可发表。"

    async def test_the_team_reward_defaults_to_article_45(self, client, cast, draft):
        response = await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        terms = response.json()["ip_terms"]
        assert (terms["team_reward_bps"], terms["team_reward_source"]) == (5000, "statutory_default")

    async def test_the_team_reward_defaults_to_the_centres_policy(self, client, db, cast, draft):
        async with db.session_scope() as session:
            session.add(CentrePolicy(organisation_id=cast.provider_staff.org.id, team_reward_bps=7000))
        response = await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        terms = response.json()["ip_terms"]
        assert (terms["team_reward_bps"], terms["team_reward_source"]) == (7000, "centre_policy")

    async def test_an_institute_inherits_its_centres_policy(self, client, db, cast):
        async with db.session_scope() as session:
            session.add(CentrePolicy(organisation_id=cast.provider_staff.org.id, team_reward_bps=6500))
        body = contract_body(cast, provider_org_id=str(cast.institute.id))
        contract = await post_contract(client, cast.provider_signer, body)
        assert (contract["ip_terms"]["team_reward_bps"], contract["ip_terms"]["team_reward_source"]) == (
            6500,
            "centre_policy",
        )

    async def test_an_agreed_team_reward_overrides_the_default(self, client, cast, draft):
        response = await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast, team_reward_bps=8000))
        terms = response.json()["ip_terms"]
        assert (terms["team_reward_bps"], terms["team_reward_source"]) == (8000, "agreement")

    @pytest.mark.parametrize("second", [3999, 4001])
    async def test_ownership_shares_must_sum_to_exactly_10000(self, client, cast, draft, second):
        body = ip_terms_body(cast)
        body["new_ip_ownership"][1]["bps"] = second
        response = await put_terms(client, cast.provider_staff, draft["id"], body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "new_ip_ownership"]

    @pytest.mark.parametrize("second", [2999, 3001])
    async def test_revenue_shares_must_sum_to_exactly_10000(self, client, cast, draft, second):
        body = ip_terms_body(cast)
        body["revenue_shares"][1]["bps"] = second
        response = await put_terms(client, cast.provider_staff, draft["id"], body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "revenue_shares"]

    async def test_a_share_for_a_non_party_is_refused(self, client, cast, draft):
        body = ip_terms_body(cast)
        body["revenue_shares"][1]["organisation_id"] = str(cast.outsider.org.id)
        response = await put_terms(client, cast.provider_staff, draft["id"], body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "revenue_shares", 1, "organisation_id"]

    async def test_a_licence_to_a_non_party_is_refused(self, client, cast, draft):
        body = ip_terms_body(cast, licences=[licence(cast, licensee_org_id=str(cast.outsider.org.id))])
        response = await put_terms(client, cast.provider_staff, draft["id"], body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "licences", 0, "licensee_org_id"]

    @pytest.mark.parametrize("where", ["background_ip", "licences"])
    async def test_another_centres_draft_result_answers_as_an_unknown_id(self, client, cast, draft, where):
        """A referenced pilot result is looked up through the catalogue's visibility for the caller,
        so naming another centre's draft tells nothing about whether it exists."""
        created = await client.post("/api/v1/pilot-results", json=pilot_body(), headers=cast.outsider.headers)
        assert created.status_code == 201, created.text

        def naming(result_id: str) -> dict:
            if where == "licences":
                return ip_terms_body(cast, licences=[licence(cast, pilot_result_id=result_id)])
            provider = str(cast.provider_staff.org.id)
            return ip_terms_body(cast, background_ip=[{"organisation_id": provider, "pilot_result_id": result_id}])

        unknown = await put_terms(client, cast.provider_staff, draft["id"], naming(str(uuid.uuid4())))
        hidden = await put_terms(client, cast.provider_staff, draft["id"], naming(created.json()["id"]))
        assert unknown.status_code == hidden.status_code == 422
        assert unknown.json()["errors"][0]["loc"] == ["body", where, 0, "pilot_result_id"]
        assert {**hidden.json(), "request_id": None} == {**unknown.json(), "request_id": None}

    async def test_the_client_may_not_set_ip_terms(self, client, cast, draft):
        response = await put_terms(client, cast.client_signer, draft["id"], ip_terms_body(cast))
        assert response.status_code == 403
        after = await client.get(f"/api/v1/contracts/{draft['id']}", headers=cast.provider_staff.headers)
        assert after.json()["ip_terms"] == draft["ip_terms"]
        assert draft["ip_terms"]["new_ip_ownership_basis"] == "cooperative_development"


class TestDefaultTerms:
    """A new draft carries the Civil Code's ownership of new IP for its type and all revenue to the
    provider, so what the parties sign is complete; incomplete terms cannot be signed."""

    @pytest.mark.parametrize(
        ("contract_type", "co_builders", "owners", "basis"),
        [
            ("development", False, ["provider"], "commissioned_development"),
            ("development", True, ["provider", "co_builder"], "cooperative_development"),
            ("service", False, ["provider"], "services_and_consulting"),
            ("consulting", True, ["provider"], "services_and_consulting"),
            ("transfer", False, ["client"], "transfer_grant"),
            ("licence", False, ["provider"], "licence_grant"),
        ],
    )
    async def test_a_draft_gets_the_civil_code_default_for_its_type(
        self, client, cast, contract_type, co_builders, owners, basis
    ):
        body = contract_body(cast, contract_type=contract_type, co_builders=co_builders)
        contract = await post_contract(client, cast.provider_staff, body)
        ids = {
            "provider": str(cast.provider_staff.org.id),
            "client": str(cast.client_signer.org.id),
            "co_builder": str(cast.co_builder.id),
        }
        terms = contract["ip_terms"]
        expected = [{"organisation_id": ids[o], "bps": 10000 // len(owners)} for o in owners]
        assert (terms["new_ip_ownership"], terms["new_ip_ownership_basis"]) == (expected, basis)
        assert terms["revenue_shares"] == [{"organisation_id": ids["provider"], "bps": 10000}]
        assert terms["revenue_shares_basis"] == "provider_default"

    async def test_the_document_shows_the_default_shares_and_their_article(self, client, cast):
        contract = await post_contract(client, cast.provider_staff, contract_body(cast, co_builders=False))
        response = await client.get(f"/api/v1/contracts/{contract['id']}/document", headers=cast.provider_staff.headers)
        ownership = response.text.split("Ownership of new IP")[1].split("Licence grants")[0]
        assert cast.provider_staff.org.name in ownership and "100.00%" in ownership
        assert "第八百五十九条" in ownership and "art. 859" in ownership
        revenue = response.text.split("Revenue shares")[1].split("Research team reward")[0]
        assert cast.provider_staff.org.name in revenue and "100.00%" in revenue
        assert "all income to the provider" in revenue

    async def test_a_draft_with_its_defaults_can_be_signed_into_force(self, client, cast, draft):
        active = await sign_all(client, cast, draft)
        assert sum(s["bps"] for s in active["ip_terms"]["new_ip_ownership"]) == 10000

    async def test_default_shares_follow_the_parties_while_drafting(self, client, cast, draft):
        response = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"co_builder_org_ids": []}, headers=cast.provider_staff.headers
        )
        terms = response.json()["ip_terms"]
        provider = str(cast.provider_staff.org.id)
        assert terms["new_ip_ownership"] == [{"organisation_id": provider, "bps": 10000}]
        assert terms["new_ip_ownership_basis"] == "commissioned_development"

    async def test_agreed_terms_are_marked_agreed(self, client, cast, draft):
        response = await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        terms = response.json()["ip_terms"]
        assert (terms["new_ip_ownership_basis"], terms["revenue_shares_basis"]) == ("agreement", "agreement")

    async def test_signing_incomplete_terms_is_409_naming_the_term(self, client, cast, draft):
        await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        emptied = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"co_builder_org_ids": []}, headers=cast.provider_staff.headers
        )
        assert emptied.json()["ip_terms"]["new_ip_ownership"] == []
        response = await sign(client, cast.client_signer, draft["id"])
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:ttm:problem:ip-terms-incomplete"
        assert problem["term"] == "new_ip_ownership" and "new_ip_ownership" in problem["detail"]
        contract = await client.get(f"/api/v1/contracts/{draft['id']}", headers=cast.provider_staff.headers)
        assert contract.json()["status"] == "draft"

    async def test_revenue_shares_are_checked_too(self, client, cast, draft):
        provider = str(cast.provider_staff.org.id)
        terms = ip_terms_body(cast, new_ip_ownership=[{"organisation_id": provider, "bps": 10000}])
        await put_terms(client, cast.provider_staff, draft["id"], terms)
        await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"co_builder_org_ids": []}, headers=cast.provider_staff.headers
        )
        response = await sign(client, cast.provider_signer, draft["id"])
        assert response.status_code == 409
        assert response.json()["term"] == "revenue_shares"


class TestExclusiveLicenceConflict:
    async def _licence_contract(self, client, cast, grant: dict) -> dict:
        body = contract_body(cast, contract_type="licence", pilot_result_id=cast.pilot_result["id"], co_builders=False)
        contract = await post_contract(client, cast.provider_staff, body)
        provider = str(cast.provider_staff.org.id)
        terms = ip_terms_body(
            cast,
            background_ip=[],
            new_ip_ownership=[{"organisation_id": provider, "bps": 10000}],
            revenue_shares=[{"organisation_id": provider, "bps": 10000}],
            licences=[grant],
        )
        return contract | {"terms": terms}

    async def test_an_overlapping_exclusive_licence_of_an_active_contract_is_409(self, client, cast):
        first = await self._licence_contract(client, cast, licence(cast))
        signed = await put_terms(client, cast.provider_staff, first["id"], first["terms"])
        await sign_all(client, cast, signed.json())
        second = await self._licence_contract(client, cast, licence(cast, territory="全国", starts_on="2031-06-01"))
        response = await put_terms(client, cast.provider_staff, second["id"], second["terms"])
        assert response.status_code == 409
        assert response.json()["type"].endswith("exclusive-licence-conflict")
        assert response.json()["contract_id"] == first["id"]

    async def test_a_different_field_of_use_does_not_conflict(self, client, cast):
        first = await self._licence_contract(client, cast, licence(cast))
        await sign_all(client, cast, (await put_terms(client, cast.provider_staff, first["id"], first["terms"])).json())
        second = await self._licence_contract(client, cast, licence(cast, field_of_use="储能电站"))
        response = await put_terms(client, cast.provider_staff, second["id"], second["terms"])
        assert response.status_code == 200

    async def test_adjacent_terms_do_not_overlap(self, client, cast):
        first = await self._licence_contract(client, cast, licence(cast))
        await sign_all(client, cast, (await put_terms(client, cast.provider_staff, first["id"], first["terms"])).json())
        second = await self._licence_contract(client, cast, licence(cast, starts_on="2032-01-01", ends_on=None))
        response = await put_terms(client, cast.provider_staff, second["id"], second["terms"])
        assert response.status_code == 200

    async def test_the_last_signature_is_refused_when_another_got_active_first(self, client, cast):
        first = await self._licence_contract(client, cast, licence(cast))
        second = await self._licence_contract(client, cast, licence(cast, field_of_use="all fields"))
        first_draft = (await put_terms(client, cast.provider_staff, first["id"], first["terms"])).json()
        second_draft = (await put_terms(client, cast.provider_staff, second["id"], second["terms"])).json()
        await sign_all(client, cast, first_draft)
        assert (await sign(client, cast.provider_signer, second_draft["id"])).status_code == 200
        response = await sign(client, cast.client_signer, second_draft["id"])
        assert response.status_code == 409
        assert response.json()["type"].endswith("exclusive-licence-conflict")
        after = await client.get(f"/api/v1/contracts/{second['id']}", headers=cast.client_signer.headers)
        assert after.json()["status"] == "signing"


class TestSign:
    async def test_every_party_signs_and_the_contract_becomes_active(self, client, db, cast, draft):
        contract = (await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))).json()
        first = await sign(client, cast.provider_signer, contract["id"])
        assert first.status_code == 200
        assert first.json()["status"] == "signing"
        second = await sign(client, cast.client_signer, contract["id"])
        assert second.json()["status"] == "signing"
        last = await sign(client, cast.co_builder_signer, contract["id"])
        body = last.json()
        assert (body["status"], body["effective_version"]) == ("active", 1)
        assert body["activated_at"] is not None
        assert [m["due_on"] for m in body["milestones"]] == ["2027-01-30", "2027-05-30"]
        signatories = {p["organisation_id"]: p["signatory_user_id"] for p in body["parties"]}
        assert signatories[str(cast.client_signer.org.id)] == str(cast.client_signer.user.id)
        versions = (
            await client.get(f"/api/v1/contracts/{draft['id']}/versions", headers=cast.client_signer.headers)
        ).json()
        (version,) = versions["items"]
        assert version["status"] == "signed"
        assert {s["organisation_id"] for s in version["signatures"]} == {p["organisation_id"] for p in body["parties"]}
        assert {s["document_sha256"] for s in version["signatures"]} == {version["document_sha256"]}
        async with db.session_scope() as session:
            kinds = set(
                (
                    await session.scalars(
                        select(Notification.kind).where(Notification.subject_id == uuid.UUID(draft["id"]))
                    )
                ).all()
            )
        assert {"contract.sign_requested", "contract.activated"} <= kinds

    async def test_the_last_two_signatures_at_once_activate_the_contract_once(self, client, cast, draft):
        assert (await sign(client, cast.provider_signer, draft["id"])).status_code == 200
        both = await asyncio.gather(
            sign(client, cast.client_signer, draft["id"]), sign(client, cast.co_builder_signer, draft["id"])
        )
        assert sorted(r.status_code for r in both) == [200, 200]
        contract = (await client.get(f"/api/v1/contracts/{draft['id']}", headers=cast.client_signer.headers)).json()
        assert contract["status"] == "active"
        events = (
            await client.get(f"/api/v1/contracts/{draft['id']}/events", headers=cast.client_signer.headers)
        ).json()
        assert [e["kind"] for e in events["items"]].count("activated") == 1

    async def test_centre_staff_without_a_manager_role_may_not_sign(self, client, cast, draft):
        response = await sign(client, cast.provider_staff, draft["id"])
        assert response.status_code == 403
        assert response.json()["type"].endswith("not-authorised-signatory")

    async def test_an_sme_member_may_not_sign(self, client, cast, draft):
        assert (await sign(client, cast.client_member, draft["id"])).status_code == 403

    async def test_signing_twice_is_409(self, client, cast, draft):
        assert (await sign(client, cast.client_signer, draft["id"])).status_code == 200
        response = await sign(client, cast.client_signer, draft["id"])
        assert response.status_code == 409
        assert response.json()["type"].endswith("already-signed")

    async def test_a_non_party_gets_404(self, client, cast, draft):
        response = await sign(client, cast.outsider, draft["id"])
        assert response.status_code == 404

    async def test_a_stale_document_hash_is_409(self, client, cast, draft):
        response = await sign(client, cast.client_signer, draft["id"], document_sha256="0" * 64)
        assert response.status_code == 409
        assert response.json()["type"].endswith("document-changed")

    async def test_the_reviewed_hash_is_accepted(self, client, cast, draft):
        versions = await client.get(f"/api/v1/contracts/{draft['id']}/versions", headers=cast.client_signer.headers)
        sha = versions.json()["items"][0]["document_sha256"]
        assert (await sign(client, cast.client_signer, draft["id"], document_sha256=sha)).status_code == 200

    async def test_an_hq_manager_signs_for_the_institute(self, client, cast):
        body = contract_body(cast, provider_org_id=str(cast.institute.id), co_builders=False)
        contract = await post_contract(client, cast.provider_signer, body)
        response = await sign(client, cast.provider_signer, contract["id"])
        assert response.status_code == 200
        versions = await client.get(
            f"/api/v1/contracts/{contract['id']}/versions", headers=cast.provider_signer.headers
        )
        assert versions.json()["items"][0]["signatures"][0]["organisation_id"] == str(cast.institute.id)

    async def test_nothing_to_sign_once_active(self, client, cast):
        contract = await active_contract(client, cast)
        response = await sign(client, cast.client_signer, contract["id"])
        assert response.status_code == 409
        assert response.json()["type"].endswith("nothing-to-sign")


class TestEditDraft:
    async def test_removing_a_co_builder_drops_its_terms_and_its_view(self, client, cast, draft):
        await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        response = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"co_builder_org_ids": []}, headers=cast.provider_staff.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert sorted(p["role"] for p in body["parties"]) == ["client", "provider"]
        assert (body["ip_terms"]["new_ip_ownership"], body["ip_terms"]["revenue_shares"]) == ([], [])
        assert [b["organisation_id"] for b in body["ip_terms"]["background_ip"]] == [str(cast.provider_staff.org.id)]
        gone = await client.get(f"/api/v1/contracts/{draft['id']}", headers=cast.co_builder_member.headers)
        assert gone.status_code == 404

    async def test_the_client_may_not_edit_the_draft(self, client, cast, draft):
        response = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"title": "改"}, headers=cast.client_signer.headers
        )
        assert response.status_code == 403

    async def test_replacing_milestones(self, client, cast, draft):
        milestones = [
            {"title": "一次性交付", "amount": {"amount": 80_000_000, "currency": "CNY"}, "due_offset_days": 90}
        ]
        response = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"milestones": milestones}, headers=cast.provider_staff.headers
        )
        assert response.status_code == 200
        assert [(m["seq"], m["title"]) for m in response.json()["milestones"]] == [(1, "一次性交付")]


class TestChangesAfterSigning:
    async def test_editing_a_draft_rewrites_its_version(self, client, cast, draft):
        url = f"/api/v1/contracts/{draft['id']}"
        before = (await client.get(f"{url}/versions", headers=cast.provider_staff.headers)).json()["items"][0]
        response = await client.patch(url, json={"title": "修订后的标题"}, headers=cast.provider_staff.headers)
        assert response.status_code == 200
        assert response.json()["title"] == "修订后的标题"
        after = (await client.get(f"{url}/versions", headers=cast.provider_staff.headers)).json()["items"][0]
        assert after["document_sha256"] != before["document_sha256"]

    async def test_a_patch_after_a_signature_is_409(self, client, cast, draft):
        await sign(client, cast.client_signer, draft["id"])
        response = await client.patch(
            f"/api/v1/contracts/{draft['id']}", json={"title": "偷偷修改"}, headers=cast.provider_staff.headers
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("contract-version-signed")

    async def test_ip_terms_after_a_signature_are_409(self, client, cast, draft):
        await sign(client, cast.provider_signer, draft["id"])
        response = await put_terms(client, cast.provider_staff, draft["id"], ip_terms_body(cast))
        assert response.status_code == 409

    async def test_changes_to_an_active_contract_are_409(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.patch(
            f"/api/v1/contracts/{contract['id']}",
            json={"value": {"amount": 1, "currency": "CNY"}},
            headers=cast.provider_staff.headers,
        )
        assert response.status_code == 409

    async def test_registration_fields_may_be_filled_in_after_signing(self, client, cast):
        contract = await active_contract(client, cast)
        url = f"/api/v1/contracts/{contract['id']}"
        before = (await client.get(f"{url}/versions", headers=cast.provider_staff.headers)).json()["items"][0]
        registration = {
            "registration_number": "2026320500001234",
            "registration_date": "2027-01-05",
            "registration_registry": "苏州市技术合同登记处",
            "vat_exempt": True,
        }
        response = await client.patch(url, json=registration, headers=cast.provider_staff.headers)
        assert response.status_code == 200
        assert response.json()["registration"] == {
            "number": "2026320500001234",
            "date": "2027-01-05",
            "registry": "苏州市技术合同登记处",
            "vat_exempt": True,
        }
        after = (await client.get(f"{url}/versions", headers=cast.provider_staff.headers)).json()["items"][0]
        assert after["document_sha256"] == before["document_sha256"]


class TestDocument:
    async def test_the_signed_hash_is_the_hash_of_the_canonical_document(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.get(f"/api/v1/contracts/{contract['id']}/document", headers=cast.client_signer.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        versions = await client.get(f"/api/v1/contracts/{contract['id']}/versions", headers=cast.client_signer.headers)
        signatures = versions.json()["items"][0]["signatures"]
        assert len(signatures) == 3
        for signature in signatures:
            assert canonical_sha256(response.text) == signature["document_sha256"]
            assert signature["document_sha256"] in response.text

    async def test_it_has_bilingual_headings_and_the_terms(self, client, cast):
        contract = await active_contract(client, cast)
        text = (
            await client.get(f"/api/v1/contracts/{contract['id']}/document", headers=cast.client_signer.headers)
        ).text
        for heading in (
            "合同 / Contract",
            "当事人 / Parties",
            "知识产权条款 / IP terms",
            "里程碑 / Milestones",
            "签署 / Signatures",
        ):
            assert heading in text
        assert "800,000.00 CNY" in text
        assert "苏州大学" in text and "60.00%" in text
        assert "电子签署记录 / Electronic signatures" in text

    async def test_user_text_is_escaped(self, client, cast):
        body = contract_body(cast, title="<script>alert(1)</script>")
        contract = await post_contract(client, cast.provider_staff, body)
        text = (
            await client.get(f"/api/v1/contracts/{contract['id']}/document", headers=cast.provider_staff.headers)
        ).text
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    async def test_the_rendering_is_deterministic(self, client, cast, draft):
        url = f"/api/v1/contracts/{draft['id']}/document"
        first = await client.get(url, headers=cast.provider_staff.headers)
        second = await client.get(url, headers=cast.client_signer.headers)
        assert first.content == second.content
        versions = await client.get(f"/api/v1/contracts/{draft['id']}/versions", headers=cast.client_signer.headers)
        assert canonical_sha256(first.text) == versions.json()["items"][0]["document_sha256"]

    async def test_an_unknown_version_is_404(self, client, cast, draft):
        response = await client.get(
            f"/api/v1/contracts/{draft['id']}/document", params={"version": 9}, headers=cast.provider_staff.headers
        )
        assert response.status_code == 404


class TestAmendments:
    async def test_a_draft_is_edited_not_amended(self, client, cast, draft):
        response = await client.post(
            f"/api/v1/contracts/{draft['id']}/amendments",
            json={"reason": "调整", "title": "新标题"},
            headers=cast.provider_signer.headers,
        )
        assert response.status_code == 409

    async def test_an_amendment_is_in_force_once_every_party_signed_it(self, client, cast):
        contract = await active_contract(client, cast)
        url = f"/api/v1/contracts/{contract['id']}"
        amendment = {
            "reason": "增加第三阶段：量产工艺验证",
            "value": {"amount": 100_000_000, "currency": "CNY"},
            "milestones": [
                {"title": "小试验证", "amount": {"amount": 30_000_000, "currency": "CNY"}, "due_offset_days": 60},
                {
                    "title": "中试放大与交付",
                    "amount": {"amount": 50_000_000, "currency": "CNY"},
                    "due_offset_days": 180,
                },
                {"title": "量产工艺验证", "amount": {"amount": 20_000_000, "currency": "CNY"}, "due_offset_days": 300},
            ],
        }
        response = await client.post(f"{url}/amendments", json=amendment, headers=cast.client_signer.headers)
        assert response.status_code == 201, response.text
        assert (response.json()["number"], response.json()["status"]) == (2, "open")
        pending = (await client.get(url, headers=cast.client_signer.headers)).json()
        assert (pending["status"], pending["value"]["amount"], pending["version"], pending["effective_version"]) == (
            "active",
            80_000_000,
            2,
            1,
        )
        for actor in (cast.provider_signer, cast.client_signer, cast.co_builder_signer):
            signed = await sign(client, actor, contract["id"])
            assert signed.status_code == 200, signed.text
        body = signed.json()
        assert (body["value"]["amount"], body["effective_version"]) == (100_000_000, 2)
        assert [m["title"] for m in body["milestones"]][-1] == "量产工艺验证"
        versions = (await client.get(f"{url}/versions", headers=cast.client_signer.headers)).json()["items"]
        assert [(v["number"], v["status"], len(v["signatures"])) for v in versions] == [
            (1, "signed", 3),
            (2, "signed", 3),
        ]
        assert versions[1]["reason"] == "增加第三阶段：量产工艺验证"
        assert versions[0]["document_sha256"] != versions[1]["document_sha256"]

    async def test_an_amendment_while_signing_supersedes_the_partly_signed_version(self, client, cast, draft):
        url = f"/api/v1/contracts/{draft['id']}"
        assert (await sign(client, cast.provider_signer, draft["id"])).status_code == 200
        response = await client.post(
            f"{url}/amendments",
            json={"reason": "委托方要求缩短保密期", "confidentiality_months": 24},
            headers=cast.client_signer.headers,
        )
        assert response.status_code == 201
        for actor in (cast.provider_signer, cast.client_signer, cast.co_builder_signer):
            signed = await sign(client, actor, draft["id"])
            assert signed.status_code == 200, signed.text
        body = signed.json()
        assert (body["status"], body["confidentiality_months"], body["effective_version"]) == ("active", 24, 2)
        versions = (await client.get(f"{url}/versions", headers=cast.client_signer.headers)).json()["items"]
        assert [(v["number"], v["status"], len(v["signatures"])) for v in versions] == [
            (1, "superseded", 1),
            (2, "signed", 3),
        ]

    async def test_a_party_may_name_again_a_result_the_terms_already_name(self, client, cast, draft):
        """The client cannot see the provider's draft result in the catalogue, but the contract shows it
        to every party: amending the terms that name it is allowed (it reveals nothing)."""
        created = await client.post("/api/v1/pilot-results", json=pilot_body(), headers=cast.provider_staff.headers)
        own_draft = created.json()["id"]
        provider = str(cast.provider_staff.org.id)
        background = [{"organisation_id": provider, "pilot_result_id": own_draft, "description": "中试工艺"}]
        terms = ip_terms_body(cast, background_ip=background)
        assert (await put_terms(client, cast.provider_staff, draft["id"], terms)).status_code == 200
        contract = await sign_all(client, cast, draft)
        terms["publication_rights"] = "保密期满后可自由发表。"
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/amendments",
            json={"reason": "放宽发表限制", "ip_terms": terms},
            headers=cast.client_signer.headers,
        )
        assert response.status_code == 201, response.text

    async def test_an_amendment_may_not_change_a_delivered_milestone(self, client, cast):
        contract = await active_contract(client, cast)
        milestone = contract["milestones"][0]
        await client.post(
            f"/api/v1/contracts/{contract['id']}/milestones/{milestone['id']}/deliver",
            json={"note": "小试报告"},
            headers=cast.provider_staff.headers,
        )
        amendment = {
            "reason": "降价",
            "milestones": [
                {"title": "小试验证", "amount": {"amount": 10_000_000, "currency": "CNY"}},
                {"title": "中试放大与交付", "amount": {"amount": 50_000_000, "currency": "CNY"}},
            ],
        }
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/amendments", json=amendment, headers=cast.client_signer.headers
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("milestone-state-conflict")

    async def test_an_amendment_that_changes_nothing_is_422(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/amendments", json={"reason": "无"}, headers=cast.client_signer.headers
        )
        assert response.status_code == 422

    async def test_a_non_party_gets_404(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/amendments",
            json={"reason": "x", "title": "y"},
            headers=cast.outsider.headers,
        )
        assert response.status_code == 404


class TestMilestones:
    def url(self, contract: dict, index: int, action: str) -> str:
        return f"/api/v1/contracts/{contract['id']}/milestones/{contract['milestones'][index]['id']}/{action}"

    async def test_deliver_then_accept_creates_the_amount_owed(self, client, db, cast):
        contract = await active_contract(client, cast)
        delivered = await client.post(
            self.url(contract, 0, "deliver"),
            json={"note": "小试报告及样品", "attachment_ids": [str(uuid.uuid4())]},
            headers=cast.provider_staff.headers,
        )
        assert delivered.status_code == 200
        assert delivered.json()["milestones"][0]["status"] == "delivered"
        accepted = await client.post(self.url(contract, 0, "accept"), headers=cast.client_member.headers)
        assert accepted.status_code == 200
        assert accepted.json()["milestones"][0]["status"] == "accepted"
        assert accepted.json()["status"] == "active"
        async with db.session_scope() as session:
            owed = (await session.scalars(select(ContractAmountOwed))).all()
        assert [(o.amount, o.currency, o.income_kind.value) for o in owed] == [(30_000_000, "CNY", "contract_rd")]
        assert str(owed[0].milestone_id) == contract["milestones"][0]["id"]

    async def test_the_accepted_milestone_shows_what_it_made_owed(self, client, cast, clock):
        contract = await active_contract(client, cast)
        assert contract["milestones"][0]["owed"] is None
        staff = cast.provider_staff.headers
        await client.post(self.url(contract, 0, "deliver"), json={"note": "小试报告"}, headers=staff)
        clock.set(clock.now)  # stopped: acceptance and what it makes owed carry the same moment
        accepted = await client.post(self.url(contract, 0, "accept"), headers=cast.client_member.headers)
        first, second = accepted.json()["milestones"]
        assert first["owed"]["amount"] == {"amount": 30_000_000, "currency": "CNY"}
        assert first["owed"]["owed_at"] == first["accepted_at"]
        assert second["owed"] is None
        again = await client.get(f"/api/v1/contracts/{contract['id']}", headers=cast.client_signer.headers)
        assert again.json()["milestones"][0]["owed"] == first["owed"]

    async def test_all_accepted_completes_the_contract(self, client, cast):
        contract = await active_contract(client, cast)
        for i in (0, 1):
            await client.post(
                self.url(contract, i, "deliver"), json={"note": "交付"}, headers=cast.provider_staff.headers
            )
            response = await client.post(self.url(contract, i, "accept"), headers=cast.client_signer.headers)
        assert response.json()["status"] == "completed"
        assert response.json()["completed_at"] is not None

    async def test_reject_sends_it_back_to_in_progress(self, client, cast):
        contract = await active_contract(client, cast)
        await client.post(self.url(contract, 0, "deliver"), json={"note": "交付"}, headers=cast.provider_staff.headers)
        rejected = await client.post(
            self.url(contract, 0, "reject"), json={"reason": "循环数据不足"}, headers=cast.client_signer.headers
        )
        assert rejected.status_code == 200
        milestone = rejected.json()["milestones"][0]
        assert (milestone["status"], milestone["rejection_reason"]) == ("in_progress", "循环数据不足")
        again = await client.post(
            self.url(contract, 0, "deliver"), json={"note": "补充数据"}, headers=cast.provider_staff.headers
        )
        assert again.json()["milestones"][0]["status"] == "delivered"

    async def test_only_the_client_accepts(self, client, cast):
        contract = await active_contract(client, cast)
        await client.post(self.url(contract, 0, "deliver"), json={"note": "交付"}, headers=cast.provider_staff.headers)
        response = await client.post(self.url(contract, 0, "accept"), headers=cast.provider_signer.headers)
        assert response.status_code == 403

    async def test_only_the_provider_delivers(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.post(
            self.url(contract, 0, "deliver"), json={"note": "x"}, headers=cast.client_signer.headers
        )
        assert response.status_code == 403

    async def test_accepting_an_undelivered_milestone_is_409(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.post(self.url(contract, 0, "accept"), headers=cast.client_signer.headers)
        assert response.status_code == 409

    async def test_a_draft_contracts_milestones_cannot_be_delivered(self, client, cast, draft):
        response = await client.post(
            self.url(draft, 0, "deliver"), json={"note": "x"}, headers=cast.provider_staff.headers
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("contract-not-active")


class TestTerminate:
    async def test_accepted_milestones_stay_owed_and_the_rest_are_cancelled(self, client, db, cast):
        contract = await active_contract(client, cast)
        base = f"/api/v1/contracts/{contract['id']}"
        first = contract["milestones"][0]["id"]
        await client.post(
            f"{base}/milestones/{first}/deliver", json={"note": "交付"}, headers=cast.provider_staff.headers
        )
        await client.post(f"{base}/milestones/{first}/accept", headers=cast.client_signer.headers)
        response = await client.post(
            f"{base}/terminate", json={"reason": "项目方向调整"}, headers=cast.client_signer.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["termination_reason"]) == ("terminated", "项目方向调整")
        assert [m["status"] for m in body["milestones"]] == ["accepted", "cancelled"]
        async with db.session_scope() as session:
            assert len((await session.scalars(select(ContractAmountOwed))).all()) == 1

    async def test_a_terminated_contract_cannot_be_terminated_or_signed_again(self, client, cast, draft):
        base = f"/api/v1/contracts/{draft['id']}"
        assert (
            await client.post(f"{base}/terminate", json={"reason": "取消"}, headers=cast.provider_staff.headers)
        ).status_code == 200
        again = await client.post(f"{base}/terminate", json={"reason": "取消"}, headers=cast.provider_staff.headers)
        assert again.status_code == 409
        assert (await sign(client, cast.client_signer, draft["id"])).status_code == 409

    async def test_a_member_without_authority_may_not_terminate(self, client, cast, draft):
        response = await client.post(
            f"/api/v1/contracts/{draft['id']}/terminate", json={"reason": "x"}, headers=cast.client_member.headers
        )
        assert response.status_code == 403


class TestEvents:
    async def test_every_change_is_recorded_in_order(self, client, cast):
        contract = await active_contract(client, cast)
        response = await client.get(
            f"/api/v1/contracts/{contract['id']}/events", headers=cast.co_builder_member.headers
        )
        assert response.status_code == 200
        events = response.json()["items"]
        assert [e["kind"] for e in events] == ["created", "ip_terms_set", "signed", "signed", "signed", "activated"]
        assert events[0]["actor_user_id"] == str(cast.provider_staff.user.id)
        assert events[2]["details"]["organisation_id"] == contract["parties"][0]["organisation_id"]

    async def test_events_are_paged(self, client, cast):
        contract = await active_contract(client, cast)
        url = f"/api/v1/contracts/{contract['id']}/events"
        first = (await client.get(url, params={"limit": 4}, headers=cast.client_signer.headers)).json()
        rest = (
            await client.get(url, params={"cursor": first["next_cursor"]}, headers=cast.client_signer.headers)
        ).json()
        assert len(first["items"]) == 4 and len(rest["items"]) == 2


class TestVisibility:
    async def test_every_party_sees_the_contract(self, client, cast, draft):
        for actor in (cast.provider_staff, cast.client_member, cast.co_builder_member):
            response = await client.get(f"/api/v1/contracts/{draft['id']}", headers=actor.headers)
            assert response.status_code == 200
        listed = await client.get("/api/v1/contracts", headers=cast.co_builder_member.headers)
        assert [c["id"] for c in listed.json()["items"]] == [draft["id"]]

    @pytest.mark.parametrize("path", ["", "/document", "/versions", "/events"])
    async def test_anyone_else_gets_404(self, client, cast, draft, path):
        for outsider in (cast.outsider, cast.base.other_sme):
            response = await client.get(f"/api/v1/contracts/{draft['id']}{path}", headers=outsider.headers)
            assert response.status_code == 404
            assert response.json()["type"].endswith("contract-not-found")

    async def test_an_evaluator_of_another_centre_sees_nothing(self, client, db, app, cast, draft):
        _, headers = await create_member(db, app, cast.outsider.org, Role.centre_manager)
        assert (await client.get("/api/v1/contracts", headers=headers)).json()["items"] == []
