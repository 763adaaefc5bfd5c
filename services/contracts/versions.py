"""Versions, the canonical document, signatures and amendments.

Version 1 is the draft: it follows every edit until someone signs it. A signed version is
immutable; change after that is an amendment, a new version built from the terms in force,
which becomes the terms in force when every party has signed it.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.contracts import Contract, ContractMilestone, ContractSignature, ContractVersion
from models.enums import (
    BilledOn,
    ContractPartyRole,
    ContractStatus,
    ContractVersionStatus,
    MilestoneStatus,
)
from models.organisations import User
from services import clock
from services.actors import Actor
from services.contracts import milestones, terms
from services.contracts import rendering as doc
from services.contracts.core import (
    AlreadySigned,
    AmendmentNotAllowed,
    DocumentChanged,
    IpTermsIncomplete,
    MilestoneStateConflict,
    NotAuthorisedSignatory,
    NothingToSign,
    get,
    party_ids,
    record,
    reload,
    require_authorised,
    require_open,
    signing_orgs,
    tell_parties,
)
from services.contracts.inputs import UNSET, AmendmentInput
from services.errors import Invalid, NotFound
from services.money import BPS_WHOLE
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate

ROLE_ORDER = {ContractPartyRole.provider: 0, ContractPartyRole.client: 1, ContractPartyRole.co_builder: 2}
DONE = (MilestoneStatus.delivered, MilestoneStatus.accepted)


class VersionNotFound(NotFound):
    title = "Contract version not found"
    slug = "contract-version-not-found"


def live_milestones(contract: Contract) -> list[ContractMilestone]:
    return [m for m in contract.milestones if m.status is not MilestoneStatus.cancelled]


def snapshot(contract: Contract, number: int, reason: str | None = None) -> dict[str, Any]:
    """The data of the contract's text (parties, value, dates, IP terms, milestones), JSON-ready."""
    parties = sorted(contract.parties, key=lambda p: (ROLE_ORDER[p.role], p.organisation.name, str(p.organisation_id)))
    return {
        "contract_id": str(contract.id),
        "version": number,
        "reason": reason,
        "contract_type": contract.contract_type.value,
        "title": contract.title,
        "scope": contract.scope,
        "parties": [
            {
                "organisation_id": str(p.organisation_id),
                "name": p.organisation.name,
                "uscc": p.organisation.uscc,
                "role": p.role.value,
            }
            for p in parties
        ],
        "value": {"amount": contract.value_amount, "currency": contract.currency},
        "technology_amount": contract.technology_amount,
        "start_date": contract.start_date.isoformat() if contract.start_date else None,
        "end_date": contract.end_date.isoformat() if contract.end_date else None,
        "confidentiality_months": contract.confidentiality_months,
        "pilot_result_id": str(contract.pilot_result_id) if contract.pilot_result_id else None,
        "ip_terms": copy.deepcopy(contract.ip_terms),
        "milestones": [
            milestone_text(i, m.title, m.amount, m.currency, m.due_offset_days, m.billed_on)
            for i, m in enumerate(live_milestones(contract), start=1)
        ],
    }


def milestone_text(
    seq: int, title: str, amount: int, currency: str, due_offset_days: int | None, billed_on: BilledOn
) -> dict[str, Any]:
    """A milestone in a version's body. `billed_on` is written only for an advance, so the text of a
    milestone billed on acceptance (and every version signed before advances existed) is unchanged."""
    text: dict[str, Any] = {
        "seq": seq,
        "title": title,
        "amount": amount,
        "currency": currency,
        "due_offset_days": due_offset_days,
    }
    if billed_on is BilledOn.activation:
        text["billed_on"] = billed_on.value
    return text


def validate(body: dict[str, Any], loc: list[str | int] | None = None) -> None:
    """Money and dates of a version body agree with each other (422 otherwise)."""
    loc = loc if loc is not None else ["body"]
    value, currency = body["value"]["amount"], body["value"]["currency"]
    tech = body["technology_amount"]
    if tech is not None and tech > value:
        raise Invalid("the technology portion cannot exceed the value", loc=[*loc, "technology_portion"])
    for i, m in enumerate(body["milestones"]):
        if m["currency"] != currency:
            raise Invalid("milestones must be in the contract's currency", loc=[*loc, "milestones", i, "amount"])
    if sum(m["amount"] for m in body["milestones"]) > value:
        raise Invalid("the milestones add up to more than the value", loc=[*loc, "milestones"])
    if body["start_date"] and body["end_date"] and body["end_date"] <= body["start_date"]:
        raise Invalid("end_date must be after start_date", loc=[*loc, "end_date"])


