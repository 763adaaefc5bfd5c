"""The world and the subjects of the authorisation matrix (tests/api/test_authorisation_matrix.py).

The world: a centre with an institute, another centre with one, two SMEs, a co-builder and a voucher
issuer, each with a member in every role its kind has, and a platform administrator. A subject is
what one operation acts on, built through the API as its area's tests build it: its path ids, its
request body, and how each organisation of the world relates to it (`same`, `parent`, `child`,
`client`, `partner`, `invited`, `issuer`; the rest are `other`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from models.enums import ROLES_BY_KIND, IncomeKind, OrganisationKind, Role
from services import clock
from services.ledger import chart
from tests.factories.bookings import MONDAY, slot
from tests.factories.catalogue import instrument_body, offer_body, pilot_body
from tests.factories.ledger import Books, owe
from tests.factories.organisations import PASSWORD, build, make_uscc
from tests.factories.problems import problem_body, proposal_body
from tests.factories.reconciliation import Row as StatementRow
from tests.factories.reconciliation import icbc_csv
from tests.factories.vouchers import money, programme_body

API = "/api/v1"
Headers = dict[str, str]

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
    members: dict[tuple[str, Role], Headers]  # (organisation name, role) -> headers
    users: dict[tuple[str, Role], Any]
    admin: Headers

    def h(self, org: str, role: Role) -> Headers:
        return self.members[(org, role)]

    def id(self, org: str) -> str:
        return str(self.orgs[org].id)


async def make_world(db, app) -> World:
    async with build(db, app) as b:
        orgs: dict[str, Any] = {}
        for name, kind in KINDS.items():
            orgs[name] = b.org(kind, parent=orgs.get(PARENTS.get(name, "")))
        members, users = {}, {}
        for name, org in orgs.items():
            for role in sorted(ROLES_BY_KIND[org.kind]):
                user = b.user((org, role))
                users[(name, role)] = user
                members[(name, role)] = b.headers(user)
        admin = b.headers(b.user(platform_admin=True))
    async with db.session_scope() as session:
        for name in ("centre", "centre2"):
            await chart.open_chart(session, orgs[name].id)
    return World(orgs, members, users, admin)


@dataclass
class Subject:
    """What an operation is asked about. `related`: relation -> organisation name in the world;
    `own`: the creator's headers (the `own` caller); `probe`: a read (url, headers) whose answer
    must not change while denied callers ask."""

    params: dict[str, str] = field(default_factory=dict)
    related: dict[str, str] = field(default_factory=dict)
    own: Headers | None = None
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    probe: tuple[str, Headers] | None = None
    at: datetime | None = None  # the clock while asking (the subject is built at the test's time)


@dataclass
class Ctx:
    client: httpx.AsyncClient
    db: Any
    app: Any
    w: World
    cache: dict[str, Any] = field(default_factory=dict)

    async def call(self, method: str, path: str, headers: Headers, status: int = 201, **kw: Any) -> Any:
        response = await self.client.request(
            method, f"{API}{path}", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, **kw
        )
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def post(self, path: str, headers: Headers, body: Any = None, status: int = 201, **kw: Any) -> Any:
        return await self.call("POST", path, headers, status, json=body, **kw)

    async def once(self, key: str, make: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self.cache:
            self.cache[key] = await make()
        return self.cache[key]


Builder = Callable[[Ctx], Awaitable[Subject]]
SUBJECTS: dict[str, Builder] = {}


def subject(f: Builder) -> Builder:
    SUBJECTS[f.__name__] = f
    return f


INSTITUTE = {"same": "institute", "parent": "centre"}
CENTRE = {"same": "centre", "child": "institute"}


def staff(w: World, org: str = "institute") -> Headers:
    return w.h(org, Role.centre_staff)


def finance(w: World) -> Headers:
    return w.h("centre", Role.finance)


# No relation: every member is `other`; the role decides.


@subject
async def nobody(ctx: Ctx) -> Subject:
    return Subject()


@subject
async def logout(ctx: Ctx) -> Subject:
    return Subject(body={"refresh_token": f"{uuid.uuid4()}.not-a-secret"})


@subject
async def password_change(ctx: Ctx) -> Subject:
    return Subject(body={"current_password": PASSWORD, "new_password": f"new-{uuid.uuid4().hex[:12]}"})


@subject
async def new_centre(ctx: Ctx) -> Subject:
    body = {"kind": "centre", "name": f"新中心-{uuid.uuid4().hex[:6]}", "uscc": make_uscc(), "region": "320500"}
    return Subject(body=body)


# Catalogue.


async def _listing(ctx: Ctx, path: str, body: dict[str, Any], *, publish: bool) -> Subject:
    creator = staff(ctx.w)
    made = await ctx.post(f"/{path}", creator, body)
    if publish:
        await ctx.post(f"/{path}/{made['id']}/publish", creator, status=200)
    key = {"pilot-results": "result_id", "instruments": "instrument_id", "service-offers": "offer_id"}[path]
    return Subject(
        {key: made["id"], "listing_id": made["id"]}, INSTITUTE, creator, probe=(f"/{path}/{made['id']}", creator)
    )


@subject
async def draft_pilot_result(ctx: Ctx) -> Subject:
    s = await _listing(ctx, "pilot-results", pilot_body(), publish=False)
    s.body = {"abstract": "改写后的摘要：中试线已稳定运行一年。"}
    return s


@subject
async def published_pilot_result(ctx: Ctx) -> Subject:
    s = await _listing(ctx, "pilot-results", pilot_body(), publish=True)
    s.body = {"abstract": "改写后的摘要：中试线已稳定运行一年。"}
    return s


@subject
async def draft_instrument(ctx: Ctx) -> Subject:
    s = await _listing(ctx, "instruments", instrument_body(owner_org_id=ctx.w.id("institute")), publish=False)
    s.body = {"location": "苏州 C栋 201"}
    return s


@subject
async def published_instrument(ctx: Ctx) -> Subject:
    rules = {"requires_confirmation": False, "lead_time_hours": 24, "max_advance_days": 60}
    body = instrument_body(owner_org_id=ctx.w.id("institute"), **rules)
    s = await _listing(ctx, "instruments", body, publish=True)
    s.body = {"location": "苏州 C栋 201"}
    return s


@subject
async def draft_offer(ctx: Ctx) -> Subject:
    s = await _listing(ctx, "service-offers", offer_body(), publish=False)
    s.body = {"lead_time_days": 12}
    return s


@subject
async def published_offer(ctx: Ctx) -> Subject:
    s = await _listing(ctx, "service-offers", offer_body(), publish=True)
    s.body = {"lead_time_days": 12}
    return s


@subject
async def new_pilot_result(ctx: Ctx) -> Subject:
    return Subject(body=pilot_body())


@subject
async def new_offer(ctx: Ctx) -> Subject:
    return Subject(body=offer_body())


@subject
async def new_instrument(ctx: Ctx) -> Subject:
    """An instrument the caller says the institute owns."""
    return Subject(related=INSTITUTE, body=instrument_body(owner_org_id=ctx.w.id("institute")))


@subject
async def attachment_upload(ctx: Ctx) -> Subject:
    s = await draft_pilot_result(ctx)
    s.body = None
    s.files = {"file": ("检测报告.pdf", b"%PDF-1.4 matrix", "application/pdf")}
    return s


@subject
async def attachment(ctx: Ctx) -> Subject:
    s = await draft_pilot_result(ctx)
    made = await ctx.post(
        f"/catalogue/listings/{s.params['listing_id']}/attachments",
        s.own or {},
        files={"file": ("检测报告.pdf", b"%PDF-1.4 matrix", "application/pdf")},
    )
    s.params["attachment_id"] = made["id"]
    s.body = None
    return s


@subject
async def blackout(ctx: Ctx) -> Subject:
    s = await published_instrument(ctx)
    body = {"starts_at": f"{MONDAY}T12:00:00+08:00", "ends_at": f"{MONDAY}T13:00:00+08:00", "reason": "年检"}
    made = await ctx.post(f"/instruments/{s.params['instrument_id']}/blackouts", s.own or {}, body)
    s.params["blackout_id"] = made["id"]
    s.body = {"starts_at": f"{MONDAY}T14:00:00+08:00", "ends_at": f"{MONDAY}T15:00:00+08:00", "reason": "维护"}
    s.probe = (f"/instruments/{s.params['instrument_id']}/blackouts", s.own or {})
    return s


# Organisations and accounts.


@subject
async def institute(ctx: Ctx) -> Subject:
    return Subject({"organisation_id": ctx.w.id("institute")}, INSTITUTE, body={"description": "改写简介"})


@subject
async def sme(ctx: Ctx) -> Subject:
    return Subject({"organisation_id": ctx.w.id("sme")}, {"same": "sme"}, body={"description": "改写简介"})


@subject
async def sme_feed(ctx: Ctx) -> Subject:
    """The SME's bookings feed, switched on."""
    org = ctx.w.id("sme")
    await ctx.post(f"/organisations/{org}/booking-feed", ctx.w.h("sme", Role.sme_member), status=200)
    return Subject({"organisation_id": org}, {"same": "sme"})


