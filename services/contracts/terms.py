"""IP terms: validation of shares and licences, the team-reward default, exclusive-licence conflicts.

Stored as JSON on the contract (and in each version's body); licence grants are also rows of
`contract_licences` so the exclusivity check is a query.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalogue import Listing
from models.codes import normalise_patent_number, patent_number_problem
from models.contracts import CentrePolicy, Contract, ContractLicence
from models.enums import (
    ContractPartyRole,
    ContractStatus,
    ContractType,
    LicenceKind,
    NewIpBasis,
    RevenueSharesBasis,
    TeamRewardSource,
)
from models.organisations import Organisation
from models.pilot_results import PilotResult
from services import catalogue
from services.actors import Actor
from services.contracts.core import ExclusiveLicenceConflict, party_ids
from services.contracts.inputs import IpTermsInput, ShareInput
from services.errors import Invalid
from services.money import BPS_WHOLE, allocate

# 促进科技成果转化法 第四十五条: without a rule or agreement, at least 50% of net transfer or licence income.
STATUTORY_TEAM_REWARD_BPS = 5000
ALL_FIELDS = frozenset({"all", "all fields", "全部领域", "所有领域", "全领域", "不限"})
EVERYWHERE = frozenset({"worldwide", "global", "全球", "全世界", "全国"})
# A licence of a contract in these states binds (payment milestones being done does not end it).
IN_FORCE = (ContractStatus.active, ContractStatus.completed)


async def team_reward_default(session: AsyncSession, provider_org_id: uuid.UUID) -> tuple[int, TeamRewardSource]:
    """The provider's policy, else its parent centre's, else article 45's 5000 bps."""
    parent_id = await session.scalar(select(Organisation.parent_id).where(Organisation.id == provider_org_id))
    for org_id in (provider_org_id, parent_id):
        if org_id is None:
            continue
        policy = await session.get(CentrePolicy, org_id)
        if policy is not None and policy.team_reward_bps is not None:
            return policy.team_reward_bps, TeamRewardSource.centre_policy
    return STATUTORY_TEAM_REWARD_BPS, TeamRewardSource.statutory_default


def default_ownership(
    contract_type: ContractType,
    provider_org_id: uuid.UUID,
    client_org_id: uuid.UUID,
    co_builder_org_ids: Sequence[uuid.UUID] = (),
) -> tuple[list[dict[str, Any]], NewIpBasis]:
    """The Civil Code's owner of new IP when the parties agree nothing (民法典 第二十章):

    - development with co-builders: cooperative development, owned jointly by those who develop (the
      provider and its co-builders, equal shares), art. 860;
    - development without: commissioned by the client, owned by the developer (the provider), art. 859;
    - services and consulting: each party owns what it creates; what the contract creates is the
      provider's work, art. 885;
    - transfer: the transferee (the client) acquires the rights, art. 862;
    - licence: the licensor (the provider) keeps them and the licensee uses them, art. 862.
    """
    owners: list[uuid.UUID]
    if contract_type is ContractType.development and co_builder_org_ids:
        owners, basis = [provider_org_id, *dict.fromkeys(co_builder_org_ids)], NewIpBasis.cooperative_development
    elif contract_type is ContractType.development:
        owners, basis = [provider_org_id], NewIpBasis.commissioned_development
    elif contract_type is ContractType.transfer:
        owners, basis = [client_org_id], NewIpBasis.transfer_grant
    elif contract_type is ContractType.licence:
        owners, basis = [provider_org_id], NewIpBasis.licence_grant
    else:
        owners, basis = [provider_org_id], NewIpBasis.services_and_consulting
    parts = allocate(BPS_WHOLE, [1] * len(owners))
    return [{"organisation_id": str(o), "bps": bps} for o, bps in zip(owners, parts, strict=True)], basis