async def current_version(session: AsyncSession, contract: Contract, number: int | None = None) -> ContractVersion:
    version = await session.scalar(
        select(ContractVersion)
        .options(selectinload(ContractVersion.signatures))
        .where(ContractVersion.contract_id == contract.id, ContractVersion.number == (number or contract.version))
        .execution_options(populate_existing=True)
    )
    if version is None and contract.version == 1 and (number or 1) == 1 and contract.status is ContractStatus.draft:
        # A draft written before versions existed (see the contracts migration): write its version 1 now.
        await open_first(session, contract.created_by, contract)
        return await current_version(session, contract, number)
    if version is None:
        raise VersionNotFound()
    return version


async def open_first(session: AsyncSession, created_by: uuid.UUID, contract: Contract) -> ContractVersion:
    """Write version 1 (the draft) of a new contract."""
    body = snapshot(contract, 1)
    validate(body)
    version = ContractVersion(
        contract_id=contract.id,
        number=1,
        status=ContractVersionStatus.open,
        body=body,
        document_sha256=doc.sha256(doc.canonical(body)),
        created_by=created_by,
    )
    session.add(version)
    await session.flush()
    return version


async def refresh_draft(session: AsyncSession, contract: Contract) -> None:
    """Re-render the draft version after an edit (nobody has signed it: the caller checked)."""
    contract = await reload(session, contract.id)
    version = await current_version(session, contract)
    body = snapshot(contract, version.number)
    validate(body)
    version.body = body
    version.document_sha256 = doc.sha256(doc.canonical(body))
    await session.flush()


async def apply_body(session: AsyncSession, contract: Contract, body: dict[str, Any]) -> None:
    """Make a fully signed version's terms the terms in force."""
    contract.title = body["title"]
    contract.scope = body["scope"]
    contract.value_amount = body["value"]["amount"]
    contract.currency = body["value"]["currency"]
    contract.technology_amount = body["technology_amount"]
    contract.start_date = date.fromisoformat(body["start_date"]) if body["start_date"] else None
    contract.end_date = date.fromisoformat(body["end_date"]) if body["end_date"] else None
    contract.confidentiality_months = body["confidentiality_months"]
    contract.ip_terms = copy.deepcopy(body["ip_terms"])
    live = live_milestones(contract)
    next_seq = max((m.seq for m in contract.milestones), default=0) + 1
    for i, wanted in enumerate(body["milestones"]):
        if i < len(live):
            row = live[i]
            row.title, row.amount, row.currency = wanted["title"], wanted["amount"], wanted["currency"]
            row.due_offset_days = wanted["due_offset_days"]
            row.billed_on = BilledOn(wanted.get("billed_on", BilledOn.acceptance))
        else:
            session.add(
                ContractMilestone(
                    contract_id=contract.id,
                    seq=next_seq,
                    title=wanted["title"],
                    amount=wanted["amount"],
                    currency=wanted["currency"],
                    due_offset_days=wanted["due_offset_days"],
                    billed_on=BilledOn(wanted.get("billed_on", BilledOn.acceptance)),
                    status=MilestoneStatus.pending,
                )
            )
            next_seq += 1
    for row in live[len(body["milestones"]) :]:
        row.status = MilestoneStatus.cancelled
    await session.flush()
    await terms.sync_licences(session, contract)


async def _activate(session: AsyncSession, actor: Actor, contract: Contract, version: ContractVersion) -> Contract:
    now = clock.now()
    version.status = ContractVersionStatus.signed
    version.signed_at = now
    amendment = contract.effective_version is not None
    contract.effective_version = version.number
    await apply_body(session, contract, version.body)
    await terms.check_exclusive(session, contract, contract.ip_terms)
    if contract.status in (ContractStatus.draft, ContractStatus.signing):
        contract.status = ContractStatus.active
        contract.activated_at = now
    contract = await reload(session, contract.id)
    start = contract.start_date or now.date()
    for m in contract.milestones:
        if m.status not in (MilestoneStatus.accepted, MilestoneStatus.cancelled) and m.due_offset_days is not None:
            m.due_on = start + timedelta(days=m.due_offset_days)
    signers = {s.organisation_id: s.user_id for s in version.signatures}
    for p in contract.parties:
        p.signatory_user_id = signers.get(p.organisation_id)
    for m in live_milestones(contract):
        if m.billed_on is BilledOn.activation:
            await milestones.bill(session, contract, m)
    kind = "amendment_in_force" if amendment else "activated"
    await record(session, contract, actor, kind, version=version.number, document_sha256=version.document_sha256)
    notice = Notice.contract_amendment_in_force if amendment else Notice.contract_activated
    await tell_parties(session, actor, contract, notice, version=version.number)
    return contract