@subject
async def institute_invitation(ctx: Ctx) -> Subject:
    """A new member invited to the institute (a fresh e-mail each time)."""
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    return Subject({"organisation_id": ctx.w.id("institute")}, INSTITUTE, body={"email": email, "role": "centre_staff"})


@subject
async def pending_invitation(ctx: Ctx) -> Subject:
    """A pending invitation of the institute (its manager invited a new e-mail)."""
    org = ctx.w.id("institute")
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    made = await ctx.post(
        f"/organisations/{org}/members",
        ctx.w.h("institute", Role.centre_manager),
        {"email": email, "role": "centre_staff"},
        status=202,
    )
    return Subject(
        {"organisation_id": org, "invitation_id": made["id"]},
        INSTITUTE,
        probe=(f"/organisations/{org}/invitations", ctx.w.admin),
    )


@subject
async def institute_member(ctx: Ctx) -> Subject:
    async with build(ctx.db, ctx.app) as b:
        user = b.user((ctx.w.orgs["institute"], Role.centre_staff))
    url = f"/organisations/{ctx.w.id('institute')}/members"
    return Subject(
        {"organisation_id": ctx.w.id("institute"), "user_id": str(user.id)}, INSTITUTE, probe=(url, ctx.w.admin)
    )


@subject
async def account(ctx: Ctx) -> Subject:
    """Another user's account (an SME member)."""
    async with build(ctx.db, ctx.app) as b:
        user = b.user((ctx.w.orgs["sme"], Role.sme_member))
    return Subject({"user_id": str(user.id)}, {"same": "sme"})


