"""The authorisation matrix (issue 12 item 7): one table, endpoint x caller x relation -> status.

`MATRIX` has a row for every operation of the API (a check fails when a route has none, or a
row names no route). Every row says what an anonymous caller gets; every operation open to a
signed-in caller also has a `subject` (tests/factories/matrix.py) and says, for every member of
the world (every `Role` in every organisation kind), the platform administrator, the subject's
creator (`own`) and anonymous, the status in that caller's relation to the subject (`same`
organisation, its `parent` centre, its `child` institute, the other party: `client`, `partner`,
`invited`, `issuer`; `other` tenants of every kind) -- and the test asks each of them (a check
fails when a signed-in operation has no subject). docs/security.md says how to add a row.

A caller expected to succeed asks a subject built for it alone (a state change never leaks to the
next caller); denied callers share one subject, whose read (`probe`) must be unchanged afterwards.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from models.enums import Role
from tests.factories.bookings import NOW
from tests.factories.matrix import API, SUBJECTS, Ctx, Subject, make_world

ANYONE = "*"


@dataclass(frozen=True)
class Row:
    """What one operation answers. `anonymous`: the status without a token (on unknown ids and an
    empty body for operations with a path id or a body). `subject`: a builder in
    tests/factories/matrix.py (path ids, body, related organisations); with it, `expect` maps a
    caller to a status, the most specific key first: `role@organisation` (a world name, e.g.
    `finance@centre2`), `role@relation`, `relation`, `role`, then `*` (required). Relations: own,
    same, parent, child, client, partner, invited, issuer, other, admin; `anonymous` for the call
    without a token on the subject (default: `anonymous`).
    `independent`: why a signed-in operation's answer does not depend on the caller (instead of a
    subject). `lists`: for a list, the subject's path id whose item it lists; `sees` says (keys as
    in `expect`) which callers answered 200 find that item in `items`."""

    anonymous: int = 401
    subject: str | None = None
    expect: dict[str, int] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    independent: str | None = None
    lists: str | None = None
    sees: dict[str, bool] = field(default_factory=dict)


PUBLIC_READ = Row(anonymous=200)
PUBLIC_GET = Row(anonymous=404)  # a public read of one thing: an unknown id is 404

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/catalogue/search"): PUBLIC_READ,
    ("GET", "/api/v1/pilot-results"): PUBLIC_READ,
    ("POST", "/api/v1/pilot-results"): Row(
        subject="new_pilot_result",
        expect={"centre_manager@other": 201, "centre_staff@other": 201, "admin": 403, ANYONE: 403},
    ),
    ("GET", "/api/v1/pilot-results/{result_id}"): Row(
        anonymous=404,
        subject="draft_pilot_result",
        expect={
            "own": 200,
            "centre_staff@same": 200,
            "centre_manager@same": 200,
            "centre_staff@parent": 200,
            "centre_manager@parent": 200,
            "admin": 200,
            ANYONE: 404,  # evaluators, finance and every other tenant: a draft does not exist for them
        },
    ),
    ("PATCH", "/api/v1/pilot-results/{result_id}"): Row(
        subject="draft_pilot_result",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/pilot-results/{result_id}/publish"): Row(
        subject="draft_pilot_result",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/pilot-results/{result_id}/archive"): Row(
        subject="published_pilot_result",
        expect={
            "parent": 200,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 403,
            "admin": 403,
            "own": 200,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/catalogue/listings/{listing_id}/attachments"): Row(
        anonymous=404,
        subject="attachment",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/catalogue/listings/{listing_id}/attachments"): Row(
        subject="attachment_upload",
        expect={
            "parent": 201,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 201,
            "evaluator@same": 404,
            "admin": 403,
            "own": 201,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/catalogue/attachments/{attachment_id}"): Row(
        anonymous=404,
        subject="attachment",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("DELETE", "/api/v1/catalogue/attachments/{attachment_id}"): Row(
        subject="attachment",
        expect={
            "parent": 204,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 204,
            "evaluator@same": 404,
            "admin": 403,
            "own": 204,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/auth/register"): Row(anonymous=422),
    ("POST", "/api/v1/auth/token"): Row(anonymous=422),
    ("POST", "/api/v1/auth/refresh"): Row(anonymous=422),
    ("POST", "/api/v1/auth/logout"): Row(
        subject="logout",
        expect={ANYONE: 401},
    ),
    ("GET", "/api/v1/me"): Row(
        subject="nobody",
        expect={ANYONE: 200},
    ),
    ("POST", "/api/v1/me/password"): Row(
        subject="password_change",
        expect={ANYONE: 204},
    ),
    ("POST", "/api/v1/users/{user_id}/disable"): Row(
        subject="account",
        expect={"admin": 204, ANYONE: 403},
    ),
    ("POST", "/api/v1/users/{user_id}/enable"): Row(
        subject="disabled_account",
        expect={"admin": 204, ANYONE: 403},
    ),
    ("GET", "/api/v1/me/invitations"): Row(
        subject="my_invitation",
        lists="invitation_id",
        expect={ANYONE: 200},
        sees={"own": True, ANYONE: False},
    ),
    ("POST", "/api/v1/me/invitations/{invitation_id}/accept"): Row(
        subject="my_invitation",
        expect={"own": 200, ANYONE: 404},
    ),
    ("POST", "/api/v1/me/invitations/{invitation_id}/decline"): Row(
        subject="my_invitation",
        expect={"own": 204, ANYONE: 404},
    ),
    ("GET", "/api/v1/organisations"): Row(
        subject="institute",
        lists="organisation_id",
        expect={ANYONE: 200},
        sees={"parent": True, "same": True, "admin": True, ANYONE: False},
    ),
    ("POST", "/api/v1/organisations"): Row(
        subject="new_centre",
        expect={"admin": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/organisations/{organisation_id}"): Row(
        subject="institute",
        expect={"parent": 200, "same": 200, "admin": 200, ANYONE: 404},
    ),
    ("PATCH", "/api/v1/organisations/{organisation_id}"): Row(
        subject="institute",
        body={"description": "改写简介"},
        expect={
            "centre_manager@same": 200,
            "centre_manager@parent": 200,
            "admin": 200,
            "same": 403,
            "parent": 403,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/organisations/{organisation_id}/members"): Row(
        subject="institute",
        expect={"same": 200, "parent": 200, "admin": 200, ANYONE: 404},
    ),
    ("POST", "/api/v1/organisations/{organisation_id}/members"): Row(
        subject="institute_invitation",
        expect={
            "parent": 403,
            "centre_manager@parent": 202,
            "same": 403,
            "centre_manager@same": 202,
            "admin": 202,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/organisations/{organisation_id}/invitations"): Row(
        subject="institute",
        expect={
            "centre_manager@same": 200,
            "centre_manager@parent": 200,
            "admin": 200,
            "same": 403,
            "parent": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/organisations/{organisation_id}/invitations/{invitation_id}/withdraw"): Row(
        subject="pending_invitation",
        expect={
            "centre_manager@same": 200,
            "centre_manager@parent": 200,  # an HQ manager administers its institutes
            "admin": 200,
            "same": 403,
            "parent": 403,
            ANYONE: 404,
        },
    ),
    ("DELETE", "/api/v1/organisations/{organisation_id}/members/{user_id}"): Row(
        subject="institute_member",
        expect={
            "parent": 403,
            "centre_manager@parent": 204,
            "same": 403,
            "centre_manager@same": 204,
            "admin": 204,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/organisations/{centre_id}/sme-memberships"): Row(
        subject="grant",
        lists="grant_id",
        expect={ANYONE: 200},
        sees={
            "same": True,
            "evaluator@same": False,
            "finance@same": False,
            "client": True,
            "evaluator@client": False,
            "admin": True,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/organisations/{centre_id}/sme-memberships"): Row(
        subject="sme_grant",
        expect={"same": 201, "evaluator@same": 403, "finance@same": 403, "admin": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/instruments"): PUBLIC_READ,
    ("POST", "/api/v1/instruments"): Row(
        subject="new_instrument",
        expect={
            "parent": 201,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 201,
            "evaluator@same": 403,
            "admin": 403,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}"): Row(
        anonymous=404,
        subject="draft_instrument",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("PATCH", "/api/v1/instruments/{instrument_id}"): Row(
        subject="draft_instrument",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/publish"): Row(
        subject="draft_instrument",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/archive"): Row(
        subject="published_instrument",
        expect={
            "parent": 200,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 403,
            "admin": 403,
            "own": 200,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}/blackouts"): Row(
        anonymous=404,
        subject="blackout",
        expect={"anonymous": 200, ANYONE: 200},  # a published instrument's blackouts are public
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/blackouts"): Row(
        subject="blackout",
        expect={
            "parent": 201,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 201,
            "evaluator@same": 403,
            "admin": 403,
            "own": 201,
            ANYONE: 403,
        },
    ),
    ("DELETE", "/api/v1/instruments/{instrument_id}/blackouts/{blackout_id}"): Row(
        subject="blackout",
        expect={
            "parent": 204,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 204,
            "evaluator@same": 403,
            "admin": 403,
            "own": 204,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}/availability"): Row(anonymous=422),
    ("GET", "/api/v1/service-offers"): PUBLIC_READ,
    ("POST", "/api/v1/service-offers"): Row(
        subject="new_offer",
        expect={"centre_manager@other": 201, "centre_staff@other": 201, "admin": 403, ANYONE: 403},
    ),
    ("GET", "/api/v1/service-offers/{offer_id}"): Row(
        anonymous=404,
        subject="draft_offer",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("PATCH", "/api/v1/service-offers/{offer_id}"): Row(
        subject="draft_offer",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-offers/{offer_id}/publish"): Row(
        subject="draft_offer",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-offers/{offer_id}/archive"): Row(
        subject="published_offer",
        expect={
            "parent": 200,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 403,
            "admin": 403,
            "own": 200,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/problems"): Row(
        subject="invite_only_problem",
        lists="problem_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "finance@parent": False,
            "invited": True,
            "evaluator@invited": False,
            "same": True,
            "evaluator@same": False,
            "admin": True,
            "own": True,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/problems"): Row(
        subject="new_problem",
        expect={"sme_admin@other": 201, "sme_member@other": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/problems/{problem_id}"): Row(
        subject="invite_only_problem",
        expect={
            "own": 200,
            "sme_admin@same": 200,
            "sme_member@same": 200,
            "centre_staff@invited": 200,
            "centre_manager@invited": 200,
            "centre_staff@parent": 200,  # HQ staff act for the invited institute
            "centre_manager@parent": 200,
            "admin": 200,
            ANYONE: 404,  # evaluators, finance, uninvited tenants
        },
    ),
    ("PATCH", "/api/v1/problems/{problem_id}"): Row(
        subject="problem_edit",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 403,
            "evaluator@invited": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/problems/{problem_id}/close"): Row(
        subject="problem_close",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 403,
            "evaluator@invited": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/problems/{problem_id}/invitations"): Row(
        subject="invite_only_problem",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 200,
            "evaluator@invited": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/problems/{problem_id}/invitations"): Row(
        subject="problem_invite",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 403,
            "evaluator@invited": 404,
            "same": 201,
            "evaluator@same": 404,
            "admin": 403,
            "own": 201,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/problems/{problem_id}/nda-acceptances"): Row(
        subject="nda_accepted",
        lists="acceptance_id",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 200,
            "evaluator@invited": 404,
            "centre_manager@other": 200,
            "centre_staff@other": 200,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
        sees={"other": False, ANYONE: True},
    ),
    ("POST", "/api/v1/problems/{problem_id}/nda-acceptances"): Row(
        subject="nda_problem",
        expect={
            "centre_manager@other": 201,
            "centre_staff@other": 201,
            "same": 403,
            "evaluator@same": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/problems/{problem_id}/questions"): Row(
        subject="question_asked",
        lists="question_id",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 200,
            "evaluator@invited": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
        sees={ANYONE: True},
    ),
    ("POST", "/api/v1/problems/{problem_id}/questions"): Row(
        subject="invite_only_problem",
        body={"question": "样品的粒径分布是多少？"},
        expect={
            "centre_staff@invited": 201,
            "centre_manager@invited": 201,
            "centre_staff@parent": 201,  # HQ staff act for the invited institute
            "centre_manager@parent": 201,
            "own": 403,
            "sme_admin@same": 403,
            "sme_member@same": 403,
            "admin": 403,
            ANYONE: 404,  # who cannot see the problem: 404 before any role check (item 5)
        },
    ),
    ("POST", "/api/v1/problems/{problem_id}/questions/{question_id}/answer"): Row(
        subject="question",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 403,
            "evaluator@invited": 404,
            "same": 200,
            "evaluator@same": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/problems/{problem_id}/proposals"): Row(
        subject="problem_with_proposal",
        lists="proposal_id",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
        sees={ANYONE: True},
    ),
    ("POST", "/api/v1/problems/{problem_id}/proposals"): Row(
        subject="problem_proposal_new",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "invited": 201,
            "evaluator@invited": 404,
            "same": 403,
            "evaluator@same": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/proposals/{proposal_id}"): Row(
        subject="proposal",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/proposals/{proposal_id}/revisions"): Row(
        subject="proposal",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/revisions"): Row(
        subject="proposal",
        expect={
            "parent": 201,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 201,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "admin": 403,
            "own": 201,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/withdraw"): Row(
        subject="proposal",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/accept"): Row(
        subject="proposal",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 201,
            "evaluator@client": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/bookings"): Row(
        subject="new_booking",
        expect={"sme_admin@other": 201, "sme_member@other": 201, ANYONE: 422},
    ),
    ("GET", "/api/v1/bookings"): Row(
        subject="booking",
        lists="booking_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "same": True,
            "evaluator@same": False,
            "client": True,
            "evaluator@client": False,
            "own": True,
            ANYONE: False,
        },
    ),
    ("GET", "/api/v1/bookings/{booking_id}"): Row(
        subject="booking",
        expect={
            "own": 200,
            "centre_staff@same": 200,
            "centre_manager@same": 200,
            "centre_staff@parent": 200,
            "centre_manager@parent": 200,
            "finance@parent": 200,
            "sme_admin@client": 200,
            "sme_member@client": 200,
            ANYONE: 404,  # evaluators, other tenants; platform admins do not read bookings
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id}/confirm"): Row(
        subject="requested_booking",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id}/reject"): Row(
        subject="requested_booking_reject",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): Row(
        subject="booking_cancel",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id}/complete"): Row(
        subject="booking_done",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id}/no-show"): Row(
        subject="booking_no_show",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}/trainings"): Row(
        subject="training",
        lists="training_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "finance@parent": False,
            "same": True,
            "evaluator@same": False,
            "sme_member@client": True,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/trainings"): Row(
        subject="instrument_training",
        expect={
            "parent": 201,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 201,
            "evaluator@same": 403,
            "admin": 403,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}/waitlist"): Row(
        subject="waitlist_entry",
        lists="entry_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "finance@parent": False,
            "same": True,
            "evaluator@same": False,
            "client": True,
            "evaluator@client": False,
            "own": True,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/waitlist"): Row(
        subject="instrument_waitlist",
        expect={"sme_admin@other": 201, "sme_member@other": 201, ANYONE: 422},
    ),
    ("DELETE", "/api/v1/instruments/{instrument_id}/waitlist/{entry_id}"): Row(
        subject="waitlist_entry",
        expect={
            "parent": 204,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 204,
            "evaluator@same": 404,
            "client": 204,
            "evaluator@client": 404,
            "own": 204,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/calendar-link"): Row(
        subject="instrument_calendar",
        expect={
            "parent": 200,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 403,
            "admin": 403,
            ANYONE: 403,
        },
    ),
    ("DELETE", "/api/v1/instruments/{instrument_id}/calendar-link"): Row(
        subject="instrument_calendar",
        expect={
            "parent": 404,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 404,
            "evaluator@same": 403,
            "admin": 403,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/instruments/{instrument_id}/calendar.ics"): PUBLIC_GET,
    ("POST", "/api/v1/organisations/{organisation_id}/booking-feed"): Row(
        subject="sme",
        expect={"sme_member@same": 200, "sme_admin@same": 200, "same": 403, "admin": 403, ANYONE: 404},
    ),
    ("DELETE", "/api/v1/organisations/{organisation_id}/booking-feed"): Row(
        subject="sme_feed",
        expect={"same": 204, "evaluator@same": 403, "admin": 403, ANYONE: 404},
    ),
    ("GET", "/api/v1/organisations/{organisation_id}/bookings.ics"): PUBLIC_GET,
    ("GET", "/api/v1/contracts"): Row(
        subject="contract",
        lists="contract_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "same": True,
            "evaluator@same": False,
            "client": True,
            "evaluator@client": False,
            "partner": True,
            "evaluator@partner": False,
            "admin": True,
            "own": True,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/contracts"): Row(
        subject="new_contract",
        expect={
            "parent": 201,
            "evaluator@parent": 403,
            "finance@parent": 403,
            "same": 201,
            "evaluator@same": 403,
            ANYONE: 403,
        },
    ),
    ("GET", "/api/v1/contracts/{contract_id}"): Row(
        subject="contract",
        expect={
            "own": 200,
            "centre_staff@same": 200,
            "centre_manager@same": 200,
            "centre_staff@parent": 200,
            "centre_manager@parent": 200,
            "finance@parent": 200,
            "sme_admin@client": 200,
            "sme_member@client": 200,
            "partner_admin@partner": 200,  # the co-builder is a party
            "partner_member@partner": 200,
            "admin": 200,
            ANYONE: 404,  # evaluators of any party, other tenants
        },
    ),
    ("PATCH", "/api/v1/contracts/{contract_id}"): Row(
        subject="contract",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "partner": 403,
            "evaluator@partner": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("PUT", "/api/v1/contracts/{contract_id}/ip-terms"): Row(
        subject="contract_terms",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "partner": 403,
            "evaluator@partner": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/sign"): Row(
        subject="contract_to_sign",
        expect={
            "parent": 403,
            "centre_manager@parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "centre_staff@same": 403,
            "evaluator@same": 404,
            "sme_admin@client": 200,
            "sme_member@client": 403,
            "partner_admin@partner": 200,
            "partner_member@partner": 403,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/amendments"): Row(
        subject="contract_amendment",
        expect={
            "parent": 201,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 201,
            "evaluator@same": 404,
            "sme_admin@client": 201,
            "sme_member@client": 403,
            "partner_admin@partner": 201,
            "partner_member@partner": 403,
            "admin": 403,
            "own": 201,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/contracts/{contract_id}/versions"): Row(
        subject="contract",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "partner": 200,
            "evaluator@partner": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/contracts/{contract_id}/document"): Row(
        subject="contract",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "partner": 200,
            "evaluator@partner": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/contracts/{contract_id}/events"): Row(
        subject="contract",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "partner": 200,
            "evaluator@partner": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/deliver"): Row(
        subject="milestone_to_deliver",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "partner": 403,
            "evaluator@partner": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/accept"): Row(
        subject="delivered_milestone",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "partner": 403,
            "evaluator@partner": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/reject"): Row(
        subject="delivered_milestone_reject",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "partner": 403,
            "evaluator@partner": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/contracts/{contract_id}/terminate"): Row(
        subject="active_contract",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 403,
            "same": 200,
            "evaluator@same": 404,
            "sme_admin@client": 200,
            "sme_member@client": 403,
            "partner_admin@partner": 200,
            "partner_member@partner": 403,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-offers/{offer_id}/requests"): Row(
        subject="offer_request",
        expect={"sme_admin@other": 201, "sme_member@other": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/service-requests"): Row(
        subject="service_request",
        lists="request_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "finance@parent": False,
            "same": True,
            "evaluator@same": False,
            "client": True,
            "evaluator@client": False,
            "admin": True,
            "own": True,
            ANYONE: False,
        },
    ),
    ("GET", "/api/v1/service-requests/{request_id}"): Row(
        subject="service_request",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-requests/{request_id}/accept"): Row(
        subject="fixed_price_request",
        expect={
            "parent": 201,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 201,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-requests/{request_id}/decline"): Row(
        subject="service_request_decline",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-requests/{request_id}/withdraw"): Row(
        subject="service_request",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 403,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/service-requests/{request_id}/proposals"): Row(
        subject="service_request",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            "admin": 200,
            "own": 200,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/service-requests/{request_id}/proposals"): Row(
        subject="service_request_quote",
        expect={
            "parent": 201,
            "evaluator@parent": 404,
            "finance@parent": 404,
            "same": 201,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            "admin": 403,
            "own": 403,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/notifications"): Row(
        subject="notification",
        lists="notification_id",
        expect={ANYONE: 200},
        sees={"centre_staff@same": True, "own": True, ANYONE: False},
    ),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Row(
        subject="notification",
        expect={"centre_staff@same": 200, "own": 200, ANYONE: 404},
    ),
    ("GET", "/api/v1/settlements"): Row(
        subject="settlement",
        lists="settlement_id",
        expect={ANYONE: 200},
        sees={
            "parent": True,
            "evaluator@parent": False,
            "same": True,
            "evaluator@same": False,
            "client": True,
            "evaluator@client": False,
            ANYONE: False,
        },
    ),
    ("GET", "/api/v1/settlements/{settlement_id}"): Row(
        subject="settlement",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/settlements/{settlement_id}/payments"): Row(
        subject="settlement",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/settlements/{settlement_id}/offline-payments"): Row(
        subject="settlement_pay",
        expect={
            "finance@parent": 201,
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/settlements/{settlement_id}/write-off"): Row(
        subject="settlement_write_off",
        expect={
            "finance@parent": 200,
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/settlements/{settlement_id}/payment-intents"): Row(
        subject="settlement",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 201,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/payments/{payment_id}/refunds"): Row(
        subject="payment",
        # Who sees the payment's settlement but is not the centre's finance: 403 (item 5's rule)
        expect={
            "finance@parent": 201,
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 403,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/webhooks/stripe"): Row(anonymous=400),
    ("GET", "/api/v1/ledger/accounts"): Row(
        subject="ledger_account",
        lists="account_id",
        expect={
            "centre_manager@same": 200,
            "finance@same": 200,
            "centre_staff@same": 403,
            "centre_manager@centre2": 200,
            "finance@centre2": 200,
            "centre_staff@centre2": 403,
            ANYONE: 404,
        },
        sees={"same": True, ANYONE: False},
    ),
    ("GET", "/api/v1/ledger/accounts/{account_id}"): Row(
        subject="ledger_account",
        expect={"same": 200, "centre_staff@same": 404, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/ledger/trial-balance"): Row(
        subject="centre_books",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/ledger/entries"): Row(
        subject="ledger_entry",
        lists="entry_id",
        expect={
            "centre_manager@same": 200,
            "finance@same": 200,
            "centre_staff@same": 403,
            "centre_manager@centre2": 200,
            "finance@centre2": 200,
            "centre_staff@centre2": 403,
            ANYONE: 404,
        },
        sees={"same": True, ANYONE: False},
    ),
    ("POST", "/api/v1/ledger/entries"): Row(
        subject="new_entry",
        expect={"same": 403, "evaluator@same": 404, "finance@same": 201, ANYONE: 404},
    ),
    ("GET", "/api/v1/ledger/entries/{entry_id}"): Row(
        subject="ledger_entry",
        expect={"same": 200, "centre_staff@same": 404, "evaluator@same": 404, ANYONE: 404},
    ),
    ("POST", "/api/v1/ledger/entries/{entry_id}/reverse"): Row(
        subject="ledger_entry",
        expect={"centre_manager@same": 403, "finance@same": 201, ANYONE: 404},
    ),
    ("POST", "/api/v1/ledger/periods/{period}/close"): Row(
        subject="period",
        expect={"same": 403, "evaluator@same": 404, "finance@same": 200, ANYONE: 404},
    ),
    ("POST", "/api/v1/ledger/periods/{period}/reopen"): Row(
        subject="closed_period",
        expect={"same": 403, "centre_manager@same": 200, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/ledger/bank-accounts"): Row(
        subject="centre_bank_account",
        lists="bank_account_id",
        expect={
            "centre_manager@same": 200,
            "finance@same": 200,
            "centre_staff@same": 403,
            "centre_manager@centre2": 200,
            "finance@centre2": 200,
            "centre_staff@centre2": 403,
            ANYONE: 404,
        },
        sees={"same": True, ANYONE: False},
    ),
    ("POST", "/api/v1/ledger/bank-accounts"): Row(
        subject="new_bank_account",
        expect={"same": 403, "evaluator@same": 404, "finance@same": 201, ANYONE: 404},
    ),
    ("GET", "/api/v1/reports/co-builder-statements"): Row(
        subject="centre_period_report",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/reports/revenue"): Row(
        subject="centre_books",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/reports/receivables-aging"): Row(
        subject="centre_books",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/ledger/export"): Row(
        subject="centre_export",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("POST", "/api/v1/reconciliation/imports"): Row(
        subject="statement_import",
        expect={"centre_manager@same": 403, "finance@same": 201, ANYONE: 404},
    ),
    ("POST", "/api/v1/reconciliation/stripe-sync"): Row(
        subject="stripe_sync",
        expect={"centre_manager@same": 403, "finance@same": 201, ANYONE: 404},
    ),
    ("GET", "/api/v1/reconciliation/items"): Row(
        subject="statement_line",
        lists="line_id",
        expect={
            "centre_manager@same": 200,
            "finance@same": 200,
            "centre_staff@same": 403,
            "centre_manager@centre2": 200,
            "finance@centre2": 200,
            "centre_staff@centre2": 403,
            ANYONE: 404,
        },
        sees={"same": True, ANYONE: False},
    ),
    ("POST", "/api/v1/reconciliation/matches"): Row(
        subject="new_match",
        expect={"centre_manager@same": 403, "finance@same": 201, ANYONE: 404},
    ),
    ("GET", "/api/v1/reconciliation/matches/{match_id}"): Row(
        subject="match",
        expect={"same": 200, "centre_staff@same": 404, "evaluator@same": 404, ANYONE: 404},
    ),
    ("DELETE", "/api/v1/reconciliation/matches/{match_id}"): Row(
        subject="match",
        expect={"centre_manager@same": 403, "finance@same": 200, ANYONE: 404},
    ),
    ("GET", "/api/v1/reconciliation/report"): Row(
        subject="centre_period_report",
        expect={"same": 200, "centre_staff@same": 403, "evaluator@same": 404, ANYONE: 404},
    ),
    ("GET", "/api/v1/voucher-programmes"): Row(
        subject="programme",
        lists="programme_id",
        expect={ANYONE: 200},
        sees={ANYONE: True},
    ),
    ("POST", "/api/v1/voucher-programmes"): Row(
        subject="new_programme",
        expect={"issuer_admin@same": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/voucher-programmes/{programme_id}"): Row(
        subject="programme",
        expect={ANYONE: 200},
    ),
    ("PATCH", "/api/v1/voucher-programmes/{programme_id}"): Row(
        subject="programme",
        expect={"issuer_admin@same": 200, ANYONE: 403},
    ),
    ("POST", "/api/v1/voucher-programmes/{programme_id}/vouchers"): Row(
        subject="programme_issue",
        expect={"issuer_admin@same": 201, ANYONE: 403},
    ),
    ("GET", "/api/v1/vouchers"): Row(
        subject="voucher",
        lists="voucher_id",
        expect={ANYONE: 200},
        sees={
            "same": True,
            "evaluator@same": False,
            "issuer": True,
            "evaluator@issuer": False,
            "admin": True,
            ANYONE: False,
        },
    ),
    ("GET", "/api/v1/settlements/{settlement_id}/voucher-redemptions"): Row(
        subject="settlement",
        expect={
            "parent": 200,
            "evaluator@parent": 404,
            "same": 200,
            "evaluator@same": 404,
            "client": 200,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/settlements/{settlement_id}/voucher-redemptions"): Row(
        subject="settlement_redeem",
        expect={
            "parent": 403,
            "evaluator@parent": 404,
            "same": 403,
            "evaluator@same": 404,
            "client": 201,
            "evaluator@client": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/voucher-redemptions/{redemption_id}/cancel"): Row(
        subject="redemption",
        expect={
            "centre_manager@parent": 403,
            "finance@parent": 200,
            "client": 200,
            "evaluator@client": 404,
            "issuer": 403,
            "evaluator@issuer": 404,
            ANYONE: 404,
        },
    ),
    ("GET", "/api/v1/voucher-claims"): Row(
        subject="claim",
        lists="claim_id",
        expect={ANYONE: 200},
        sees={
            "same": True,
            "centre_staff@same": False,
            "evaluator@same": False,
            "issuer": True,
            "evaluator@issuer": False,
            ANYONE: False,
        },
    ),
    ("POST", "/api/v1/voucher-claims"): Row(
        subject="new_claim",
        expect={"centre_manager@same": 403, "finance@same": 201, ANYONE: 422},
    ),
    ("GET", "/api/v1/voucher-claims/{claim_id}"): Row(
        subject="claim",
        expect={
            "same": 200,
            "centre_staff@same": 404,
            "evaluator@same": 404,
            "issuer": 200,
            "evaluator@issuer": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/voucher-claims/{claim_id}/approve"): Row(
        subject="claim",
        expect={
            "same": 403,
            "centre_staff@same": 404,
            "evaluator@same": 404,
            "issuer": 200,
            "evaluator@issuer": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/voucher-claims/{claim_id}/reject"): Row(
        subject="claim_reject",
        expect={
            "same": 403,
            "centre_staff@same": 404,
            "evaluator@same": 404,
            "issuer": 200,
            "evaluator@issuer": 404,
            ANYONE: 404,
        },
    ),
    ("POST", "/api/v1/voucher-claims/{claim_id}/pay"): Row(
        subject="approved_claim",
        expect={
            "same": 403,
            "centre_staff@same": 404,
            "evaluator@same": 404,
            "issuer": 200,
            "evaluator@issuer": 404,
            ANYONE: 404,
        },
    ),
    ("GET", "/health"): PUBLIC_READ,
    ("GET", "/ready"): Row(anonymous=200),
    ("GET", "/metrics"): Row(anonymous=404),  # from outside TTM_METRICS_ALLOW,
}

SUBJECT_ROWS = sorted(key for key, row in MATRIX.items() if row.subject)


def operations(app) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}


def test_every_route_has_a_row_and_every_row_a_route(app):
    routes = operations(app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without a row in MATRIX (add one, docs/security.md): {missing}"
    assert not stale, f"rows naming no route: {stale}"


def test_every_signed_in_operation_has_caller_expectations():
    """An operation that answers 401 without a token is open to some signed-in callers: it must say
    what every caller gets (a `subject` and `expect` with a `*` default), or why no caller differs."""
    bare = sorted(
        key for key, row in MATRIX.items() if row.anonymous == 401 and not row.subject and not row.independent
    )
    assert not bare, f"signed-in operations without caller expectations (give them a subject): {bare}"
    for key, row in MATRIX.items():
        if row.subject:
            assert row.subject in SUBJECTS, f"{key}: no subject builder named {row.subject}"
            assert ANYONE in row.expect, f"{key}: `expect` has no `*` default"
        if row.lists:
            assert ANYONE in row.sees, f"{key}: `sees` has no `*` default"


async def test_anonymous(client):
    """Every operation without a token, on unknown ids and an empty body (one database for all)."""
    wrong = []
    for (method, path), row in sorted(MATRIX.items()):
        url = re.sub(r"\{[^}]+\}", str(uuid.UUID(int=1)), path)
        response = await client.request(method, url)
        if response.status_code != row.anonymous:
            wrong.append(f"{method} {path}: {response.status_code}, expected {row.anonymous}: {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


def resolve(table: dict[str, Any], role: Role | None, relation: str, org: str = "") -> Any:
    keys = [f"{role.value}@{org}", f"{role.value}@{relation}", relation, role.value] if role else [relation]
    for key in [*keys, ANYONE]:
        if key in table:
            return table[key]
    raise AssertionError(f"the row has no `{ANYONE}` entry")


def expected(row: Row, role: Role | None, relation: str, org: str = "") -> int:
    return int(resolve(row.expect, role, relation, org))


async def ask(client, method: str, path: str, row: Row, s: Subject, headers: dict[str, str] | None):
    url = path.format(**s.params)
    body = row.body if row.body is not None else s.body
    query = {**(s.query or {}), **(row.query or {})} or None
    extra = {"Idempotency-Key": uuid.uuid4().hex}
    if s.files is not None:
        return await client.request(
            method, url, files=s.files, data=s.data, params=query, headers={**(headers or {}), **extra}
        )
    return await client.request(method, url, json=body, params=query, headers={**(headers or {}), **extra})


async def read(client, s: Subject) -> Any:
    if s.probe is None:
        return None
    url, headers = s.probe
    response = await client.get(f"{API}{url}", headers=headers)
    return response.status_code, response.json()


def area(path: str) -> str:
    """The first segment after /api/v1 (`ledger`, `voucher-claims`, ...): rows of one area share a world."""
    return path.removeprefix(API).split("/")[1]


AREAS = sorted({area(path) for _, path in SUBJECT_ROWS})


async def check_row(ctx: Ctx, clock, method: str, path: str) -> list[str]:
    """Ask the operation as every caller; the callers whose answer differs from the row."""
    client, w, row = ctx.client, ctx.w, MATRIX[(method, path)]
    assert row.subject is not None
    build = SUBJECTS[row.subject]

    async def fresh() -> Subject:
        clock.set(NOW)
        return await build(ctx)

    shared = await fresh()
    before = await read(client, shared)
    callers: list[tuple[str, str, Role | None, str, dict[str, str] | None]] = []
    by_org = {org: relation for relation, org in shared.related.items()}
    for (org, role), headers in w.members.items():
        callers.append((f"{role.value}@{org}", org, role, by_org.get(org, "other"), headers))
    callers.append(("platform admin", "", None, "admin", w.admin))
    if shared.own is not None:
        callers.append(("creator", "", None, "own", shared.own))
    callers.append(("anonymous", "", None, "anonymous", None))
    mutating = method != "GET"
    wrong = []
    for caller, org, role, relation, headers in callers:
        want = row.expect.get("anonymous", row.anonymous) if headers is None else expected(row, role, relation, org)
        s = shared
        if mutating and 200 <= want < 300:
            s = await fresh()  # a success changes its subject: nobody else asks about that one
            headers = s.own if relation == "own" else headers
        if s.at is not None:
            clock.set(s.at)
        response = await ask(client, method, path, row, s, headers)
        if response.status_code != want:
            wrong.append(f"{caller} ({relation}): {response.status_code}, expected {want}: {response.text[:200]}")
        elif row.lists and response.status_code == 200:
            found = s.params[row.lists] in [item["id"] for item in response.json()["items"]]
            if found != resolve(row.sees, role, relation, org):
                wrong.append(f"{caller} ({relation}): {'sees' if found else 'does not see'} the subject in the list")
    clock.set(NOW)
    if mutating and await read(client, shared) != before:
        wrong.append("the denied callers changed the subject")
    return wrong


@pytest.mark.parametrize("area_name", AREAS)
async def test_every_caller_in_every_relation(client, db, app, clock, stripe, area_name):
    """Every row of an area, asked by every caller (one world per area, a fresh subject per row)."""
    clock.set(NOW)
    ctx = Ctx(client, db, app, await make_world(db, app), {"stripe": stripe})
    failures = []
    for method, path in SUBJECT_ROWS:
        if area(path) != area_name:
            continue
        try:
            wrong = await check_row(ctx, clock, method, path)
        except AssertionError as e:  # a subject could not be built
            wrong = [f"building {MATRIX[(method, path)].subject}: {e}"]
        if wrong:
            failures.append(f"{method} {path}:\n  " + "\n  ".join(wrong))
    assert not failures, "\n".join(failures)