async def sign(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    *,
    organisation_id: uuid.UUID | None = None,
    document_sha256: str | None = None,
) -> Contract:
    """An authorised member signs the open version for one party; the last signature activates it."""
    contract = await get(session, actor, contract_id, lock=True)
    require_open(contract)
    version = await current_version(session, contract)
    if version.status is not ContractVersionStatus.open:
        raise NothingToSign()
    allowed = signing_orgs(actor, contract)
    if not allowed:
        raise NotAuthorisedSignatory()
    signed = {s.organisation_id for s in version.signatures}
    if organisation_id is not None:
        if organisation_id not in party_ids(contract):
            raise Invalid("this organisation is not a party", loc=["body", "organisation_id"])
        if organisation_id not in allowed:
            raise NotAuthorisedSignatory()
        org_id = organisation_id
        if org_id in signed:
            raise AlreadySigned()
    else:
        candidates = allowed - signed
        if not candidates:
            raise AlreadySigned()
        if len(candidates) > 1:
            raise Invalid("you may sign for several parties: say which", loc=["body", "organisation_id"])
        (org_id,) = candidates
    incomplete = terms.incomplete_term(version.body["ip_terms"])
    if incomplete is not None:
        raise IpTermsIncomplete(
            f"{incomplete} must sum to exactly {BPS_WHOLE} basis points: set the IP terms before signing",
            term=incomplete,
        )
    if document_sha256 is not None and document_sha256 != version.document_sha256:
        raise DocumentChanged(f"version {version.number} now hashes to {version.document_sha256}")
    signature = ContractSignature(
        contract_id=contract.id,
        version_id=version.id,
        organisation_id=org_id,
        user_id=actor.user_id,
        signed_at=clock.now(),
        document_sha256=version.document_sha256,
    )
    session.add(signature)
    await session.flush()
    await record(
        session,
        contract,
        actor,
        "signed",
        organisation_id=str(org_id),
        version=version.number,
        document_sha256=version.document_sha256,
    )
    version = await current_version(session, contract)
    remaining = party_ids(contract) - {s.organisation_id for s in version.signatures}
    if not remaining:
        return await _activate(session, actor, contract, version)
    if contract.status is ContractStatus.draft:
        contract.status = ContractStatus.signing
    await tell_parties(
        session,
        actor,
        contract,
        Notice.contract_sign_requested,
        organisation_ids=sorted(remaining),
        version=version.number,
    )
    return await reload(session, contract.id)


def _milestone_changes(contract: Contract, wanted: list[dict[str, Any]]) -> None:
    """Delivered or accepted milestones, and advances already billed, must stay as they are (409)."""
    for i, row in enumerate(live_milestones(contract)):
        billed = row.billed_on is BilledOn.activation and contract.effective_version is not None
        if row.status not in DONE and not billed:
            continue
        same = i < len(wanted) and (
            wanted[i]["title"],
            wanted[i]["amount"],
            wanted[i]["currency"],
            wanted[i].get("billed_on", BilledOn.acceptance.value),
        ) == (row.title, row.amount, row.currency, row.billed_on.value)
        if not same:
            state = "billed in advance" if billed and row.status not in DONE else row.status.value
            raise MilestoneStateConflict(f"milestone {i + 1} ({row.title}) is {state}: it cannot change")