def default_revenue(provider_org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Revenue shares when nothing is agreed: all of the contract's income to the provider."""
    return [{"organisation_id": str(provider_org_id), "bps": BPS_WHOLE}]


def default_terms(
    team_reward: tuple[int, TeamRewardSource],
    contract_type: ContractType,
    provider_org_id: uuid.UUID,
    client_org_id: uuid.UUID,
    co_builder_org_ids: Sequence[uuid.UUID] = (),
) -> dict[str, Any]:
    """IP terms of a new draft: the Civil Code's ownership of new IP for its type, all revenue to the
    provider, the team reward default; complete, so the draft can be signed as it is."""
    ownership, basis = default_ownership(contract_type, provider_org_id, client_org_id, co_builder_org_ids)
    return {
        "background_ip": [],
        "new_ip_ownership": ownership,
        "new_ip_ownership_basis": basis.value,
        "licences": [],
        "revenue_shares": default_revenue(provider_org_id),
        "revenue_shares_basis": RevenueSharesBasis.provider_default.value,
        "team_reward_bps": team_reward[0],
        "team_reward_source": team_reward[1].value,
        "publication_rights": None,
    }


def redefault(contract: Contract) -> None:
    """After the parties of a draft change, shares still at their defaults follow the new parties;
    agreed shares naming a party that left are dropped (and must be agreed again before signing)."""
    ip = dict(contract.ip_terms)
    co_builders = [p.organisation_id for p in contract.parties if p.role is ContractPartyRole.co_builder]
    if ip.get("new_ip_ownership_basis", NewIpBasis.agreement) != NewIpBasis.agreement:
        ownership, basis = default_ownership(
            contract.contract_type, contract.provider_org_id, contract.client_org_id, co_builders
        )
        ip["new_ip_ownership"], ip["new_ip_ownership_basis"] = ownership, basis.value
    if ip.get("revenue_shares_basis", RevenueSharesBasis.agreement) != RevenueSharesBasis.agreement:
        ip["revenue_shares"] = default_revenue(contract.provider_org_id)
    contract.ip_terms = ip


def incomplete_term(ip_terms: dict[str, Any]) -> str | None:
    """The first term whose shares do not sum to 10000 bps (`new_ip_ownership`, `revenue_shares`), if any."""
    for key in ("new_ip_ownership", "revenue_shares"):
        if sum(int(s["bps"]) for s in ip_terms.get(key) or []) != BPS_WHOLE:
            return key
    return None


def _shares(shares: Sequence[ShareInput], parties: set[uuid.UUID], loc: list[str | int]) -> list[dict[str, Any]]:
    seen: set[uuid.UUID] = set()
    for i, s in enumerate(shares):
        if s.organisation_id not in parties:
            raise Invalid("shares must name parties of the contract", loc=[*loc, i, "organisation_id"])
        if s.organisation_id in seen:
            raise Invalid("a party appears twice", loc=[*loc, i, "organisation_id"])
        seen.add(s.organisation_id)
    total = sum(s.bps for s in shares)
    if total != BPS_WHOLE:
        raise Invalid(f"shares must sum to exactly {BPS_WHOLE} basis points (got {total})", loc=loc)
    return [{"organisation_id": str(s.organisation_id), "bps": s.bps} for s in shares]


def named_results(contract: Contract) -> set[uuid.UUID]:
    """The pilot results the contract already names (its own, and those in its terms): its parties see
    them there, so naming them again reveals nothing."""
    terms = contract.ip_terms or {}
    named = [contract.pilot_result_id]
    named += [uuid.UUID(x["pilot_result_id"]) for x in terms.get("background_ip", []) if x["pilot_result_id"]]
    named += [uuid.UUID(x["pilot_result_id"]) for x in terms.get("licences", []) if x["pilot_result_id"]]
    return {r for r in named if r is not None}


async def _require_result(
    session: AsyncSession, actor: Actor, contract: Contract, result_id: uuid.UUID | None, loc: list[str | int]
) -> None:
    """422 unless the result is one the caller may see in the catalogue (or the contract names already):
    an unknown id and another centre's draft get the same answer."""
    if result_id is None or result_id in named_results(contract):
        return
    visible = catalogue.visible_listings(actor, PilotResult).where(PilotResult.id == result_id)
    if await session.scalar(visible) is None:
        raise Invalid("no pilot-scale result with this id", loc=loc)


def _patents(numbers: Sequence[str], loc: list[str | int]) -> list[str]:
    out = []
    for j, raw in enumerate(numbers):
        number = normalise_patent_number(raw)
        problem = patent_number_problem(number)
        if problem:
            raise Invalid(f"patent number {problem}", loc=[*loc, j])
        out.append(number)
    return list(dict.fromkeys(out))


async def build(
    session: AsyncSession,
    actor: Actor,
    contract: Contract,
    terms: IpTermsInput,
    *,
    loc: list[str | int] | None = None,
) -> dict[str, Any]:
    """Validated IP terms as stored (plain JSON): 422 for a non-party, shares not summing to 10000, bad
    dates, a pilot result the caller cannot see."""
    loc = loc if loc is not None else ["body"]
    parties = party_ids(contract)
    background = []
    for i, b in enumerate(terms.background_ip):
        here = [*loc, "background_ip", i]
        if b.organisation_id not in parties:
            raise Invalid("background IP must be brought by a party", loc=[*here, "organisation_id"])
        await _require_result(session, actor, contract, b.pilot_result_id, [*here, "pilot_result_id"])
        background.append(
            {
                "organisation_id": str(b.organisation_id),
                "pilot_result_id": str(b.pilot_result_id) if b.pilot_result_id else None,
                "patent_numbers": _patents(b.patent_numbers, [*here, "patent_numbers"]),
                "description": b.description,
            }
        )
    licences = []
    for i, g in enumerate(terms.licences):
        here = [*loc, "licences", i]
        if g.licensee_org_id not in parties:
            raise Invalid("the licensee must be a party", loc=[*here, "licensee_org_id"])
        if g.ends_on is not None and g.ends_on <= g.starts_on:
            raise Invalid("ends_on must be after starts_on", loc=[*here, "ends_on"])
        result_id = g.pilot_result_id or contract.pilot_result_id
        await _require_result(session, actor, contract, result_id, [*here, "pilot_result_id"])
        licences.append(
            {
                "licensee_org_id": str(g.licensee_org_id),
                "kind": g.kind.value,
                "pilot_result_id": str(result_id) if result_id else None,
                "field_of_use": g.field_of_use,
                "territory": g.territory,
                "starts_on": g.starts_on.isoformat(),
                "ends_on": g.ends_on.isoformat() if g.ends_on else None,
                "sublicensable": g.sublicensable,
            }
        )
    if terms.team_reward_bps is None:
        reward = await team_reward_default(session, contract.provider_org_id)
    else:
        reward = (terms.team_reward_bps, TeamRewardSource.agreement)
    return {
        "background_ip": background,
        "new_ip_ownership": _shares(terms.new_ip_ownership, parties, [*loc, "new_ip_ownership"]),
        "new_ip_ownership_basis": NewIpBasis.agreement.value,
        "licences": licences,
        "revenue_shares": _shares(terms.revenue_shares, parties, [*loc, "revenue_shares"]),
        "revenue_shares_basis": RevenueSharesBasis.agreement.value,
        "team_reward_bps": reward[0],
        "team_reward_source": reward[1].value,
        "publication_rights": terms.publication_rights,
    }


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def overlaps(a: dict[str, Any] | ContractLicence, b: ContractLicence) -> bool:
    """Same field or either is all fields; same territory or either is everywhere; terms intersect."""

    def get(x: Any, name: str) -> Any:
        return x[name] if isinstance(x, dict) else getattr(x, name)

    fa, fb = _norm(get(a, "field_of_use")), _norm(b.field_of_use)
    if not (fa == fb or fa in ALL_FIELDS or fb in ALL_FIELDS):
        return False
    ta, tb = _norm(get(a, "territory")), _norm(b.territory)
    if not (ta == tb or ta in EVERYWHERE or tb in EVERYWHERE):
        return False
    a_start, a_end = _as_date(get(a, "starts_on")), _as_date(get(a, "ends_on"))
    return (a_end is None or b.starts_on < a_end) and (b.ends_on is None or a_start is None or a_start < b.ends_on)


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def check_exclusive(session: AsyncSession, contract: Contract, terms: dict[str, Any]) -> None:
    """409 when an exclusive licence in `terms` overlaps an exclusive licence of another contract in force."""
    for grant in terms.get("licences", []):
        if grant["kind"] != LicenceKind.exclusive or grant["pilot_result_id"] is None:
            continue
        # Serialise the checks of one result's exclusive licences (two contracts activating at once):
        # the row lock makes the second wait, then see the first's licence committed.
        await session.execute(
            select(Listing.id).where(Listing.id == uuid.UUID(grant["pilot_result_id"])).with_for_update()
        )
        others = (
            await session.execute(
                select(ContractLicence, Contract.title)
                .join(Contract, Contract.id == ContractLicence.contract_id)
                .where(
                    ContractLicence.pilot_result_id == uuid.UUID(grant["pilot_result_id"]),
                    ContractLicence.kind == LicenceKind.exclusive,
                    ContractLicence.contract_id != contract.id,
                    Contract.status.in_(IN_FORCE),
                )
            )
        ).all()
        for other, title in others:
            if overlaps(grant, other):
                raise ExclusiveLicenceConflict(
                    f"overlaps the exclusive licence of contract {other.contract_id} ({title}) "
                    f"in field {other.field_of_use!r}, territory {other.territory!r}",
                    contract_id=str(other.contract_id),
                )


async def sync_licences(session: AsyncSession, contract: Contract) -> None:
    """Rewrite the licence rows from the contract's IP terms."""
    await session.execute(delete(ContractLicence).where(ContractLicence.contract_id == contract.id))
    session.add_all(
        ContractLicence(
            contract_id=contract.id,
            pilot_result_id=uuid.UUID(g["pilot_result_id"]) if g["pilot_result_id"] else None,
            licensee_org_id=uuid.UUID(g["licensee_org_id"]),
            kind=LicenceKind(g["kind"]),
            field_of_use=g["field_of_use"],
            territory=g["territory"],
            starts_on=date.fromisoformat(g["starts_on"]),
            ends_on=date.fromisoformat(g["ends_on"]) if g["ends_on"] else None,
            sublicensable=g["sublicensable"],
        )
        for g in contract.ip_terms.get("licences", [])
    )
    await session.flush()
