"""The authorisation matrix (issue 12 item 7): one table, endpoint x caller x relation -> status.

`MATRIX` has a row for every operation of the API (a check fails when a route has none, or a
row names no route). Every row says what an anonymous caller gets; rows with a `subject` also say,
for every role (`Role`), the platform administrator and anonymous, in every relation to the
subject's organisation (`same` organisation, its `parent` centre, its `child` institute, an
`other` tenant of every kind) and for the subject's creator (`own`), the status -- and the test
asks each of them. docs/security.md says how to add a row for a new route.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from models.enums import ROLES_BY_KIND, OrganisationKind, Role
from tests.factories.bookings import MONDAY, NOW, slot
from tests.factories.catalogue import create_published, instrument_body, pilot_body
from tests.factories.organisations import build
from tests.factories.problems import problem_body

API = "/api/v1"
ANYONE = "*"


@dataclass(frozen=True)
class Row:
    """What one operation answers. `anonymous`: the status without a token (on unknown ids and an
    empty body for operations with a path id or a body). `subject`: a builder below; with it,
    `expect` maps a caller to a status, the most specific key first: `role@relation`, `relation`,
    `role`, then `*` (required). Relations: own, same, parent, child, other, admin, anonymous."""

    anonymous: int = 401
    subject: str | None = None
    expect: dict[str, int] = field(default_factory=dict)
    body: dict[str, Any] | None = None


PUBLIC_READ = Row(anonymous=200)
PUBLIC_GET = Row(anonymous=404)  # a public read of one thing: an unknown id is 404
SIGNED_IN = Row()  # 401 without a token

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/catalogue/search"): PUBLIC_READ,
    ("GET", "/api/v1/pilot-results"): PUBLIC_READ,
    ("POST", "/api/v1/pilot-results"): SIGNED_IN,
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
    ("PATCH", "/api/v1/pilot-results/{result_id}"): SIGNED_IN,
    ("POST", "/api/v1/pilot-results/{result_id}/publish"): SIGNED_IN,
    ("POST", "/api/v1/pilot-results/{result_id}/archive"): SIGNED_IN,
    ("GET", "/api/v1/catalogue/listings/{listing_id}/attachments"): PUBLIC_GET,
    ("POST", "/api/v1/catalogue/listings/{listing_id}/attachments"): SIGNED_IN,
    ("GET", "/api/v1/catalogue/attachments/{attachment_id}"): PUBLIC_GET,
    ("DELETE", "/api/v1/catalogue/attachments/{attachment_id}"): SIGNED_IN,
    ("POST", "/api/v1/auth/register"): Row(anonymous=422),
    ("POST", "/api/v1/auth/token"): Row(anonymous=422),
    ("POST", "/api/v1/auth/refresh"): Row(anonymous=422),
    ("POST", "/api/v1/auth/logout"): SIGNED_IN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("POST", "/api/v1/me/password"): SIGNED_IN,
    ("POST", "/api/v1/users/{user_id}/disable"): SIGNED_IN,
    ("POST", "/api/v1/users/{user_id}/enable"): SIGNED_IN,
    ("GET", "/api/v1/me/invitations"): SIGNED_IN,
    ("POST", "/api/v1/me/invitations/{invitation_id}/accept"): SIGNED_IN,
    ("POST", "/api/v1/me/invitations/{invitation_id}/decline"): SIGNED_IN,
    ("GET", "/api/v1/organisations"): SIGNED_IN,
    ("POST", "/api/v1/organisations"): SIGNED_IN,
    ("GET", "/api/v1/organisations/{organisation_id}"): SIGNED_IN,
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
    ("POST", "/api/v1/organisations/{organisation_id}/members"): SIGNED_IN,
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
    ("DELETE", "/api/v1/organisations/{organisation_id}/members/{user_id}"): SIGNED_IN,
    ("GET", "/api/v1/organisations/{centre_id}/sme-memberships"): SIGNED_IN,
    ("POST", "/api/v1/organisations/{centre_id}/sme-memberships"): SIGNED_IN,
    ("GET", "/api/v1/instruments"): PUBLIC_READ,
    ("POST", "/api/v1/instruments"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}"): PUBLIC_GET,
    ("PATCH", "/api/v1/instruments/{instrument_id}"): SIGNED_IN,
    ("POST", "/api/v1/instruments/{instrument_id}/publish"): SIGNED_IN,
    ("POST", "/api/v1/instruments/{instrument_id}/archive"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}/blackouts"): PUBLIC_GET,
    ("POST", "/api/v1/instruments/{instrument_id}/blackouts"): SIGNED_IN,
    ("DELETE", "/api/v1/instruments/{instrument_id}/blackouts/{blackout_id}"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}/availability"): Row(anonymous=422),
    ("GET", "/api/v1/service-offers"): PUBLIC_READ,
    ("POST", "/api/v1/service-offers"): SIGNED_IN,
    ("GET", "/api/v1/service-offers/{offer_id}"): PUBLIC_GET,
    ("PATCH", "/api/v1/service-offers/{offer_id}"): SIGNED_IN,
    ("POST", "/api/v1/service-offers/{offer_id}/publish"): SIGNED_IN,
    ("POST", "/api/v1/service-offers/{offer_id}/archive"): SIGNED_IN,
    ("GET", "/api/v1/problems"): SIGNED_IN,
    ("POST", "/api/v1/problems"): SIGNED_IN,
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
    ("PATCH", "/api/v1/problems/{problem_id}"): SIGNED_IN,
    ("POST", "/api/v1/problems/{problem_id}/close"): SIGNED_IN,
    ("GET", "/api/v1/problems/{problem_id}/invitations"): SIGNED_IN,
    ("POST", "/api/v1/problems/{problem_id}/invitations"): SIGNED_IN,
    ("GET", "/api/v1/problems/{problem_id}/nda-acceptances"): SIGNED_IN,
    ("POST", "/api/v1/problems/{problem_id}/nda-acceptances"): SIGNED_IN,
    ("GET", "/api/v1/problems/{problem_id}/questions"): SIGNED_IN,
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
    ("POST", "/api/v1/problems/{problem_id}/questions/{question_id}/answer"): SIGNED_IN,
    ("GET", "/api/v1/problems/{problem_id}/proposals"): SIGNED_IN,
    ("POST", "/api/v1/problems/{problem_id}/proposals"): SIGNED_IN,
    ("GET", "/api/v1/proposals/{proposal_id}"): SIGNED_IN,
    ("GET", "/api/v1/proposals/{proposal_id}/revisions"): SIGNED_IN,
    ("POST", "/api/v1/proposals/{proposal_id}/revisions"): SIGNED_IN,
    ("POST", "/api/v1/proposals/{proposal_id}/withdraw"): SIGNED_IN,
    ("POST", "/api/v1/proposals/{proposal_id}/accept"): SIGNED_IN,
    ("POST", "/api/v1/bookings"): SIGNED_IN,
    ("GET", "/api/v1/bookings"): SIGNED_IN,
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
    ("POST", "/api/v1/bookings/{booking_id}/confirm"): SIGNED_IN,
    ("POST", "/api/v1/bookings/{booking_id}/reject"): SIGNED_IN,
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): SIGNED_IN,
    ("POST", "/api/v1/bookings/{booking_id}/complete"): SIGNED_IN,
    ("POST", "/api/v1/bookings/{booking_id}/no-show"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}/trainings"): SIGNED_IN,
    ("POST", "/api/v1/instruments/{instrument_id}/trainings"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}/waitlist"): SIGNED_IN,
    ("POST", "/api/v1/instruments/{instrument_id}/waitlist"): SIGNED_IN,
    ("DELETE", "/api/v1/instruments/{instrument_id}/waitlist/{entry_id}"): SIGNED_IN,
    ("POST", "/api/v1/instruments/{instrument_id}/calendar-link"): SIGNED_IN,
    ("DELETE", "/api/v1/instruments/{instrument_id}/calendar-link"): SIGNED_IN,
    ("GET", "/api/v1/instruments/{instrument_id}/calendar.ics"): PUBLIC_GET,
    ("POST", "/api/v1/organisations/{organisation_id}/booking-feed"): Row(
        subject="sme",
        expect={"sme_member@same": 200, "sme_admin@same": 200, "same": 403, "admin": 403, ANYONE: 404},
    ),
    ("DELETE", "/api/v1/organisations/{organisation_id}/booking-feed"): SIGNED_IN,
    ("GET", "/api/v1/organisations/{organisation_id}/bookings.ics"): PUBLIC_GET,
    ("GET", "/api/v1/contracts"): SIGNED_IN,
    ("POST", "/api/v1/contracts"): SIGNED_IN,
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
            "admin": 200,
            ANYONE: 404,  # evaluators of any party, other tenants
        },
    ),
    ("PATCH", "/api/v1/contracts/{contract_id}"): SIGNED_IN,
    ("PUT", "/api/v1/contracts/{contract_id}/ip-terms"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/sign"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/amendments"): SIGNED_IN,
    ("GET", "/api/v1/contracts/{contract_id}/versions"): SIGNED_IN,
    ("GET", "/api/v1/contracts/{contract_id}/document"): SIGNED_IN,
    ("GET", "/api/v1/contracts/{contract_id}/events"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/deliver"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/accept"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/reject"): SIGNED_IN,
    ("POST", "/api/v1/contracts/{contract_id}/terminate"): SIGNED_IN,
    ("POST", "/api/v1/service-offers/{offer_id}/requests"): SIGNED_IN,
    ("GET", "/api/v1/service-requests"): SIGNED_IN,
    ("GET", "/api/v1/service-requests/{request_id}"): SIGNED_IN,
    ("POST", "/api/v1/service-requests/{request_id}/accept"): SIGNED_IN,
    ("POST", "/api/v1/service-requests/{request_id}/decline"): SIGNED_IN,
    ("POST", "/api/v1/service-requests/{request_id}/withdraw"): SIGNED_IN,
    ("GET", "/api/v1/service-requests/{request_id}/proposals"): SIGNED_IN,
    ("POST", "/api/v1/service-requests/{request_id}/proposals"): SIGNED_IN,
    ("GET", "/api/v1/notifications"): SIGNED_IN,
    ("POST", "/api/v1/notifications/{notification_id}/read"): SIGNED_IN,
    ("GET", "/api/v1/settlements"): SIGNED_IN,
    ("GET", "/api/v1/settlements/{settlement_id}"): SIGNED_IN,
    ("GET", "/api/v1/settlements/{settlement_id}/payments"): SIGNED_IN,
    ("POST", "/api/v1/settlements/{settlement_id}/offline-payments"): SIGNED_IN,
    ("POST", "/api/v1/settlements/{settlement_id}/write-off"): SIGNED_IN,
    ("POST", "/api/v1/settlements/{settlement_id}/payment-intents"): SIGNED_IN,
    ("POST", "/api/v1/payments/{payment_id}/refunds"): SIGNED_IN,
    ("POST", "/api/v1/webhooks/stripe"): Row(anonymous=400),
    ("GET", "/api/v1/ledger/accounts"): SIGNED_IN,
    ("GET", "/api/v1/ledger/accounts/{account_id}"): SIGNED_IN,
    ("GET", "/api/v1/ledger/trial-balance"): SIGNED_IN,
    ("GET", "/api/v1/ledger/entries"): SIGNED_IN,
    ("POST", "/api/v1/ledger/entries"): SIGNED_IN,
    ("GET", "/api/v1/ledger/entries/{entry_id}"): SIGNED_IN,
    ("POST", "/api/v1/ledger/entries/{entry_id}/reverse"): SIGNED_IN,
    ("POST", "/api/v1/ledger/periods/{period}/close"): SIGNED_IN,
    ("POST", "/api/v1/ledger/periods/{period}/reopen"): SIGNED_IN,
    ("GET", "/api/v1/ledger/bank-accounts"): SIGNED_IN,
    ("POST", "/api/v1/ledger/bank-accounts"): SIGNED_IN,
    ("GET", "/api/v1/reports/co-builder-statements"): SIGNED_IN,
    ("GET", "/api/v1/reports/revenue"): SIGNED_IN,
    ("GET", "/api/v1/reports/receivables-aging"): SIGNED_IN,
    ("GET", "/api/v1/ledger/export"): SIGNED_IN,
    ("POST", "/api/v1/reconciliation/imports"): SIGNED_IN,
    ("POST", "/api/v1/reconciliation/stripe-sync"): SIGNED_IN,
    ("GET", "/api/v1/reconciliation/items"): SIGNED_IN,
    ("POST", "/api/v1/reconciliation/matches"): SIGNED_IN,
    ("GET", "/api/v1/reconciliation/matches/{match_id}"): SIGNED_IN,
    ("DELETE", "/api/v1/reconciliation/matches/{match_id}"): SIGNED_IN,
    ("GET", "/api/v1/reconciliation/report"): SIGNED_IN,
    ("GET", "/api/v1/voucher-programmes"): SIGNED_IN,
    ("POST", "/api/v1/voucher-programmes"): SIGNED_IN,
    ("GET", "/api/v1/voucher-programmes/{programme_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/voucher-programmes/{programme_id}"): SIGNED_IN,
    ("POST", "/api/v1/voucher-programmes/{programme_id}/vouchers"): SIGNED_IN,
    ("GET", "/api/v1/vouchers"): SIGNED_IN,
    ("GET", "/api/v1/settlements/{settlement_id}/voucher-redemptions"): SIGNED_IN,
    ("POST", "/api/v1/settlements/{settlement_id}/voucher-redemptions"): SIGNED_IN,
    ("POST", "/api/v1/voucher-redemptions/{redemption_id}/cancel"): SIGNED_IN,
    ("GET", "/api/v1/voucher-claims"): SIGNED_IN,
    ("POST", "/api/v1/voucher-claims"): SIGNED_IN,
    ("GET", "/api/v1/voucher-claims/{claim_id}"): SIGNED_IN,
    ("POST", "/api/v1/voucher-claims/{claim_id}/approve"): SIGNED_IN,
    ("POST", "/api/v1/voucher-claims/{claim_id}/reject"): SIGNED_IN,
    ("POST", "/api/v1/voucher-claims/{claim_id}/pay"): SIGNED_IN,
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


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: v)
async def test_anonymous(client, method, path):
    url = re.sub(r"\{[^}]+\}", str(uuid.UUID(int=1)), path)
    response = await client.request(method, url)
    assert response.status_code == MATRIX[(method, path)].anonymous, response.text


# The world every subject lives in: a centre with an institute, another centre with one, two SMEs,
# a co-builder and a voucher issuer, each with a member in every role its kind has.
KINDS = {
    "centre": OrganisationKind.centre,
    "institute": OrganisationKind.institute,
    "centre2": OrganisationKind.centre,
    "institute2": OrganisationKind.institute,
    "sme": OrganisationKind.sme,
    "sme2": OrganisationKind.sme,
    "co_builder": OrganisationKind.co_builder,
    "government": OrganisationKind.government,
}
PARENTS = {"institute": "centre", "institute2": "centre2"}


@dataclass
class World:
    orgs: dict[str, Any]
    members: dict[tuple[str, Role], dict[str, str]]  # (org name, role) -> headers
    users: dict[tuple[str, Role], Any]
    admin: dict[str, str]


async def make_world(db, app) -> World:
    async with build(db, app) as b:
        orgs: dict[str, Any] = {}
        for name, kind in KINDS.items():
            parent = orgs.get(PARENTS.get(name, ""))
            orgs[name] = b.org(kind, parent=parent)
        members, users = {}, {}
        for name, org in orgs.items():
            for role in sorted(ROLES_BY_KIND[org.kind]):
                user = b.user((org, role))
                users[(name, role)] = user
                members[(name, role)] = b.headers(user)
        admin = b.headers(b.user(platform_admin=True))
    return World(orgs, members, users, admin)


@dataclass
class Subject:
    params: dict[str, str]
    related: dict[str, str]  # relation -> organisation name in the world
    own: dict[str, str] | None = None  # the creator's headers


async def draft_pilot_result(client, w: World) -> Subject:
    creator = w.members[("institute", Role.centre_staff)]
    made = await client.post(f"{API}/pilot-results", json=pilot_body(), headers=creator)
    assert made.status_code == 201, made.text
    return Subject({"result_id": made.json()["id"]}, {"same": "institute", "parent": "centre"}, creator)


async def institute(client, w: World) -> Subject:
    return Subject({"organisation_id": str(w.orgs["institute"].id)}, {"same": "institute", "parent": "centre"})


async def invite_only_problem(client, w: World) -> Subject:
    creator = w.members[("sme", Role.sme_admin)]
    body = problem_body(confidentiality="invite_only", invited_organisation_ids=[str(w.orgs["institute"].id)])
    made = await client.post(f"{API}/problems", json=body, headers=creator)
    assert made.status_code == 201, made.text
    related = {"same": "sme", "invited": "institute", "parent": "centre"}
    return Subject({"problem_id": made.json()["id"]}, related, creator)


async def contract(client, w: World) -> Subject:
    creator = w.members[("institute", Role.centre_staff)]
    body = {
        "contract_type": "development",
        "title": "高镍正极包覆工艺委托开发",
        "scope": "完成NCM811正极原子层沉积包覆工艺的小试与中试验证。",
        "client_org_id": str(w.orgs["sme"].id),
        "co_builder_org_ids": [],
        "value": {"amount": 80_000_000, "currency": "CNY"},
        "start_date": "2026-12-01",
        "end_date": "2027-12-01",
        "milestones": [{"title": "交付", "amount": {"amount": 80_000_000, "currency": "CNY"}}],
    }
    made = await client.post(f"{API}/contracts", json=body, headers=creator)
    assert made.status_code == 201, made.text
    related = {"same": "institute", "parent": "centre", "client": "sme"}
    return Subject({"contract_id": made.json()["id"]}, related, creator)


async def booking(client, w: World) -> Subject:
    staff = w.members[("institute", Role.centre_staff)]
    rules = {"requires_confirmation": False, "lead_time_hours": 24, "max_advance_days": 60}
    instrument = await create_published(client, staff, "instruments", instrument_body(**rules))
    booker = w.members[("sme", Role.sme_member)]
    made = await client.post(
        f"{API}/bookings", json={"instrument_id": instrument["id"], **slot(MONDAY)}, headers=booker
    )
    assert made.status_code == 201, made.text
    related = {"same": "institute", "parent": "centre", "client": "sme"}
    return Subject({"booking_id": made.json()["id"]}, related, booker)


async def sme(client, w: World) -> Subject:
    return Subject({"organisation_id": str(w.orgs["sme"].id)}, {"same": "sme"})


SUBJECTS = {f.__name__: f for f in (draft_pilot_result, institute, sme, invite_only_problem, contract, booking)}


def expected(row: Row, role: Role | None, relation: str) -> int:
    keys = [f"{role.value}@{relation}", relation, role.value] if role else [relation]
    for key in [*keys, ANYONE]:
        if key in row.expect:
            return row.expect[key]
    raise AssertionError(f"the row has no `{ANYONE}` entry")


@pytest.mark.parametrize(("method", "path"), SUBJECT_ROWS, ids=lambda v: v)
async def test_every_caller_in_every_relation(client, db, app, clock, method, path):
    clock.set(NOW)
    row = MATRIX[(method, path)]
    assert row.subject in SUBJECTS, f"no subject builder named {row.subject}"
    w = await make_world(db, app)
    subject = await SUBJECTS[row.subject](client, w)
    url = path.format(**subject.params)
    by_org = {org: relation for relation, org in subject.related.items()}
    callers: list[tuple[str, Role | None, str, dict[str, str] | None]] = []
    for (org, role), headers in w.members.items():
        relation = by_org.get(org, "other")
        callers.append((f"{role.value}@{org}", role, relation, headers))
    callers.append(("platform admin", None, "admin", w.admin))
    if subject.own is not None:
        callers.append(("creator", None, "own", subject.own))
    wrong = []
    for name, role, relation, headers in callers:
        response = await client.request(method, url, json=row.body, headers=headers)
        want = expected(row, role, relation)
        if response.status_code != want:
            wrong.append(f"{name} ({relation}): {response.status_code}, expected {want}")
    anonymous = await client.request(method, url, json=row.body)
    if anonymous.status_code != row.anonymous:
        wrong.append(f"anonymous: {anonymous.status_code}, expected {row.anonymous}")
    assert not wrong, "\n".join(wrong)
