"""Voucher programmes and the vouchers they issue.

A government organisation's `issuer_admin` sets up a programme (budget, face value, validity window,
eligible income kinds, the share of a price a voucher may cover, each SME's cap per calendar year in
the issuer's time zone) and issues vouchers to SMEs, never beyond the budget: the face values issued
may not exceed it (checked under the programme's row lock). Programmes are public policy: every
signed-in user reads them. An SME sees its own vouchers; the issuer's officers see its programmes'.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import IncomeKind, OrganisationKind, Role
from models.organisations import Organisation
from models.vouchers import Voucher, VoucherProgramme
from services import clock
from services.actors import Actor
from services.errors import Conflict, Invalid, NotFound, RoleNotAllowed
from services.pagination import Page, SortKey, paginate

ISSUER_ROLES = frozenset({Role.issuer_officer, Role.issuer_admin})
MAX_VOUCHERS_PER_ISSUE = 500


class ProgrammeNotFound(NotFound):
    title = "Voucher programme not found"
    slug = "voucher-programme-not-found"


class BudgetExhausted(Conflict):
    title = "The programme's budget does not cover these vouchers"
    slug = "voucher-budget-exhausted"


class ProgrammeEnded(Conflict):
    title = "The programme's validity window has ended"
    slug = "voucher-programme-ended"


@dataclass(frozen=True)
class ProgrammeInput:
    issuer_org_id: uuid.UUID | None
    name: str
    description: str | None
    currency: str
    budget: int
    face_value: int
    valid_from: datetime
    valid_until: datetime
    eligible_income_kinds: list[IncomeKind]
    max_share_bps: int
    annual_cap_per_sme: int


@dataclass(frozen=True)
class ProgrammeChange:
    name: str | None = None
    description: str | None = None
    budget: int | None = None


@dataclass(frozen=True)
class IssueInput:
    sme_org_ids: list[uuid.UUID]


def issuer_orgs(actor: Actor, roles: frozenset[Role] = ISSUER_ROLES) -> set[uuid.UUID]:
    """Government organisations where the actor holds one of `roles`."""
    return actor.orgs_with(roles, [OrganisationKind.government])


def visible_programmes(actor: Actor) -> Select[VoucherProgramme]:
    """Every programme: they are public policy (budgets included)."""
    return select(VoucherProgramme)


async def get(session: AsyncSession, actor: Actor, programme_id: uuid.UUID, *, lock: bool = False) -> VoucherProgramme:
    stmt = visible_programmes(actor).where(VoucherProgramme.id == programme_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(stmt)
    if found is None:
        raise ProgrammeNotFound()
    return found


def _require_admin(actor: Actor, issuer_org_id: uuid.UUID) -> None:
    if issuer_org_id not in issuer_orgs(actor, frozenset({Role.issuer_admin})):
        raise RoleNotAllowed("only the issuing organisation's issuer_admin runs its programmes")


async def create(session: AsyncSession, actor: Actor, data: ProgrammeInput) -> VoucherProgramme:
    """A government organisation's issuer_admin sets up a programme."""
    issuer_id = actor.acting_org(
        issuer_orgs(actor, frozenset({Role.issuer_admin})),
        data.issuer_org_id,
        "a voucher issuer's administrator",
        field="issuer_org_id",
    )
    if data.valid_until <= data.valid_from:
        raise Invalid("the validity window ends after it starts", loc=["body", "valid_until"])
    if data.face_value > data.budget:
        raise Invalid("one voucher's face value is more than the whole budget", loc=["body", "face_value"])
    programme = VoucherProgramme(
        issuer_org_id=issuer_id,
        name=data.name,
        description=data.description,
        currency=data.currency,
        budget=data.budget,
        face_value=data.face_value,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        eligible_income_kinds=sorted({k.value for k in data.eligible_income_kinds}),
        max_share_bps=data.max_share_bps,
        annual_cap_per_sme=data.annual_cap_per_sme,
        issued_amount=0,
        redeemed_amount=0,
        created_by=actor.user_id,
    )
    session.add(programme)
    await session.flush()
    return programme