async def amend(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, changes: AmendmentInput
) -> ContractVersion:
    """Propose a new version (the fields given, with a reason) built from the terms in force, to be signed
    again by every party."""
    contract = await get(session, actor, contract_id, lock=True)
    require_open(contract)
    if contract.status is ContractStatus.draft:
        raise AmendmentNotAllowed("nobody has signed yet: edit the draft instead")
    require_authorised(actor, contract)
    latest = await current_version(session, contract)
    base = (
        latest
        if contract.effective_version is None
        else await current_version(session, contract, contract.effective_version)
    )
    number = contract.version + 1
    body = copy.deepcopy(base.body)
    if changes.title is not UNSET:
        body["title"] = changes.title
    if changes.scope is not UNSET:
        body["scope"] = changes.scope
    if changes.confidentiality_months is not UNSET:
        body["confidentiality_months"] = changes.confidentiality_months
    if changes.start_date is not UNSET:
        body["start_date"] = changes.start_date.isoformat() if changes.start_date else None
    if changes.end_date is not UNSET:
        body["end_date"] = changes.end_date.isoformat() if changes.end_date else None
    if changes.value is not UNSET and changes.value is not None:
        body["value"] = {"amount": changes.value.amount, "currency": changes.value.currency}
    tp = changes.technology_portion
    if tp is not UNSET:
        if tp is not None and tp.currency != body["value"]["currency"]:
            raise Invalid(
                "the technology portion must be in the contract's currency", loc=["body", "technology_portion"]
            )
        body["technology_amount"] = tp.amount if tp else None
    if changes.milestones is not UNSET and changes.milestones is not None:
        body["milestones"] = [
            milestone_text(i, m.title, m.amount, m.currency, m.due_offset_days, m.billed_on)
            for i, m in enumerate(changes.milestones, start=1)
        ]
        _milestone_changes(contract, body["milestones"])
    if changes.ip_terms is not UNSET and changes.ip_terms is not None:
        body["ip_terms"] = await terms.build(session, actor, contract, changes.ip_terms, loc=["body", "ip_terms"])
        await terms.check_exclusive(session, contract, body["ip_terms"])
    unchanged = {k: v for k, v in base.body.items() if k not in ("version", "reason")}
    if {k: v for k, v in body.items() if k not in ("version", "reason")} == unchanged:
        raise Invalid("the amendment changes nothing", loc=["body"])
    body["version"], body["reason"] = number, changes.reason
    validate(body)
    if latest.status is ContractVersionStatus.open:
        latest.status = ContractVersionStatus.superseded
    version = ContractVersion(
        contract_id=contract.id,
        number=number,
        status=ContractVersionStatus.open,
        body=body,
        document_sha256=doc.sha256(doc.canonical(body)),
        reason=changes.reason,
        created_by=actor.user_id,
    )
    session.add(version)
    contract.version = number
    await session.flush()
    await record(session, contract, actor, "amendment_proposed", version=number, reason=changes.reason)
    await tell_parties(
        session, actor, contract, Notice.contract_amendment_proposed, version=number, reason=changes.reason
    )
    return await current_version(session, contract, number)


async def list_versions(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ContractVersion]:
    """The contract's versions, first to last, with who signed each."""
    contract = await get(session, actor, contract_id)
    stmt = (
        select(ContractVersion)
        .options(selectinload(ContractVersion.signatures))
        .where(ContractVersion.contract_id == contract.id)
    )
    return await paginate(
        session, stmt, [SortKey(ContractVersion.number), SortKey(ContractVersion.id)], limit=limit, cursor=cursor
    )


async def document(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, number: int | None) -> str:
    """The printable document of a version (default the latest) with its signature record."""
    contract = await get(session, actor, contract_id)
    version = await current_version(session, contract, number)
    names = {p.organisation_id: p.organisation.name for p in contract.parties}
    users = dict(
        (
            await session.execute(
                select(User.id, User.full_name).where(User.id.in_([s.user_id for s in version.signatures]))
            )
        ).all()
    )
    return doc.printable(
        version.body,
        [
            {
                "party": names.get(s.organisation_id, str(s.organisation_id)),
                "signer": users.get(s.user_id, str(s.user_id)),
                "signed_at": s.signed_at.isoformat(timespec="seconds"),
                "document_sha256": s.document_sha256,
            }
            for s in version.signatures
        ],
    )


async def terms_in_force(session: AsyncSession, contract_id: uuid.UUID) -> tuple[int, dict[str, Any]] | None:
    """(version number, IP terms) of the version in force now, None before any is signed; the
    settlement area allocates each receipt by these."""
    contract = await session.get(Contract, contract_id)
    if contract is None or contract.effective_version is None:
        return None
    version = await session.scalar(
        select(ContractVersion).where(
            ContractVersion.contract_id == contract_id, ContractVersion.number == contract.effective_version
        )
    )
    assert version is not None
    return version.number, version.body["ip_terms"]