@subject
async def disabled_account(ctx: Ctx) -> Subject:
    s = await account(ctx)
    await ctx.post(f"/users/{s.params['user_id']}/disable", ctx.w.admin, status=204)
    return s


@subject
async def my_invitation(ctx: Ctx) -> Subject:
    """A pending invitation of an existing account (the invitee is `own`) to the SME."""
    async with build(ctx.db, ctx.app) as b:
        user = b.user()
        invitee = b.headers(user)
    await ctx.post(
        f"/organisations/{ctx.w.id('sme')}/members",
        ctx.w.h("sme", Role.sme_admin),
        {"email": user.email, "role": "sme_member"},
        status=202,
    )
    mine = await ctx.call("GET", "/me/invitations", invitee, 200)
    return Subject(
        {"invitation_id": mine["items"][0]["id"]}, {"same": "sme"}, invitee, probe=("/me/invitations", invitee)
    )


@subject
async def sme_grant(ctx: Ctx) -> Subject:
    """A membership tier for a new SME at the centre."""
    async with build(ctx.db, ctx.app) as b:
        new_sme = b.org(OrganisationKind.sme)
    body = {"sme_id": str(new_sme.id), "tier": "gold", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}
    return Subject({"centre_id": ctx.w.id("centre")}, CENTRE, body=body)


# Problems and proposals.


async def _problem(ctx: Ctx, **overrides: Any) -> tuple[dict[str, Any], Headers]:
    creator = ctx.w.h("sme", Role.sme_admin)
    body = problem_body(confidentiality="invite_only", invited_organisation_ids=[ctx.w.id("institute")], **overrides)
    return await ctx.post("/problems", creator, body), creator


PROBLEM = {"same": "sme", "invited": "institute", "parent": "centre"}


@subject
async def invite_only_problem(ctx: Ctx) -> Subject:
    made, creator = await _problem(ctx)
    url = f"/problems/{made['id']}"
    return Subject({"problem_id": made["id"]}, PROBLEM, creator, probe=(url, creator))


@subject
async def problem_edit(ctx: Ctx) -> Subject:
    s = await invite_only_problem(ctx)
    s.body = {"summary": "更新：需在60℃下验证"}
    return s


@subject
async def problem_close(ctx: Ctx) -> Subject:
    s = await invite_only_problem(ctx)
    s.body = {}
    return s


@subject
async def problem_invite(ctx: Ctx) -> Subject:
    s = await invite_only_problem(ctx)
    s.body = {"organisation_id": ctx.w.id("institute2")}
    return s


@subject
async def nda_problem(ctx: Ctx) -> Subject:
    """A public problem behind an NDA: any provider may accept it."""
    creator = ctx.w.h("sme", Role.sme_admin)
    made = await ctx.post(
        "/problems", creator, problem_body(confidentiality="nda", nda_terms="双方对项目技术资料保密三年。")
    )
    return Subject(
        {"problem_id": made["id"]}, {"same": "sme"}, creator, body={}, probe=(f"/problems/{made['id']}", creator)
    )


@subject
async def question(ctx: Ctx) -> Subject:
    s = await invite_only_problem(ctx)
    asked = await ctx.post(f"/problems/{s.params['problem_id']}/questions", staff(ctx.w), {"question": "粒径分布？"})
    s.params["question_id"] = asked["id"]
    s.body = {"answer": "D50 约 10 微米。"}
    s.probe = (f"/problems/{s.params['problem_id']}/questions", s.own or {})
    return s


@subject
async def problem_proposal_new(ctx: Ctx) -> Subject:
    s = await invite_only_problem(ctx)
    s.body = proposal_body()
    return s


PROPOSAL = {"same": "institute", "parent": "centre", "client": "sme"}


@subject
async def proposal(ctx: Ctx) -> Subject:
    made, _ = await _problem(ctx)
    author = staff(ctx.w)
    p = await ctx.post(f"/problems/{made['id']}/proposals", author, proposal_body())
    return Subject(
        {"proposal_id": p["id"]},
        PROPOSAL,
        author,
        body=proposal_body(70_000_000),
        probe=(f"/proposals/{p['id']}", author),
    )


