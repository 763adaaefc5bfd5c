"""Milestones (provider delivers, client accepts or rejects), what acceptance leaves owed, termination."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts import Contract, ContractAmountOwed, ContractMilestone
from models.enums import BilledOn, ContractStatus, ContractType, IncomeKind, MilestoneStatus, SettlementSource
from services import clock, settlements
from services.actors import Actor
from services.contracts.core import (
    ContractNotActive,
    MilestoneNotFound,
    MilestoneStateConflict,
    NotClientMember,
    get,
    record,
    reload,
    require_authorised,
    require_open,
    require_provider_staff,
    tell_parties,
)
from services.notifications import Notice

INCOME_KIND = {
    ContractType.development: IncomeKind.contract_rd,
    ContractType.transfer: IncomeKind.transfer_licensing,
    ContractType.licence: IncomeKind.transfer_licensing,
    ContractType.consulting: IncomeKind.consulting,
    ContractType.service: IncomeKind.testing,
}


async def _milestone(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, milestone_id: uuid.UUID
) -> tuple[Contract, ContractMilestone]:
    contract = await get(session, actor, contract_id, lock=True)
    milestone = next((m for m in contract.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise MilestoneNotFound()
    if contract.status is not ContractStatus.active:
        raise ContractNotActive(f"the contract is {contract.status.value}")
    return contract, milestone


def _require_client(actor: Actor, contract: Contract) -> None:
    if contract.client_org_id not in actor.sme_ids():
        raise NotClientMember()


async def deliver(
    session: AsyncSession,
    actor: Actor,
    contract_id: uuid.UUID,
    milestone_id: uuid.UUID,
    *,
    note: str,
    attachment_ids: list[uuid.UUID],
) -> Contract:
    """The provider delivers a pending or in-progress milestone for the client to accept."""
    contract, milestone = await _milestone(session, actor, contract_id, milestone_id)
    require_provider_staff(actor, contract)
    if milestone.status not in (MilestoneStatus.pending, MilestoneStatus.in_progress):
        raise MilestoneStateConflict(f"the milestone is {milestone.status.value}")
    milestone.status = MilestoneStatus.delivered
    milestone.delivered_at = clock.now()
    milestone.delivery_note = note
    milestone.delivery_attachment_ids = [str(a) for a in attachment_ids]
    await record(session, contract, actor, "milestone_delivered", milestone_id=str(milestone.id), seq=milestone.seq)
    await tell_parties(
        session,
        actor,
        contract,
        Notice.contract_milestone_delivered,
        organisation_ids=[contract.client_org_id],
        milestone=milestone.title,
    )
    return await reload(session, contract.id)


async def amount_owed(session: AsyncSession, contract: Contract, milestone: ContractMilestone) -> ContractAmountOwed:
    """Record what the client owes for a milestone, once (append-only), and settle it in the same
    transaction: billed on acceptance, it is income; billed in advance, deferred revenue until the
    milestone is accepted."""
    existing = await session.scalar(select(ContractAmountOwed).where(ContractAmountOwed.milestone_id == milestone.id))
    if existing is not None:
        return existing
    owed = ContractAmountOwed(
        contract_id=contract.id,
        milestone_id=milestone.id,
        provider_org_id=contract.provider_org_id,
        client_org_id=contract.client_org_id,
        amount=milestone.amount,
        currency=milestone.currency,
        income_kind=INCOME_KIND[contract.contract_type],
        owed_at=clock.now(),
    )
    session.add(owed)
    await session.flush()
    await settlements.owe(
        session,
        settlements.Owed(
            source=SettlementSource.milestone,
            source_id=milestone.id,
            provider_org_id=contract.provider_org_id,
            debtor_org_id=contract.client_org_id,
            income_kind=owed.income_kind,
            amount=owed.amount,
            currency=owed.currency,
            description=f"{contract.title}：{milestone.title}",
            contract_id=contract.id,
            deferred=milestone.billed_on is BilledOn.activation,
        ),
    )
    return owed


async def bill(session: AsyncSession, contract: Contract, milestone: ContractMilestone) -> ContractAmountOwed:
    """An advance's amount becomes owed when the contract comes into force (once)."""
    return await amount_owed(session, contract, milestone)


async def accept(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, milestone_id: uuid.UUID) -> Contract:
    """The client accepts a delivered milestone: its amount becomes owed; all accepted completes the contract."""
    contract, milestone = await _milestone(session, actor, contract_id, milestone_id)
    _require_client(actor, contract)
    if milestone.status is not MilestoneStatus.delivered:
        raise MilestoneStateConflict(f"the milestone is {milestone.status.value}, not delivered")
    now = clock.now()
    milestone.status = MilestoneStatus.accepted
    milestone.accepted_at = now
    owed = await amount_owed(session, contract, milestone)
    if milestone.billed_on is BilledOn.activation:  # billed in advance: now it is earned
        await settlements.recognise(session, SettlementSource.milestone, milestone.id)
    await record(
        session,
        contract,
        actor,
        "milestone_accepted",
        milestone_id=str(milestone.id),
        seq=milestone.seq,
        amount_owed={"amount": owed.amount, "currency": owed.currency},
    )
    await tell_parties(
        session,
        actor,
        contract,
        Notice.contract_milestone_accepted,
        organisation_ids=[contract.provider_org_id],
        milestone=milestone.title,
    )
    live = [m for m in contract.milestones if m.status is not MilestoneStatus.cancelled]
    if all(m.status is MilestoneStatus.accepted for m in live):
        contract.status = ContractStatus.completed
        contract.completed_at = now
        await record(session, contract, actor, "completed")
        await tell_parties(session, actor, contract, Notice.contract_completed)
    return await reload(session, contract.id)


async def reject(
    session: AsyncSession, actor: Actor, contract_id: uuid.UUID, milestone_id: uuid.UUID, *, reason: str
) -> Contract:
    """The client rejects a delivery with a reason; the milestone goes back to in progress."""
    contract, milestone = await _milestone(session, actor, contract_id, milestone_id)
    _require_client(actor, contract)
    if milestone.status is not MilestoneStatus.delivered:
        raise MilestoneStateConflict(f"the milestone is {milestone.status.value}, not delivered")
    milestone.status = MilestoneStatus.in_progress
    milestone.rejection_reason = reason
    await record(
        session,
        contract,
        actor,
        "milestone_rejected",
        milestone_id=str(milestone.id),
        seq=milestone.seq,
        reason=reason,
    )
    await tell_parties(
        session,
        actor,
        contract,
        Notice.contract_milestone_rejected,
        organisation_ids=[contract.provider_org_id],
        text=f"原因 / Reason: {reason}",
        milestone=milestone.title,
    )
    return await reload(session, contract.id)


async def terminate(session: AsyncSession, actor: Actor, contract_id: uuid.UUID, *, reason: str) -> Contract:
    """A party (authorised member, or provider staff) ends the contract; accepted milestones stay owed."""
    contract = await get(session, actor, contract_id, lock=True)
    require_open(contract)
    require_authorised(actor, contract)
    now = clock.now()
    cancelled = []
    for m in contract.milestones:
        if m.status is not MilestoneStatus.accepted and m.status is not MilestoneStatus.cancelled:
            m.status = MilestoneStatus.cancelled
            cancelled.append(m.seq)
    contract.status = ContractStatus.terminated
    contract.terminated_at = now
    contract.termination_reason = reason
    await record(session, contract, actor, "terminated", reason=reason, cancelled_milestones=cancelled)
    await tell_parties(session, actor, contract, Notice.contract_terminated, text=f"原因 / Reason: {reason}")
    return await reload(session, contract.id)
