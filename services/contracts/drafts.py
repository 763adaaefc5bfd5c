"""Creating contracts (from a proposal, a service request, a pilot result, or directly) and editing drafts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import Contract, ContractMilestone, ContractParty
from models.enums import (
    ContractPartyRole,
    ContractSource,
    ContractStatus,
    ContractType,
    ListingStatus,
    MilestoneStatus,
    OrganisationKind,
)
from models.organisations import Organisation
from models.pilot_results import PilotResult
from services import catalogue
from services.actors import Actor
from services.contracts import terms, versions
from services.contracts.core import (
    NotProviderStaff,
    get,
    party_ids,
    record,
    reload,
    require_draft,
    require_provider_staff,
)
from services.contracts.inputs import UNSET, ContractChanges, ContractInput, IpTermsInput, MilestoneInput
from services.errors import Invalid

CO_BUILDER_KINDS = frozenset({OrganisationKind.co_builder, OrganisationKind.centre, OrganisationKind.institute})
REGISTRATION_FIELDS = ("registration_number", "registration_date", "registration_registry", "vat_exempt")


async def _co_builders(
    session: AsyncSession, ids: Sequence[uuid.UUID], principals: set[uuid.UUID], loc: list[str | int]
) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(ids))
    kinds = dict(
        (await session.execute(select(Organisation.id, Organisation.kind).where(Organisation.id.in_(ids)))).all()
    )
    for i, org_id in enumerate(ids):
        if org_id in principals:
            raise Invalid("the provider and the client are already parties", loc=[*loc, i])
        if kinds.get(org_id) not in CO_BUILDER_KINDS:
            raise Invalid("co-builders are co-builder organisations, centres or institutes", loc=[*loc, i])
    return ids


async def create_draft(
    session: AsyncSession,
    actor: Actor,
    *,
    source: ContractSource,
    provider_org_id: uuid.UUID,
    client_org_id: uuid.UUID,
    contract_type: ContractType,
    title: str,
    value_amount: int,
    currency: str,
    milestones: Sequence[MilestoneInput],
    scope: str | None = None,
    co_builder_org_ids: Sequence[uuid.UUID] = (),
    technology_amount: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    confidentiality_months: int | None = None,
    proposal_id: uuid.UUID | None = None,
    service_request_id: uuid.UUID | None = None,
    pilot_result_id: uuid.UUID | None = None,
) -> Contract:
    """Write a draft contract: parties, milestones, default IP terms, version 1, a `created` event.

    The caller has checked who may do this and that the parties exist; money and dates are
    validated here (422).
    """
    co_builders = await _co_builders(
        session, co_builder_org_ids, {provider_org_id, client_org_id}, ["body", "co_builder_org_ids"]
    )
    contract = Contract(
        contract_type=contract_type,
        status=ContractStatus.draft,
        title=title[:200],
        scope=scope,
        provider_org_id=provider_org_id,
        client_org_id=client_org_id,
        value_amount=value_amount,
        currency=currency,
        technology_amount=technology_amount,
        start_date=start_date,
        end_date=end_date,
        confidentiality_months=confidentiality_months,
        ip_terms=terms.default_terms(
            await terms.team_reward_default(session, provider_org_id),
            contract_type,
            provider_org_id,
            client_org_id,
            co_builders,
        ),
        source=source,
        proposal_id=proposal_id,
        service_request_id=service_request_id,
        pilot_result_id=pilot_result_id,
        version=1,
        created_by=actor.user_id,
    )
    session.add(contract)
    await session.flush()
    session.add_all(
        [
            ContractParty(contract_id=contract.id, organisation_id=provider_org_id, role=ContractPartyRole.provider),
            ContractParty(contract_id=contract.id, organisation_id=client_org_id, role=ContractPartyRole.client),
            *(
                ContractParty(contract_id=contract.id, organisation_id=org_id, role=ContractPartyRole.co_builder)
                for org_id in co_builders
            ),
        ]
    )
    session.add_all(_milestone_rows(contract, milestones))
    contract = await reload(session, contract.id)
    await versions.open_first(session, actor.user_id, contract)
    ids = {"proposal_id": proposal_id, "service_request_id": service_request_id, "pilot_result_id": pilot_result_id}
    await record(
        session, contract, actor, "created", source=source.value, **{k: str(v) for k, v in ids.items() if v is not None}
    )
    return await reload(session, contract.id)


def _milestone_rows(contract: Contract, milestones: Sequence[MilestoneInput]) -> list[ContractMilestone]:
    return [
        ContractMilestone(
            contract_id=contract.id,
            seq=seq,
            title=m.title,
            amount=m.amount,
            currency=m.currency,
            due_offset_days=m.due_offset_days,
            billed_on=m.billed_on,
            status=MilestoneStatus.pending,
        )
        for seq, m in enumerate(milestones, start=1)
    ]


async def _pilot_result(
    session: AsyncSession, actor: Actor, request: ContractInput, provider_org_id: uuid.UUID
) -> PilotResult:
    """The provider's result to transfer or license, looked up through the catalogue's visibility
    (an unknown id and another centre's result get the same 422)."""
    if request.contract_type not in (ContractType.transfer, ContractType.licence):
        raise Invalid("a pilot-scale result is transferred or licensed", loc=["body", "contract_type"])
    result = await session.scalar(
        catalogue.visible_listings(actor, PilotResult).where(PilotResult.id == request.pilot_result_id)
    )
    if result is None or provider_org_id not in (result.owner_org_id, result.centre_id):
        raise Invalid("not a pilot-scale result of the provider", loc=["body", "pilot_result_id"])
    if result.status is ListingStatus.archived:
        raise Invalid("the pilot-scale result is archived", loc=["body", "pilot_result_id"])
    return result


async def create(session: AsyncSession, actor: Actor, request: ContractInput) -> Contract:
    """Centre staff draft a contract directly, or to transfer or license one of their pilot-scale results."""
    providers = actor.require_provider_staff()
    provider_org_id = request.provider_org_id
    if provider_org_id is None:
        # Default: the one centre or institute the actor is staff of directly (not via HQ).
        provider_org_id = actor.acting_org(providers, None, "centre or institute staff", field="provider_org_id")
    elif provider_org_id not in providers:
        raise NotProviderStaff("you do not act for this provider")
    client = await session.get(Organisation, request.client_org_id)
    if client is None or client.kind is not OrganisationKind.sme:
        raise Invalid("the client must be an SME organisation", loc=["body", "client_org_id"])
    result = await _pilot_result(session, actor, request, provider_org_id) if request.pilot_result_id else None
    value, tp = request.value, request.technology_portion
    if tp is not None and tp.currency != value.currency:
        raise Invalid("the technology portion must be in the contract's currency", loc=["body", "technology_portion"])
    contract = await create_draft(
        session,
        actor,
        source=ContractSource.pilot_result if result else ContractSource.direct,
        provider_org_id=provider_org_id,
        client_org_id=client.id,
        contract_type=request.contract_type,
        title=request.title,
        value_amount=value.amount,
        currency=value.currency,
        milestones=request.milestones,
        scope=request.scope,
        co_builder_org_ids=request.co_builder_org_ids,
        technology_amount=tp.amount if tp else None,
        start_date=request.start_date,
        end_date=request.end_date,
        confidentiality_months=request.confidentiality_months,
        pilot_result_id=result.id if result else None,
    )
    if result is not None and result.ip_assets:
        # The result's patents are the provider's background IP unless the parties agree otherwise.
        contract.ip_terms = {
            **contract.ip_terms,
            "background_ip": [
                {
                    "organisation_id": str(provider_org_id),
                    "pilot_result_id": str(result.id),
                    "patent_numbers": [a["number"] for a in result.ip_assets],
                    "description": result.title,
                }
            ],
        }
        await versions.refresh_draft(session, contract)
    return await reload(session, contract.id)


async def update(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, changes: ContractChanges) -> Contract:
    """Provider staff edit a draft (the fields given); the registration fields may be set at any time."""
    contract = await get(session, actor, contract_id, lock=True)
    require_provider_staff(actor, contract)
    given = changes.given()
    drafting = set(given) - set(REGISTRATION_FIELDS)
    if drafting:
        require_draft(contract)
    # Columns copied as given (the change's fields are named after them).
    for name in (*REGISTRATION_FIELDS, "title", "scope", "start_date", "end_date", "confidentiality_months"):
        value = getattr(changes, name)
        if value is UNSET:
            continue
        if name in ("vat_exempt", "title") and value is None:
            raise Invalid(f"{name} cannot be null", loc=["body", name])
        setattr(contract, name, value)
    if changes.value is not UNSET:
        if changes.value is None:
            raise Invalid("a contract has a value", loc=["body", "value"])
        contract.value_amount, contract.currency = changes.value.amount, changes.value.currency
    tp = changes.technology_portion
    if tp is not UNSET:
        if tp is not None and tp.currency != contract.currency:
            raise Invalid(
                "the technology portion must be in the contract's currency", loc=["body", "technology_portion"]
            )
        contract.technology_amount = tp.amount if tp else None
    if changes.co_builder_org_ids is not UNSET:
        await _replace_co_builders(session, contract, list(changes.co_builder_org_ids or []))
    if changes.milestones is not UNSET:
        if not changes.milestones:
            raise Invalid("a contract has at least one milestone", loc=["body", "milestones"])
        await session.execute(delete(ContractMilestone).where(ContractMilestone.contract_id == contract.id))
        session.add_all(_milestone_rows(contract, changes.milestones))
    await session.flush()
    if drafting:
        await versions.refresh_draft(session, contract)
    if given:
        await record(session, contract, actor, "edited", fields=sorted(given))
    return await reload(session, contract.id)


async def _replace_co_builders(session: AsyncSession, contract: Contract, ids: list[uuid.UUID]) -> None:
    wanted = await _co_builders(
        session, ids, {contract.provider_org_id, contract.client_org_id}, ["body", "co_builder_org_ids"]
    )
    await session.execute(
        delete(ContractParty).where(
            ContractParty.contract_id == contract.id,
            ContractParty.role == ContractPartyRole.co_builder,
            ContractParty.organisation_id.not_in(wanted),
        )
    )
    present = {p.organisation_id for p in contract.parties}
    session.add_all(
        ContractParty(contract_id=contract.id, organisation_id=o, role=ContractPartyRole.co_builder)
        for o in wanted
        if o not in present
    )
    await session.flush()
    contract = await reload(session, contract.id)
    # Shares still at their defaults follow the new parties; agreed terms naming a party that left are
    # dropped (the shares then no longer add up, and signing is refused until they are agreed again).
    terms.redefault(contract)
    kept = {str(o) for o in party_ids(contract)}
    ip = contract.ip_terms

    def names_all_kept(entries: list[dict[str, Any]], key: str = "organisation_id") -> bool:
        return all(e[key] in kept for e in entries)

    if not all(names_all_kept(ip[k]) for k in ("new_ip_ownership", "revenue_shares", "background_ip")) or not (
        names_all_kept(ip["licences"], "licensee_org_id")
    ):
        contract.ip_terms = {
            **ip,
            "new_ip_ownership": ip["new_ip_ownership"] if names_all_kept(ip["new_ip_ownership"]) else [],
            "revenue_shares": ip["revenue_shares"] if names_all_kept(ip["revenue_shares"]) else [],
            "background_ip": [b for b in ip["background_ip"] if b["organisation_id"] in kept],
            "licences": [g for g in ip["licences"] if g["licensee_org_id"] in kept],
        }
        await terms.sync_licences(session, contract)


async def set_ip_terms(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, terms_in: IpTermsInput) -> Contract:
    """Provider staff set a draft's IP terms (shares sum to 10000 and name parties)."""
    contract = await get(session, actor, contract_id, lock=True)
    require_provider_staff(actor, contract)
    require_draft(contract)
    ip_terms = await terms.build(session, actor, contract, terms_in)
    await terms.check_exclusive(session, contract, ip_terms)
    contract.ip_terms = ip_terms
    await terms.sync_licences(session, contract)
    await versions.refresh_draft(session, contract)
    await record(
        session,
        contract,
        actor,
        "ip_terms_set",
        team_reward_bps=ip_terms["team_reward_bps"],
        team_reward_source=ip_terms["team_reward_source"],
        licences=len(ip_terms["licences"]),
    )
    return await reload(session, contract.id)