async def update(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: ProgrammeChange
) -> VoucherProgramme:
    """The issuer_admin renames a programme or adjusts its budget (预算调整): never below what its
    vouchers have already covered. A budget cut below the face values issued leaves vouchers whose
    balance the budget no longer covers: redemptions beyond it are refused (rule `budget`)."""
    programme = await get(session, actor, programme_id, lock=True)
    _require_admin(actor, programme.issuer_org_id)
    if data.budget is not None:
        if data.budget < programme.redeemed_amount:
            raise Invalid(
                f"{programme.redeemed_amount} {programme.currency} is already redeemed; the budget cannot be less",
                loc=["body", "budget"],
            )
        programme.budget = data.budget
    if data.name is not None:
        programme.name = data.name
    if data.description is not None:
        programme.description = data.description
    await session.flush()
    return programme


async def issue(session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: IssueInput) -> list[Voucher]:
    """Issue one voucher of the programme's face value to each SME named, under the programme's lock,
    never beyond its budget (409) nor after its window ended (409)."""
    programme = await get(session, actor, programme_id, lock=True)
    _require_admin(actor, programme.issuer_org_id)
    if clock.now() >= programme.valid_until:
        raise ProgrammeEnded(f"{programme.name} ended at {programme.valid_until.isoformat()}")
    smes = list(dict.fromkeys(data.sme_org_ids))
    if not 0 < len(smes) <= MAX_VOUCHERS_PER_ISSUE:
        raise Invalid(f"name 1 to {MAX_VOUCHERS_PER_ISSUE} SMEs", loc=["body", "sme_org_ids"])
    found = {
        org.id
        for org in await session.scalars(
            select(Organisation).where(Organisation.id.in_(smes), Organisation.kind == OrganisationKind.sme)
        )
    }
    for i, sme_id in enumerate(smes):
        if sme_id not in found:
            raise Invalid("not an SME of the marketplace", loc=["body", "sme_org_ids", i])
    wanted = programme.face_value * len(smes)
    left = programme.budget - programme.issued_amount
    if wanted > left:
        raise BudgetExhausted(
            f"{len(smes)} vouchers need {wanted} {programme.currency}; {left} of the budget is left to issue",
            left={"amount": max(left, 0), "currency": programme.currency},
        )
    vouchers = [
        Voucher(
            programme_id=programme.id,
            sme_org_id=sme_id,
            face_value=programme.face_value,
            balance=programme.face_value,
            currency=programme.currency,
            issued_by=actor.user_id,
        )
        for sme_id in smes
    ]
    session.add_all(vouchers)
    programme.issued_amount += wanted
    await session.flush()
    return vouchers


async def list_programmes(
    session: AsyncSession,
    actor: Actor,
    *,
    issuer_org_id: uuid.UUID | None,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[VoucherProgramme]:
    stmt = visible_programmes(actor)
    if issuer_org_id is not None:
        stmt = stmt.where(VoucherProgramme.issuer_org_id == issuer_org_id)
    if active is not None:
        now = clock.now()
        live = (VoucherProgramme.valid_from <= now) & (VoucherProgramme.valid_until > now)
        stmt = stmt.where(live if active else ~live)
    return await paginate(session, stmt, [SortKey(VoucherProgramme.id, descending=True)], limit=limit, cursor=cursor)


def visible_vouchers(actor: Actor) -> Select[Voucher]:
    """An SME's members see its vouchers; the issuer's officers see its programmes' vouchers."""
    stmt = select(Voucher)
    if actor.is_platform_admin:
        return stmt
    issuers = issuer_orgs(actor)
    return stmt.where(
        or_(
            Voucher.sme_org_id.in_(list(actor.sme_ids())),
            Voucher.programme_id.in_(
                select(VoucherProgramme.id).where(VoucherProgramme.issuer_org_id.in_(list(issuers)))
            ),
        )
    )


async def list_vouchers(
    session: AsyncSession,
    actor: Actor,
    *,
    programme_id: uuid.UUID | None,
    sme_org_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[Voucher]:
    stmt = visible_vouchers(actor)
    if programme_id is not None:
        stmt = stmt.where(Voucher.programme_id == programme_id)
    if sme_org_id is not None:
        stmt = stmt.where(Voucher.sme_org_id == sme_org_id)
    return await paginate(session, stmt, [SortKey(Voucher.id, descending=True)], limit=limit, cursor=cursor)


async def programmes_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, VoucherProgramme]:
    rows = await session.scalars(select(VoucherProgramme).where(VoucherProgramme.id.in_(list(ids))))
    return {p.id: p for p in rows}