# Bookings.

BOOKING = {"same": "institute", "parent": "centre", "client": "sme"}


async def _instrument(ctx: Ctx, **rules: Any) -> dict[str, Any]:
    body = instrument_body(
        owner_org_id=ctx.w.id("institute"),
        **{"requires_confirmation": False, "lead_time_hours": 24, "max_advance_days": 60, **rules},
    )
    made = await ctx.post("/instruments", staff(ctx.w), body)
    return await ctx.post(f"/instruments/{made['id']}/publish", staff(ctx.w), status=200)


async def _booking(ctx: Ctx, *, confirm: bool = False, **body: Any) -> Subject:
    instrument = await _instrument(ctx, requires_confirmation=confirm)
    booker = ctx.w.h("sme", Role.sme_member)
    made = await ctx.post("/bookings", booker, {"instrument_id": instrument["id"], **slot(MONDAY)})
    return Subject(
        {"booking_id": made["id"], "instrument_id": instrument["id"]},
        BOOKING,
        booker,
        body=body or None,
        probe=(f"/bookings/{made['id']}", booker),
    )


@subject
async def booking(ctx: Ctx) -> Subject:
    return await _booking(ctx)


@subject
async def requested_booking(ctx: Ctx) -> Subject:
    return await _booking(ctx, confirm=True)


@subject
async def requested_booking_reject(ctx: Ctx) -> Subject:
    return await _booking(ctx, confirm=True, reason="仪器维修")


@subject
async def booking_cancel(ctx: Ctx) -> Subject:
    s = await _booking(ctx)
    s.body = {}
    return s


@subject
async def booking_done(ctx: Ctx) -> Subject:
    """A confirmed booking whose slot has passed (complete / no-show)."""
    s = await _booking(ctx)
    s.body = {"actual_minutes": 120}
    s.at = datetime.fromisoformat(f"{MONDAY}T12:00:00+08:00")
    return s


@subject
async def booking_no_show(ctx: Ctx) -> Subject:
    s = await _booking(ctx)
    s.at = datetime.fromisoformat(f"{MONDAY}T12:00:00+08:00")
    return s


@subject
async def new_booking(ctx: Ctx) -> Subject:
    """Booking the institute's instrument (a free slot each time)."""
    instrument = await _instrument(ctx)
    return Subject(related=INSTITUTE, body={"instrument_id": instrument["id"], **slot(MONDAY)})


@subject
async def instrument_training(ctx: Ctx) -> Subject:
    instrument = await _instrument(ctx)
    user = ctx.w.users[("sme", Role.sme_member)]
    return Subject({"instrument_id": instrument["id"]}, INSTITUTE, body={"user_id": str(user.id)})


async def _taken(ctx: Ctx) -> dict[str, Any]:
    """An instrument whose Monday slot the other SME has booked (so others may wait for it)."""
    instrument = await _instrument(ctx)
    await ctx.post("/bookings", ctx.w.h("sme2", Role.sme_admin), {"instrument_id": instrument["id"], **slot(MONDAY)})
    return instrument


@subject
async def instrument_waitlist(ctx: Ctx) -> Subject:
    instrument = await _taken(ctx)
    return Subject({"instrument_id": instrument["id"]}, INSTITUTE, body=slot(MONDAY))


@subject
async def waitlist_entry(ctx: Ctx) -> Subject:
    instrument = await _taken(ctx)
    owner = ctx.w.h("sme", Role.sme_member)
    entry = await ctx.post(f"/instruments/{instrument['id']}/waitlist", owner, slot(MONDAY))
    url = f"/instruments/{instrument['id']}/waitlist"
    return Subject(
        {"instrument_id": instrument["id"], "entry_id": entry["id"]},
        {**INSTITUTE, "client": "sme"},
        owner,
        probe=(url, staff(ctx.w)),
    )


@subject
async def instrument_calendar(ctx: Ctx) -> Subject:
    instrument = await _instrument(ctx)
    return Subject({"instrument_id": instrument["id"]}, INSTITUTE)


# Contracts.

CONTRACT = {"same": "institute", "parent": "centre", "client": "sme", "partner": "co_builder"}


def contract_body(w: World, **overrides: Any) -> dict[str, Any]:
    body = {
        "contract_type": "development",
        "title": "高镍正极包覆工艺委托开发",
        "scope": "完成NCM811正极原子层沉积包覆工艺的小试与中试验证。",
        "client_org_id": w.id("sme"),
        "co_builder_org_ids": [w.id("co_builder")],
        "value": {"amount": 80_000_000, "currency": "CNY"},
        "start_date": "2026-12-01",
        "end_date": "2027-12-01",
        "milestones": [{"title": "交付", "amount": {"amount": 80_000_000, "currency": "CNY"}}],
    }
    body.update(overrides)
    return body


