"""What the caller cannot see answers 404 before any role check (issue 12 item 5)."""

from __future__ import annotations

import pytest

from models.enums import OrganisationKind, Role
from tests.factories.catalogue import offer_body
from tests.factories.http import is_problem
from tests.factories.organisations import build
from tests.factories.problems import make_cast, post_problem, proposal_body

API = "/api/v1"


@pytest.fixture
async def cast(db, app):
    return await make_cast(db, app)


async def invite_only(client, cast):
    """An invite-only problem of the SME that invites only centre A."""
    return await post_problem(
        client, cast.sme, confidentiality="invite_only", invited_organisation_ids=[str(cast.centre_a.org.id)]
    )


class TestAnInviteOnlyProblemOfAnother:
    @pytest.mark.parametrize(
        ("suffix", "body"),
        [
            ("questions", {"question": "样品的粒径分布是多少？"}),
            ("nda-acceptances", {}),
            ("proposals", proposal_body()),
        ],
    )
    async def test_an_sme_that_may_not_act_on_it_gets_404_not_403(self, client, cast, suffix, body):
        problem = await invite_only(client, cast)
        response = await client.post(
            f"{API}/problems/{problem['id']}/{suffix}", json=body, headers=cast.other_sme.headers
        )
        assert is_problem(response, 404), response.text

    @pytest.mark.parametrize("suffix", ["questions", "nda-acceptances", "proposals"])
    async def test_an_uninvited_centre_gets_404(self, client, cast, suffix):
        problem = await invite_only(client, cast)
        body = {"questions": {"question": "粒径？"}, "nda-acceptances": {}, "proposals": proposal_body()}[suffix]
        response = await client.post(
            f"{API}/problems/{problem['id']}/{suffix}", json=body, headers=cast.centre_b.headers
        )
        assert is_problem(response, 404), response.text

    async def test_a_visible_problem_still_answers_403_to_the_wrong_role(self, client, cast):
        problem = await post_problem(client, cast.sme)
        response = await client.post(
            f"{API}/problems/{problem['id']}/questions", json={"question": "粒径？"}, headers=cast.other_sme.headers
        )
        assert is_problem(response, 403), response.text


class TestAnUnpublishedOfferOfAnother:
    async def test_a_centre_requesting_a_draft_offer_it_cannot_see_gets_404(self, client, db, app, cast):
        draft = await client.post(f"{API}/service-offers", json=offer_body(), headers=cast.centre_a.headers)
        assert draft.status_code == 201, draft.text
        async with build(db, app) as b:
            _, other_centre = b.member(b.org(OrganisationKind.centre), Role.centre_staff)
        response = await client.post(
            f"{API}/service-offers/{draft.json()['id']}/requests", json={"message": "请报价"}, headers=other_centre
        )
        assert is_problem(response, 404), response.text
