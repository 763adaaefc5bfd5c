"""Contracts core: named conditions, who sees a contract, loading, events, party checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.contracts import Contract, ContractEvent, ContractMilestone, ContractParty
from models.enums import ADMIN_ROLES, ContractEventKind, ContractPartyRole, ContractStatus, ContractType
from services import notifications
from services.actors import Actor
from services.errors import Conflict, Forbidden, NotFound
from services.notifications import Notice
from services.pagination import Page, SortKey, paginate


class ContractNotFound(NotFound):
    title = "Contract not found"
    slug = "contract-not-found"


class MilestoneNotFound(NotFound):
    title = "Milestone not found"
    slug = "milestone-not-found"


class ContractVersionSigned(Conflict):
    title = "The contract has been signed (or is being signed); change it by an amendment"
    slug = "contract-version-signed"


class ContractClosed(Conflict):
    title = "The contract is completed or terminated"
    slug = "contract-closed"


class ContractNotActive(Conflict):
    title = "The contract is not active"
    slug = "contract-not-active"


class NothingToSign(Conflict):
    title = "No version of this contract is awaiting signatures"
    slug = "nothing-to-sign"


class AlreadySigned(Conflict):
    title = "This party has already signed this version"
    slug = "already-signed"


class DocumentChanged(Conflict):
    title = "The document changed since you reviewed it"
    slug = "document-changed"


class ExclusiveLicenceConflict(Conflict):
    title = "An exclusive licence of this pilot result overlaps another contract's exclusive licence"
    slug = "exclusive-licence-conflict"


class IpTermsIncomplete(Conflict):
    title = "The contract's IP terms are incomplete: agree them before signing"
    slug = "ip-terms-incomplete"


class MilestoneStateConflict(Conflict):
    title = "The milestone is not in a state that allows this"
    slug = "milestone-state-conflict"


class AmendmentNotAllowed(Conflict):
    title = "This contract cannot be amended now"
    slug = "amendment-not-allowed"


class NotAuthorisedSignatory(Forbidden):
    title = "Only an authorised member (manager or admin) of a party may do this"
    slug = "not-authorised-signatory"


class NotProviderStaff(Forbidden):
    title = "Only staff of the provider may do this"
    slug = "not-provider-staff"


class NotClientMember(Forbidden):
    title = "Only members of the client may do this"
    slug = "not-client-member"


def visible_contracts(actor: Actor) -> Select[Contract]:
    """Contracts one of the actor's organisations is a party to (platform admins see all); an
    evaluator's organisation does not count (`Actor.private_org_ids`)."""
    stmt = select(Contract).options(
        selectinload(Contract.milestones).selectinload(ContractMilestone.owed),
        selectinload(Contract.parties).selectinload(ContractParty.organisation),
    )
    if actor.is_platform_admin:
        return stmt
    parties = select(ContractParty.contract_id).where(ContractParty.organisation_id.in_(list(actor.private_org_ids)))
    return stmt.where(Contract.id.in_(parties))


async def get(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, lock: bool = False) -> Contract:
    """One contract the actor is a party to, else 404 (`lock`: row lock for a change)."""
    stmt = visible_contracts(actor).where(Contract.id == contract_id)
    if lock:
        stmt = stmt.with_for_update(of=Contract).execution_options(populate_existing=True)
    contract = await session.scalar(stmt)
    if contract is None:
        raise ContractNotFound()
    return contract


async def reload(session: AsyncSession, contract_id: uuid.UUID) -> Contract:
    """The contract re-read with its milestones and parties (after a change)."""
    await session.flush()
    found = await session.scalar(
        select(Contract)
        .options(
            selectinload(Contract.milestones).selectinload(ContractMilestone.owed),
            selectinload(Contract.parties).selectinload(ContractParty.organisation),
        )
        .where(Contract.id == contract_id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def list_visible(
    session: AsyncSession,
    actor: Actor,
    *,
    status: ContractStatus | None,
    contract_type: ContractType | None,
    limit: int,
    cursor: str | None,
) -> Page[Contract]:
    """A page of the actor's contracts, newest first."""
    stmt = visible_contracts(actor)
    if status is not None:
        stmt = stmt.where(Contract.status == status)
    if contract_type is not None:
        stmt = stmt.where(Contract.contract_type == contract_type)
    return await paginate(session, stmt, [SortKey(Contract.id, descending=True)], limit=limit, cursor=cursor)


def party_ids(contract: Contract) -> set[uuid.UUID]:
    return {p.organisation_id for p in contract.parties}


def require_open(contract: Contract) -> None:
    """409 once the contract is completed or terminated."""
    if contract.status in (ContractStatus.completed, ContractStatus.terminated):
        raise ContractClosed()


def require_draft(contract: Contract) -> None:
    """409 unless nobody has signed yet (a signed version is immutable)."""
    require_open(contract)
    if contract.status is not ContractStatus.draft:
        raise ContractVersionSigned()


def require_provider_staff(actor: Actor, contract: Contract) -> None:
    """403 unless the actor is staff of the provider (HQ staff for their institutes)."""
    if contract.provider_org_id not in actor.provider_org_ids():
        raise NotProviderStaff()


def signing_orgs(actor: Actor, contract: Contract) -> set[uuid.UUID]:
    """The parties the actor may sign (and terminate, amend) for: manager or admin role."""
    return actor.orgs_with(ADMIN_ROLES) & party_ids(contract)


def require_authorised(actor: Actor, contract: Contract) -> set[uuid.UUID]:
    orgs = signing_orgs(actor, contract)
    if not orgs and contract.provider_org_id not in actor.provider_org_ids():
        raise NotAuthorisedSignatory()
    return orgs


async def record(
    session: AsyncSession, contract: Contract, actor: Actor | None, kind: str, **details: Any
) -> ContractEvent:
    """Append an event to the contract's history (same transaction as the change)."""
    event = ContractEvent(
        contract_id=contract.id,
        actor_user_id=actor.user_id if actor else None,
        kind=ContractEventKind(kind).value,  # a kind outside the documented set fails here, not in a client
        version=contract.version,
        details=details,
    )
    session.add(event)
    return event


async def list_events(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ContractEvent]:
    """The contract's history, oldest first."""
    contract = await get(session, actor, contract_id)
    stmt = select(ContractEvent).where(ContractEvent.contract_id == contract.id)
    return await paginate(session, stmt, [SortKey(ContractEvent.id)], limit=limit, cursor=cursor)


async def tell_parties(
    session: AsyncSession,
    actor: Actor | None,
    contract: Contract,
    notice: Notice,
    *,
    organisation_ids: Iterable[uuid.UUID] | None = None,
    text: str | None = None,
    **params: Any,
) -> None:
    """Tell the members of the parties (default: all of them; the notice says which roles) except the actor."""
    orgs = list(organisation_ids) if organisation_ids is not None else [p.organisation_id for p in contract.parties]
    if not orgs:
        return
    await notifications.send(
        session,
        notice,
        about=contract.title,
        subject_id=contract.id,
        organisation_ids=orgs,
        exclude_user_ids=[actor.user_id] if actor else [],
        text=text,
        **params,
    )


def party_role(contract: Contract, organisation_id: uuid.UUID) -> ContractPartyRole | None:
    for p in contract.parties:
        if p.organisation_id == organisation_id:
            return p.role
    return None