def ip_terms(w: World) -> dict[str, Any]:
    provider, co = w.id("institute"), w.id("co_builder")
    return {
        "background_ip": [],
        "new_ip_ownership": [{"organisation_id": provider, "bps": 6000}, {"organisation_id": co, "bps": 4000}],
        "licences": [],
        "revenue_shares": [{"organisation_id": provider, "bps": 7000}, {"organisation_id": co, "bps": 3000}],
        "publication_rights": "经各方书面同意后方可发表。",
    }


async def _contract(ctx: Ctx, *, terms: bool = False, signed: bool = False) -> Subject:
    creator = staff(ctx.w)
    made = await ctx.post("/contracts", creator, contract_body(ctx.w))
    if terms or signed:
        made = await ctx.call("PUT", f"/contracts/{made['id']}/ip-terms", creator, 200, json=ip_terms(ctx.w))
    if signed:
        for org, role in (
            ("institute", Role.centre_manager),
            ("sme", Role.sme_admin),
            ("co_builder", Role.partner_admin),
        ):
            made = await ctx.post(f"/contracts/{made['id']}/sign", ctx.w.h(org, role), {}, status=200)
        assert made["status"] == "active", made
    return Subject(
        {"contract_id": made["id"], "milestone_id": made["milestones"][0]["id"]},
        CONTRACT,
        creator,
        probe=(f"/contracts/{made['id']}", creator),
    )


@subject
async def contract(ctx: Ctx) -> Subject:
    s = await _contract(ctx)
    s.body = {"scope": "范围调整：增加循环测试。"}
    return s


@subject
async def contract_terms(ctx: Ctx) -> Subject:
    s = await _contract(ctx)
    s.body = ip_terms(ctx.w)
    return s


@subject
async def contract_to_sign(ctx: Ctx) -> Subject:
    s = await _contract(ctx, terms=True)
    s.body = {}
    return s


@subject
async def active_contract(ctx: Ctx) -> Subject:
    s = await _contract(ctx, signed=True)
    s.body = {"reason": "双方协商变更"}
    return s


@subject
async def contract_amendment(ctx: Ctx) -> Subject:
    s = await _contract(ctx, signed=True)
    s.body = {"reason": "双方协商变更", "scope": "范围调整：增加高温循环测试。"}
    return s


@subject
async def milestone_to_deliver(ctx: Ctx) -> Subject:
    s = await _contract(ctx, signed=True)
    s.body = {"note": "交付报告见附件"}
    return s


@subject
async def delivered_milestone(ctx: Ctx) -> Subject:
    s = await _contract(ctx, signed=True)
    cid, mid = s.params["contract_id"], s.params["milestone_id"]
    await ctx.post(f"/contracts/{cid}/milestones/{mid}/deliver", staff(ctx.w), {"note": "交付报告"}, status=200)
    return s


@subject
async def delivered_milestone_reject(ctx: Ctx) -> Subject:
    s = await delivered_milestone(ctx)
    s.body = {"reason": "指标未达到"}
    return s


@subject
async def new_contract(ctx: Ctx) -> Subject:
    """A contract the institute provides to the SME (the caller acts for the institute)."""
    return Subject(
        related={**INSTITUTE, "client": "sme"}, body=contract_body(ctx.w, provider_org_id=ctx.w.id("institute"))
    )


# Service requests.

REQUEST = {"same": "institute", "parent": "centre", "client": "sme"}


async def _offer(ctx: Ctx, **overrides: Any) -> dict[str, Any]:
    body = offer_body(price_model="quote", price=None, service_kind="contract_rd", **overrides)
    made = await ctx.post("/service-offers", staff(ctx.w), body)
    return await ctx.post(f"/service-offers/{made['id']}/publish", staff(ctx.w), status=200)


@subject
async def offer_request(ctx: Ctx) -> Subject:
    offer = await _offer(ctx)
    return Subject({"offer_id": offer["id"]}, INSTITUTE, body={"message": "新配方合同研发"})


async def _request(ctx: Ctx, body: dict[str, Any] | None = None) -> Subject:
    offer = await _offer(ctx)
    asker = ctx.w.h("sme", Role.sme_admin)
    made = await ctx.post(f"/service-offers/{offer['id']}/requests", asker, {"message": "新配方合同研发"})
    return Subject(
        {"request_id": made["id"]}, REQUEST, asker, body=body, probe=(f"/service-requests/{made['id']}", asker)
    )


@subject
async def service_request(ctx: Ctx) -> Subject:
    return await _request(ctx)


@subject
async def fixed_price_request(ctx: Ctx) -> Subject:
    """A request for a fixed-price offer (the provider may accept it directly)."""
    offer = await ctx.post("/service-offers", staff(ctx.w), offer_body())
    await ctx.post(f"/service-offers/{offer['id']}/publish", staff(ctx.w), status=200)
    asker = ctx.w.h("sme", Role.sme_admin)
    made = await ctx.post(f"/service-offers/{offer['id']}/requests", asker, {"message": "请尽快安排检测"})
    return Subject({"request_id": made["id"]}, REQUEST, asker, probe=(f"/service-requests/{made['id']}", asker))


