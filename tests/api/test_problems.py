"""Problems: posting, the three confidentiality tiers, NDA acceptances, invitations, anonymity,
expiry, closing, and clarifying questions."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from models.problems import NdaAcceptance, Problem
from tests.factories.problems import (
    accept_nda,
    let_deadline_pass,
    make_cast,
    notifications_of,
    post_problem,
    post_proposal,
    problem_body,
    proposal_body,
)

NDA_TERMS = "接收方对本难题的技术细节负有保密义务，期限三年。"


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


class TestPostProblem:
    async def test_sme_staff_post_an_open_problem(self, client, db, cast):
        body = await post_problem(client, cast.sme_member)
        assert body["status"] == "open"
        assert body["is_owner"] is True
        assert body["budget"] == {
            "min": {"amount": 50_000_000, "currency": "CNY"},
            "max": {"amount": 120_000_000, "currency": "CNY"},
        }
        assert body["sme"]["id"] == str(cast.sme.org.id)
        async with db.session_scope() as session:
            row = await session.get(Problem, uuid.UUID(body["id"]))
            assert row.sme_org_id == cast.sme.org.id and row.created_by == cast.sme_member.user.id

    async def test_centre_staff_may_not_post(self, client, cast):
        response = await client.post("/api/v1/problems", json=problem_body(), headers=cast.centre_a.headers)
        assert response.status_code == 403
        assert response.json()["type"].endswith("role-not-allowed")

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"deadline": "2020-01-01T00:00:00+08:00"}, "deadline"),
            ({"deadline": "2030-01-01T00:00:00"}, "deadline"),
            ({"confidentiality": "nda"}, "nda_terms"),
            ({"nda_terms": NDA_TERMS}, "nda_terms"),
            (
                {"budget": {"min": {"amount": 2, "currency": "CNY"}, "max": {"amount": 1, "currency": "CNY"}}},
                "budget",
            ),
            (
                {"budget": {"min": {"amount": 1.5, "currency": "CNY"}, "max": {"amount": 3, "currency": "CNY"}}},
                "budget",
            ),
            ({"invited_organisation_ids": [str(uuid.uuid4())]}, "invited_organisation_ids"),
            ({"unexpected": 1}, "unexpected"),
        ],
    )
    async def test_invalid_input_is_422(self, client, cast, overrides, field):
        response = await client.post("/api/v1/problems", json=problem_body(**overrides), headers=cast.sme.headers)
        assert response.status_code == 422, response.text
        assert any(field in [str(p) for p in e["loc"]] for e in response.json()["errors"])

    async def test_invitations_must_name_centres_or_institutes(self, client, cast):
        response = await client.post(
            "/api/v1/problems",
            json=problem_body(confidentiality="invite_only", invited_organisation_ids=[str(cast.other_sme.org.id)]),
            headers=cast.sme.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "invited_organisation_ids"]


class TestPublicTier:
    async def test_every_signed_in_user_sees_all_of_it(self, client, cast):
        problem = await post_problem(client, cast.sme)
        for viewer in (cast.other_sme, cast.centre_b):
            response = await client.get(f"/api/v1/problems/{problem['id']}", headers=viewer.headers)
            assert response.status_code == 200
            body = response.json()
            assert body["description"] == problem["description"]
            assert body["budget"] == problem["budget"]
            assert body["details_visible"] is True and body["is_owner"] is False

    async def test_anonymous_requests_are_401(self, client, cast):
        problem = await post_problem(client, cast.sme)
        assert (await client.get(f"/api/v1/problems/{problem['id']}")).status_code == 401


class TestNdaTier:
    async def test_the_sme_sees_everything(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.sme_member.headers)).json()
        assert body["description"] and body["budget"] and body["details_visible"] is True

    async def test_a_centre_that_has_not_accepted_sees_title_field_and_summary_only(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        response = await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_b.headers)
        assert response.status_code == 200
        body = response.json()
        assert (body["title"], body["technical_field"], body["summary"]) == (
            problem["title"],
            problem["technical_field"],
            problem["summary"],
        )
        assert body["nda_terms"] == NDA_TERMS
        assert body["description"] is None and body["desired_outcome"] is None and body["budget"] is None
        assert body["attachments"] == [] and body["sme"] is None
        assert body["details_visible"] is False and body["nda_accepted"] is False

    async def test_other_smes_do_not_see_it(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        response = await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.other_sme.headers)
        assert response.status_code == 404
        listed = (await client.get("/api/v1/problems", headers=cast.other_sme.headers)).json()["items"]
        assert problem["id"] not in [p["id"] for p in listed]

    async def test_accepting_the_nda_records_who_and_when_and_opens_the_details(self, client, db, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        acceptance = await accept_nda(client, cast.centre_a, problem["id"])
        assert acceptance["organisation_id"] == str(cast.centre_a.org.id)
        assert acceptance["accepted_by"] == str(cast.centre_a.user.id)
        assert datetime.fromisoformat(acceptance["accepted_at"]).tzinfo is not None
        async with db.session_scope() as session:
            rows = (await session.scalars(select(NdaAcceptance))).all()
            assert [(r.organisation_id, r.accepted_by) for r in rows] == [(cast.centre_a.org.id, cast.centre_a.user.id)]
        # A colleague at the same centre now sees the details too.
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_a2.headers)).json()
        assert body["description"] == problem["description"] and body["nda_accepted"] is True
        assert body["sme"]["id"] == str(cast.sme.org.id)
        # Another centre still does not.
        other = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_b.headers)).json()
        assert other["description"] is None

    async def test_the_sme_is_told_and_sees_the_acceptances(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        await accept_nda(client, cast.centre_a, problem["id"])
        kinds = [n["kind"] for n in await notifications_of(client, cast.sme)]
        assert kinds == ["problem.nda_accepted"]
        listed = await client.get(f"/api/v1/problems/{problem['id']}/nda-acceptances", headers=cast.sme.headers)
        assert [a["organisation_id"] for a in listed.json()["items"]] == [str(cast.centre_a.org.id)]
        theirs = await client.get(f"/api/v1/problems/{problem['id']}/nda-acceptances", headers=cast.centre_b.headers)
        assert theirs.json()["items"] == []

    async def test_accepting_twice_is_409(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        await accept_nda(client, cast.centre_a, problem["id"])
        again = await client.post(
            f"/api/v1/problems/{problem['id']}/nda-acceptances", json={}, headers=cast.centre_a2.headers
        )
        assert again.status_code == 409
        assert again.json()["type"].endswith("nda-already-accepted")

    async def test_smes_cannot_accept_an_nda(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/nda-acceptances", json={}, headers=cast.sme.headers
        )
        assert response.status_code == 403

    async def test_a_public_problem_has_no_nda(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/nda-acceptances", json={}, headers=cast.centre_a.headers
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("nda-not-applicable")

    async def test_proposals_and_questions_need_the_nda(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        proposal = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_b.headers
        )
        assert proposal.status_code == 403
        assert proposal.json()["type"].endswith("nda-required")
        question = await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "样品?"}, headers=cast.centre_b.headers
        )
        assert question.status_code == 403
        await accept_nda(client, cast.centre_b, problem["id"])
        await post_proposal(client, cast.centre_b, problem["id"])


class TestInviteOnlyTier:
    async def _problem(self, client, cast):
        return await post_problem(
            client, cast.sme, confidentiality="invite_only", invited_organisation_ids=[str(cast.centre_a.org.id)]
        )

    async def test_the_sme_sees_it_and_all_its_invitations(self, client, cast):
        problem = await self._problem(client, cast)
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.sme_member.headers)).json()
        assert body["description"] == problem["description"] and body["is_owner"] is True
        invitations = await client.get(f"/api/v1/problems/{problem['id']}/invitations", headers=cast.sme.headers)
        assert [i["organisation_id"] for i in invitations.json()["items"]] == [str(cast.centre_a.org.id)]

    async def test_an_invited_centre_sees_all_of_it(self, client, cast):
        problem = await self._problem(client, cast)
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_a.headers)).json()
        assert body["description"] == problem["description"] and body["budget"] == problem["budget"]
        listed = (await client.get("/api/v1/problems", headers=cast.centre_a.headers)).json()["items"]
        assert [p["id"] for p in listed] == [problem["id"]]

    async def test_the_invited_centre_is_notified(self, client, cast):
        problem = await self._problem(client, cast)
        notes = await notifications_of(client, cast.centre_a)
        assert [(n["kind"], n["subject_id"]) for n in notes] == [("problem.invited", problem["id"])]
        assert await notifications_of(client, cast.centre_b) == []

    async def test_the_invitation_extends_to_the_centres_institutes(self, client, cast):
        problem = await self._problem(client, cast)
        response = await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.institute.headers)
        assert response.status_code == 200
        await post_proposal(client, cast.institute, problem["id"])

    async def test_everyone_else_gets_404(self, client, cast):
        problem = await self._problem(client, cast)
        for outsider in (cast.centre_b, cast.other_sme):
            for path in ("", "/proposals", "/questions", "/nda-acceptances", "/invitations"):
                response = await client.get(f"/api/v1/problems/{problem['id']}{path}", headers=outsider.headers)
                assert response.status_code == 404, (path, response.text)
            listed = (await client.get("/api/v1/problems", headers=outsider.headers)).json()["items"]
            assert listed == []
        proposal = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_b.headers
        )
        assert proposal.status_code == 404

    async def test_a_later_invitation_opens_it(self, client, cast):
        problem = await self._problem(client, cast)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/invitations",
            json={"organisation_id": str(cast.centre_b.org.id)},
            headers=cast.sme.headers,
        )
        assert response.status_code == 201
        assert (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_b.headers)).status_code == 200
        again = await client.post(
            f"/api/v1/problems/{problem['id']}/invitations",
            json={"organisation_id": str(cast.centre_b.org.id)},
            headers=cast.sme.headers,
        )
        assert again.status_code == 409

    async def test_only_the_sme_invites(self, client, cast):
        problem = await self._problem(client, cast)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/invitations",
            json={"organisation_id": str(cast.centre_b.org.id)},
            headers=cast.centre_a.headers,
        )
        assert response.status_code == 403


class TestActingOrganisation:
    async def test_hq_staff_act_for_their_centre_unless_they_name_an_institute(self, client, cast):
        problem = await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/nda-acceptances",
            json={"organisation_id": str(cast.institute.org.id)},
            headers=cast.centre_a.headers,
        )
        assert response.status_code == 201
        assert response.json()["organisation_id"] == str(cast.institute.org.id)
        # The institute's own staff now see the details; the centre itself has not accepted.
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.institute.headers)).json()
        assert body["details_visible"] is True
        proposal = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
        )
        assert proposal.status_code == 403  # acting for the centre, which has not accepted

    async def test_naming_an_organisation_you_do_not_work_for_is_403(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/questions",
            json={"question": "Q", "organisation_id": str(cast.centre_b.org.id)},
            headers=cast.centre_a.headers,
        )
        assert response.status_code == 403


class TestAnonymity:
    async def test_an_anonymous_sme_is_hidden_until_it_accepts_then_shown_to_the_winner(self, client, cast):
        problem = await post_problem(client, cast.sme, anonymous=True)
        for viewer in (cast.centre_a, cast.centre_b, cast.other_sme):
            body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=viewer.headers)).json()
            assert body["sme"] is None and body["anonymous"] is True
        by_org = await client.get(
            "/api/v1/problems", params={"organisation_id": str(cast.sme.org.id)}, headers=cast.centre_a.headers
        )
        assert by_org.json()["items"] == []
        winner = await post_proposal(client, cast.centre_a, problem["id"])
        await post_proposal(client, cast.centre_b, problem["id"])
        accepted = await client.post(f"/api/v1/proposals/{winner['id']}/accept", headers=cast.sme.headers)
        assert accepted.status_code == 201
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_a.headers)).json()
        assert body["sme"]["id"] == str(cast.sme.org.id)
        loser = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_b.headers)).json()
        assert loser["sme"] is None

    async def test_the_sme_always_sees_itself(self, client, cast):
        problem = await post_problem(client, cast.sme, anonymous=True)
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.sme_member.headers)).json()
        assert body["sme"]["name"] == cast.sme.org.name


class TestExpiry:
    async def test_a_passed_deadline_reads_as_expired_without_any_job(self, client, db, cast):
        problem = await post_problem(client, cast.sme)
        let_deadline_pass()
        body = (await client.get(f"/api/v1/problems/{problem['id']}", headers=cast.centre_a.headers)).json()
        assert body["status"] == "expired"
        open_ids = (
            await client.get("/api/v1/problems", params={"status": "open"}, headers=cast.centre_a.headers)
        ).json()
        assert open_ids["items"] == []
        expired = (
            await client.get("/api/v1/problems", params={"status": "expired"}, headers=cast.centre_a.headers)
        ).json()
        assert [p["id"] for p in expired["items"]] == [problem["id"]]

    async def test_proposals_on_an_expired_problem_are_409(self, client, db, cast):
        problem = await post_problem(client, cast.sme)
        let_deadline_pass()
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("problem-not-open")

    async def test_an_expired_problem_cannot_be_edited_or_awarded(self, client, db, cast):
        problem = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        let_deadline_pass()
        patch = await client.patch(f"/api/v1/problems/{problem['id']}", json={"title": "新"}, headers=cast.sme.headers)
        assert patch.status_code == 409
        accept = await client.post(f"/api/v1/proposals/{proposal['id']}/accept", headers=cast.sme.headers)
        assert accept.status_code == 409


class TestUpdateProblem:
    async def test_the_sme_changes_an_open_problem(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.patch(
            f"/api/v1/problems/{problem['id']}",
            json={"title": "高镍正极高温循环衰减", "deadline": "2099-01-01T00:00:00+08:00"},
            headers=cast.sme.headers,
        )
        assert response.status_code == 200
        assert response.json()["title"] == "高镍正极高温循环衰减"
        assert response.json()["deadline"].startswith("2098-12-31T16:00:00")

    async def test_fields_not_sent_stay_as_they_are(self, client, cast):
        problem = await post_problem(client, cast.sme)
        budget = {"min": {"amount": 1_000, "currency": "USD"}, "max": {"amount": 2_000, "currency": "USD"}}
        response = await client.patch(
            f"/api/v1/problems/{problem['id']}", json={"budget": budget}, headers=cast.sme.headers
        )
        assert response.status_code == 200, response.text
        after = response.json()
        assert after["budget"] == budget
        unchanged = ("title", "summary", "description", "desired_outcome", "technical_field", "deadline", "attachments")
        assert {k: after[k] for k in unchanged} == {k: problem[k] for k in unchanged}

    async def test_the_desired_outcome_may_be_cleared_but_required_fields_not(self, client, cast):
        problem = await post_problem(client, cast.sme)
        cleared = await client.patch(
            f"/api/v1/problems/{problem['id']}", json={"desired_outcome": None}, headers=cast.sme.headers
        )
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["desired_outcome"] is None and cleared.json()["title"] == problem["title"]
        for name in ("title", "deadline", "budget", "attachments"):
            response = await client.patch(
                f"/api/v1/problems/{problem['id']}", json={name: None}, headers=cast.sme.headers
            )
            assert response.status_code == 422, name

    async def test_a_new_deadline_must_be_in_the_future(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.patch(
            f"/api/v1/problems/{problem['id']}",
            json={"deadline": "2020-01-01T00:00:00+08:00"},
            headers=cast.sme.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "deadline"]

    async def test_the_tier_cannot_change(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.patch(
            f"/api/v1/problems/{problem['id']}", json={"confidentiality": "nda"}, headers=cast.sme.headers
        )
        assert response.status_code == 422

    async def test_centres_may_not_change_it(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.patch(
            f"/api/v1/problems/{problem['id']}", json={"title": "x"}, headers=cast.centre_a.headers
        )
        assert response.status_code == 403


class TestCloseProblem:
    async def test_closing_declines_pending_proposals_and_tells_their_authors(self, client, cast):
        problem = await post_problem(client, cast.sme)
        proposal = await post_proposal(client, cast.centre_a, problem["id"])
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/close", json={"reason": "已自行解决"}, headers=cast.sme.headers
        )
        assert response.status_code == 200
        assert response.json()["status"] == "closed"
        mine = (await client.get(f"/api/v1/proposals/{proposal['id']}", headers=cast.centre_a.headers)).json()
        assert mine["status"] == "declined"
        assert [n["kind"] for n in await notifications_of(client, cast.centre_a2)] == ["proposal.declined"]

    async def test_proposals_on_a_closed_problem_are_409(self, client, cast):
        problem = await post_problem(client, cast.sme)
        await client.post(f"/api/v1/problems/{problem['id']}/close", headers=cast.sme.headers)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/proposals", json=proposal_body(), headers=cast.centre_a.headers
        )
        assert response.status_code == 409
        again = await client.post(f"/api/v1/problems/{problem['id']}/close", headers=cast.sme.headers)
        assert again.status_code == 409


class TestQuestions:
    async def test_a_centre_asks_and_the_sme_is_notified(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/questions",
            json={"question": "现有样品的镍含量是多少？"},
            headers=cast.centre_a.headers,
        )
        assert response.status_code == 201
        assert response.json()["asker_org_id"] == str(cast.centre_a.org.id)
        notes = await notifications_of(client, cast.sme_member)
        assert [(n["kind"], n["subject_id"]) for n in notes] == [("question.asked", problem["id"])]

    async def test_unanswered_questions_stay_between_asker_and_sme(self, client, cast):
        problem = await post_problem(client, cast.sme)
        await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "Q1"}, headers=cast.centre_a.headers
        )
        others = await client.get(f"/api/v1/problems/{problem['id']}/questions", headers=cast.centre_b.headers)
        assert others.json()["items"] == []
        colleague = await client.get(f"/api/v1/problems/{problem['id']}/questions", headers=cast.centre_a2.headers)
        assert [q["question"] for q in colleague.json()["items"]] == ["Q1"]
        sme = await client.get(f"/api/v1/problems/{problem['id']}/questions", headers=cast.sme.headers)
        assert sme.json()["items"][0]["asker_org_id"] == str(cast.centre_a.org.id)

    async def test_answers_reach_every_centre_without_the_askers_identity(self, client, cast):
        problem = await post_problem(client, cast.sme)
        asked = await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "Q1"}, headers=cast.centre_a.headers
        )
        qid = asked.json()["id"]
        answer = await client.post(
            f"/api/v1/problems/{problem['id']}/questions/{qid}/answer",
            json={"answer": "镍含量约 80%"},
            headers=cast.sme_member.headers,
        )
        assert answer.status_code == 200 and answer.json()["answer"] == "镍含量约 80%"
        seen = (await client.get(f"/api/v1/problems/{problem['id']}/questions", headers=cast.centre_b.headers)).json()
        assert [(q["question"], q["answer"], q["asker_org_id"], q["asked_by"]) for q in seen["items"]] == [
            ("Q1", "镍含量约 80%", None, None)
        ]
        notes = await notifications_of(client, cast.centre_a)
        assert [n["kind"] for n in notes] == ["question.answered"]

    async def test_a_question_is_answered_once_and_only_by_the_sme(self, client, cast):
        problem = await post_problem(client, cast.sme)
        asked = await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "Q1"}, headers=cast.centre_a.headers
        )
        path = f"/api/v1/problems/{problem['id']}/questions/{asked.json()['id']}/answer"
        assert (await client.post(path, json={"answer": "A"}, headers=cast.centre_a.headers)).status_code == 403
        assert (await client.post(path, json={"answer": "A"}, headers=cast.sme.headers)).status_code == 200
        again = await client.post(path, json={"answer": "B"}, headers=cast.sme.headers)
        assert again.status_code == 409

    async def test_another_centres_unanswered_question_is_404(self, client, cast):
        problem = await post_problem(client, cast.sme)
        asked = await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "Q1"}, headers=cast.centre_a.headers
        )
        path = f"/api/v1/problems/{problem['id']}/questions/{asked.json()['id']}/answer"
        assert (await client.post(path, json={"answer": "A"}, headers=cast.centre_b.headers)).status_code == 404

    async def test_smes_cannot_ask(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"/api/v1/problems/{problem['id']}/questions", json={"question": "Q"}, headers=cast.other_sme.headers
        )
        assert response.status_code == 403


class TestListProblems:
    async def test_filters_and_pages(self, client, cast):
        first = await post_problem(client, cast.sme, technical_field="new_energy")
        second = await post_problem(client, cast.sme, technical_field="electronic_information")
        await post_problem(client, cast.sme, confidentiality="nda", nda_terms=NDA_TERMS)
        page = (await client.get("/api/v1/problems", params={"limit": 2}, headers=cast.centre_a.headers)).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (
            await client.get(
                "/api/v1/problems", params={"limit": 2, "cursor": page["next_cursor"]}, headers=cast.centre_a.headers
            )
        ).json()
        assert [p["id"] for p in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
        field = (
            await client.get(
                "/api/v1/problems", params={"technical_field": "electronic_information"}, headers=cast.centre_a.headers
            )
        ).json()
        assert [p["id"] for p in field["items"]] == [second["id"]]
        public = (
            await client.get("/api/v1/problems", params={"confidentiality": "nda"}, headers=cast.other_sme.headers)
        ).json()
        assert public["items"] == []
        await post_proposal(client, cast.centre_a, second["id"])
        in_review = (
            await client.get("/api/v1/problems", params={"status": "in_review"}, headers=cast.sme.headers)
        ).json()
        assert [p["id"] for p in in_review["items"]] == [second["id"]]