@subject
async def service_request_decline(ctx: Ctx) -> Subject:
    return await _request(ctx, {"reason": "排期已满"})


@subject
async def service_request_quote(ctx: Ctx) -> Subject:
    return await _request(ctx, proposal_body())


# Notifications.


@subject
async def notification(ctx: Ctx) -> Subject:
    """The institute's staff member is told of an invitation to a problem."""
    await _problem(ctx)
    owner = staff(ctx.w)
    items = (await ctx.call("GET", "/notifications", owner, 200, params={"unread": "true"}))["items"]
    return Subject({"notification_id": items[0]["id"]}, {"same": "institute"}, owner)


# Money: settlements, payments, vouchers, ledger, reports, reconciliation.

SETTLEMENT = {"same": "institute", "parent": "centre", "client": "sme"}


def _books(w: World) -> Books:
    o = w.orgs
    return Books(
        o["centre"],
        o["institute"],
        o["centre2"],
        o["sme"],
        o["sme2"],
        *(dict[str, str]() for _ in range(8)),
    )


async def _settlement(ctx: Ctx, amount: int = 100_000) -> tuple[Subject, Any]:
    owed = await owe(ctx.db, _books(ctx.w), amount, income_kind=IncomeKind.testing)
    s = Subject({"settlement_id": str(owed.id)}, SETTLEMENT, probe=(f"/settlements/{owed.id}", finance(ctx.w)))
    return s, owed


async def bank_account(ctx: Ctx) -> dict[str, Any]:
    async def make() -> Any:
        body = {
            "name": "基本存款账户",
            "bank_name": "中国工商银行苏州工业园区支行",
            "account_number": "1102020109000012345",
        }
        return await ctx.post("/ledger/bank-accounts", finance(ctx.w), body)

    return await ctx.once("bank", make)


@subject
async def settlement(ctx: Ctx) -> Subject:
    return (await _settlement(ctx))[0]


@subject
async def settlement_pay(ctx: Ctx) -> Subject:
    s, _ = await _settlement(ctx)
    bank = await bank_account(ctx)
    s.body = {
        "bank_account_id": bank["id"],
        "amount": money(40_000),
        "reference": f"HX{uuid.uuid4().hex[:12]}",
        "value_date": clock.now().date().isoformat(),
    }
    return s


@subject
async def settlement_write_off(ctx: Ctx) -> Subject:
    s, _ = await _settlement(ctx)
    s.body = {"reason": "企业已注销"}
    return s


@subject
async def payment(ctx: Ctx) -> Subject:
    """A settlement paid by card (through the fake Stripe), to refund."""
    s, owed = await _settlement(ctx)
    fake = ctx.cache["stripe"]
    intent = await ctx.post(f"/settlements/{owed.id}/payment-intents", ctx.w.h("sme", Role.sme_member))
    from tests.factories.card_payments import deliver

    answer = await deliver(ctx.client, fake.succeed(intent["payment_intent_id"]))
    assert answer.status_code == 200, answer.text
    payments = await ctx.call("GET", f"/settlements/{owed.id}/payments", finance(ctx.w), 200)
    items = payments["items"] if isinstance(payments, dict) else payments
    s.params["payment_id"] = items[0]["id"]
    s.body = {"amount": money(10_000), "reason": "部分服务未提供"}
    return s


GOVERNMENT = {"same": "government"}


async def _programme(ctx: Ctx) -> dict[str, Any]:
    return await ctx.post("/voucher-programmes", ctx.w.h("government", Role.issuer_admin), programme_body())


@subject
async def new_programme(ctx: Ctx) -> Subject:
    return Subject(related=GOVERNMENT, body=programme_body())


@subject
async def programme(ctx: Ctx) -> Subject:
    p = await _programme(ctx)
    admin = ctx.w.h("government", Role.issuer_admin)
    return Subject(
        {"programme_id": p["id"]},
        GOVERNMENT,
        body={"name": "苏州市科技创新券（2026 修订）"},
        probe=(f"/voucher-programmes/{p['id']}", admin),
    )


@subject
async def programme_issue(ctx: Ctx) -> Subject:
    s = await programme(ctx)
    s.body = {"sme_org_ids": [ctx.w.id("sme")]}
    return s


async def _voucher(ctx: Ctx) -> dict[str, Any]:
    p = await _programme(ctx)
    issued = await ctx.post(
        f"/voucher-programmes/{p['id']}/vouchers",
        ctx.w.h("government", Role.issuer_admin),
        {"sme_org_ids": [ctx.w.id("sme")]},
    )
    return issued[0]


@subject
async def settlement_redeem(ctx: Ctx) -> Subject:
    """Redeeming the SME's voucher against what it owes the institute (a fresh voucher each time)."""
    s, _ = await _settlement(ctx)
    voucher = await _voucher(ctx)
    s.body = {"voucher_id": voucher["id"], "amount": money(20_000)}
    s.related = {**SETTLEMENT, "issuer": "government"}
    return s


async def _redemption(ctx: Ctx) -> tuple[Subject, dict[str, Any]]:
    s = await settlement_redeem(ctx)
    made = await ctx.post(
        f"/settlements/{s.params['settlement_id']}/voucher-redemptions", ctx.w.h("sme", Role.sme_admin), s.body
    )
    s.params["redemption_id"] = made["id"]
    s.body = {"reason": "开票错误"}
    return s, made


@subject
async def redemption(ctx: Ctx) -> Subject:
    return (await _redemption(ctx))[0]


@subject
async def new_claim(ctx: Ctx) -> Subject:
    s, made = await _redemption(ctx)
    bank = await bank_account(ctx)
    own_share = {
        "bank_account_id": bank["id"],
        "amount": money(80_000),
        "reference": f"HX{uuid.uuid4().hex[:12]}",
        "value_date": clock.now().date().isoformat(),
    }
    await ctx.post(f"/settlements/{s.params['settlement_id']}/offline-payments", finance(ctx.w), own_share)
    return Subject(
        related={"same": "centre", "child": "institute", "issuer": "government"},
        body={"redemption_ids": [made["id"]], "bank_account_id": bank["id"], "note": "材料已报送"},
    )


async def _claim(ctx: Ctx, *, approved: bool = False) -> Subject:
    s = await new_claim(ctx)
    claim = await ctx.post("/voucher-claims", finance(ctx.w), s.body)
    if approved:
        claim = await ctx.post(
            f"/voucher-claims/{claim['id']}/approve", ctx.w.h("government", Role.issuer_admin), status=200
        )
    s.params["claim_id"] = claim["id"]
    s.body = None
    s.probe = (f"/voucher-claims/{claim['id']}", finance(ctx.w))
    return s


@subject
async def claim(ctx: Ctx) -> Subject:
    return await _claim(ctx)


@subject
async def claim_reject(ctx: Ctx) -> Subject:
    s = await _claim(ctx)
    s.body = {"reason": "材料不全"}
    return s


@subject
async def approved_claim(ctx: Ctx) -> Subject:
    s = await _claim(ctx, approved=True)
    s.body = {"reference": f"CZ{uuid.uuid4().hex[:10]}"}
    return s


@subject
async def centre_books(ctx: Ctx) -> Subject:
    """A query scoped to the centre's books."""
    return Subject(related=CENTRE, query={"centre_id": ctx.w.id("centre")})


async def _accounts(ctx: Ctx) -> list[dict[str, Any]]:
    await bank_account(ctx)

    async def make() -> Any:
        return (await ctx.call("GET", "/ledger/accounts", finance(ctx.w), 200, params={"limit": 100}))["items"]

    return await ctx.once("accounts", make)


@subject
async def ledger_account(ctx: Ctx) -> Subject:
    accounts = await _accounts(ctx)
    return Subject({"account_id": accounts[0]["id"]}, CENTRE)


def _entry_body(ctx: Ctx, accounts: list[dict[str, Any]]) -> dict[str, Any]:
    cash = next(a for a in accounts if a["purpose"] == "bank")
    grant = next(a for a in accounts if a["purpose"] == "grant_income" and a["currency"] == cash["currency"])
    return {
        "description": "财政补助到账",
        "centre_id": ctx.w.id("centre"),
        "postings": [
            {"account_id": cash["id"], "side": "debit", "amount": money(50_000)},
            {"account_id": grant["id"], "side": "credit", "amount": money(50_000)},
        ],
    }


@subject
async def new_entry(ctx: Ctx) -> Subject:
    return Subject(related=CENTRE, body=_entry_body(ctx, await _accounts(ctx)))


@subject
async def ledger_entry(ctx: Ctx) -> Subject:
    made = await ctx.post("/ledger/entries", finance(ctx.w), _entry_body(ctx, await _accounts(ctx)))
    return Subject(
        {"entry_id": made["id"]},
        CENTRE,
        body={"reason": "重复记账"},
        probe=(f"/ledger/entries/{made['id']}", finance(ctx.w)),
    )


@subject
async def period(ctx: Ctx) -> Subject:
    """Closing a past month of the centre's books (a different month for each closer)."""
    n = ctx.cache["periods"] = ctx.cache.get("periods", 0) + 1
    month = f"{2025 - n // 12}-{n % 12 + 1:02d}"
    return Subject({"period": month}, CENTRE, query={"centre_id": ctx.w.id("centre")})


@subject
async def closed_period(ctx: Ctx) -> Subject:
    s = await period(ctx)
    await ctx.post(f"/ledger/periods/{s.params['period']}/close", finance(ctx.w), status=200, params=s.query)
    s.body = {"reason": "补记一笔"}
    return s


@subject
async def new_bank_account(ctx: Ctx) -> Subject:
    number = f"6222{uuid.uuid4().int % 10**15:015d}"
    body = {
        "name": "一般存款账户",
        "bank_name": "中国建设银行",
        "account_number": number,
        "centre_id": ctx.w.id("centre"),
    }
    return Subject(related=CENTRE, body=body)


@subject
async def statement_import(ctx: Ctx) -> Subject:
    bank = await bank_account(ctx)
    serial = uuid.uuid4().hex[:10]
    content = icbc_csv([StatementRow("2026-11-20", credit="400.00", serial=serial, payer="苏州测试", memo="货款")])
    return Subject(
        related=CENTRE,
        files={"file": ("statement.csv", content, "text/csv")},
        data={"bank_account_id": bank["id"], "profile": "icbc"},
    )


@subject
async def stripe_sync(ctx: Ctx) -> Subject:
    bank = await bank_account(ctx)
    return Subject(related=CENTRE, body={"bank_account_id": bank["id"]})


async def _lines(ctx: Ctx) -> list[dict[str, Any]]:
    s = await statement_import(ctx)
    await ctx.client.post(
        f"{API}/reconciliation/imports",
        files=s.files,
        data=s.data,
        headers={**finance(ctx.w), "Idempotency-Key": uuid.uuid4().hex},
    )
    items = await ctx.call(
        "GET", "/reconciliation/items", finance(ctx.w), 200, params={"status": "unmatched", "limit": 100}
    )
    return items["items"]


@subject
async def new_match(ctx: Ctx) -> Subject:
    lines = await _lines(ctx)
    _, owed = await _settlement(ctx, 40_000)
    body = {
        "line_ids": [lines[0]["id"]],
        "settlements": [{"settlement_id": str(owed.id), "amount": 40_000}],
        "reason": "按回单匹配",
    }
    return Subject(related=CENTRE, body=body)


@subject
async def match(ctx: Ctx) -> Subject:
    s = await new_match(ctx)
    made = await ctx.post("/reconciliation/matches", finance(ctx.w), s.body)
    return Subject(
        {"match_id": made["id"]},
        CENTRE,
        query={"reason": "匹配错误"},
        probe=(f"/reconciliation/matches/{made['id']}", finance(ctx.w)),
    )


@subject
async def centre_period_report(ctx: Ctx) -> Subject:
    return Subject(related=CENTRE, query={"centre_id": ctx.w.id("centre"), "period": "2026-11"})


@subject
async def centre_export(ctx: Ctx) -> Subject:
    return Subject(related=CENTRE, query={"centre_id": ctx.w.id("centre"), "format": "csv"})


@subject
async def new_problem(ctx: Ctx) -> Subject:
    return Subject(body=problem_body())


# Things that lists should show to some callers and not to others (`Row.lists`).


@subject
async def centre_bank_account(ctx: Ctx) -> Subject:
    bank = await bank_account(ctx)
    return Subject({"bank_account_id": bank["id"]}, CENTRE)


@subject
async def voucher(ctx: Ctx) -> Subject:
    """A voucher the issuer granted the SME."""
    made = await _voucher(ctx)
    return Subject({"voucher_id": made["id"]}, {"same": "sme", "issuer": "government"})


@subject
async def training(ctx: Ctx) -> Subject:
    """The SME member's training on the institute's instrument."""
    s = await instrument_training(ctx)
    made = await ctx.post(f"/instruments/{s.params['instrument_id']}/trainings", staff(ctx.w), s.body)
    s.params["training_id"] = made["id"]
    s.related = {**INSTITUTE, "client": "sme"}
    s.body = None
    return s


@subject
async def grant(ctx: Ctx) -> Subject:
    """The SME's gold tier with the centre."""
    body = {"sme_id": ctx.w.id("sme"), "tier": "gold", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}
    made = await ctx.post(f"/organisations/{ctx.w.id('centre')}/sme-memberships", staff(ctx.w, "centre"), body)
    return Subject({"centre_id": ctx.w.id("centre"), "grant_id": made["id"]}, {**CENTRE, "client": "sme"})


@subject
async def statement_line(ctx: Ctx) -> Subject:
    lines = await _lines(ctx)
    return Subject({"line_id": lines[0]["id"]}, CENTRE)


@subject
async def problem_with_proposal(ctx: Ctx) -> Subject:
    s = await proposal(ctx)
    made = await ctx.call("GET", f"/proposals/{s.params['proposal_id']}", s.own or {}, 200)
    s.params["problem_id"] = made["problem_id"]
    s.body = None
    return s


@subject
async def question_asked(ctx: Ctx) -> Subject:
    s = await question(ctx)
    s.body = None
    return s


@subject
async def nda_accepted(ctx: Ctx) -> Subject:
    """The institute accepted the NDA of the SME's problem."""
    s = await nda_problem(ctx)
    made = await ctx.post(f"/problems/{s.params['problem_id']}/nda-acceptances", staff(ctx.w), {})
    s.params["acceptance_id"] = made["id"]
    s.related = {"same": "sme", "invited": "institute", "parent": "centre"}
    s.body = None
    return s
