"""Revenue allocation: each receipt under a contract is shared, in the transaction that records it,
by the IP terms of the contract version in force when it is received.

The receipt net of VAT is the base. Each party other than the provider gets its revenue share
(Dr revenue share expense / Cr payable to that party). The research team's reward comes out of the
provider's own share, and only on the income kinds the centre's policy lists (default: transfer and
licensing, the income article 45 of the Law on Promoting the Transformation of Scientific and
Technological Achievements concerns): Dr team reward expense / Cr team reward payable. The
provider keeps the rest. One `money.allocate` call splits the base, so every fen lands somewhere;
the allocation stores the version, each line's basis points and the rule in words.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import AccountPurpose, EntrySource, IncomeKind
from models.organisations import Organisation
from models.settlements import Payment, RevenueAllocation, RevenueAllocationLine, Settlement
from services import contracts
from services.ledger import chart, entries
from services.ledger.chart import AccountSpec
from services.money import BPS_WHOLE, allocate, format_bps
from services.settlements.accrual import institute_of
from services.settlements.core import DEFAULT_REWARD_INCOME_KINDS, policy_of

PARTY, PROVIDER, TEAM = "party", "provider", "team_reward"


@dataclass(frozen=True)
class Share:
    share: str
    organisation_id: uuid.UUID | None
    bps: int
    of_bps: int

    @property
    def weight(self) -> int:
        return self.bps * self.of_bps


def net_of_vat(amount: int, settlement: Settlement) -> int:
    """The part of a receipt that is income (the rest is the VAT inside it), split like the settlement."""
    if settlement.vat_amount == 0:
        return amount
    net, _ = allocate(amount, [settlement.amount - settlement.vat_amount, settlement.vat_amount])
    return net


def shares_of(terms: dict, provider_org_id: uuid.UUID, reward_applies: bool) -> tuple[list[Share], int, str]:
    """The weighted shares a receipt is split into, the team reward's bps, and the rule in words."""
    revenue = terms.get("revenue_shares") or [{"organisation_id": str(provider_org_id), "bps": BPS_WHOLE}]
    reward = int(terms.get("team_reward_bps") or 0) if reward_applies else 0
    out: list[Share] = []
    for s in revenue:
        org = uuid.UUID(str(s["organisation_id"]))
        if org == provider_org_id:
            out.append(Share(PROVIDER, org, s["bps"], BPS_WHOLE - reward))
            out.append(Share(TEAM, None, s["bps"], reward))
        else:
            out.append(Share(PARTY, org, s["bps"], BPS_WHOLE))
    rule = "revenue shares of the version in force" + (
        f"; team reward {format_bps(reward)} of the provider's share ({terms.get('team_reward_source', 'agreement')})"
        if reward
        else "; no team reward on this income kind"
    )
    return out, reward, rule


async def allocate_receipt(
    session: AsyncSession, settlement: Settlement, payment: Payment, *, booked_at: datetime | None = None
) -> RevenueAllocation | None:
    """Share a receipt under a contract (None for receipts with no contract, or none in force), dated
    when it was received unless `booked_at` says otherwise."""
    if settlement.contract_id is None:
        return None
    in_force = await contracts.terms_in_force(session, settlement.contract_id)
    if in_force is None:
        return None
    version, terms = in_force
    policy = await policy_of(session, settlement.provider_org_id)
    kinds = (
        [IncomeKind(k) for k in policy.team_reward_income_kinds] if policy is not None else DEFAULT_REWARD_INCOME_KINDS
    )
    shares, _, rule = shares_of(terms, settlement.provider_org_id, settlement.income_kind in kinds)
    base = net_of_vat(payment.amount, settlement)
    amounts = allocate(base, [s.weight for s in shares])
    allocation = RevenueAllocation(
        payment_id=payment.id,
        contract_id=settlement.contract_id,
        contract_version=version,
        base_amount=base,
        currency=payment.currency,
        rule=rule[:500],
    )
    session.add(allocation)
    await session.flush()
    session.add_all(
        RevenueAllocationLine(
            allocation_id=allocation.id,
            line=n,
            share=s.share,
            organisation_id=s.organisation_id,
            bps=s.bps,
            of_bps=s.of_bps,
            amount=amount,
        )
        for n, (s, amount) in enumerate(zip(shares, amounts, strict=True), start=1)
    )
    provider = await session.get(Organisation, settlement.provider_org_id)
    assert provider is not None
    lines = await _postings(session, settlement, shares, amounts, institute_of(provider))
    if lines:
        entry = await entries.post(
            session,
            centre_id=settlement.centre_id,
            source=EntrySource.revenue_allocation,
            source_ref=str(payment.id),
            description=f"{settlement.number} 收益分配 / revenue allocation (v{version})",
            booked_at=booked_at or payment.received_at,
            lines=lines,
        )
        allocation.entry_id = entry.id
    await session.flush()
    return allocation


async def _postings(
    session: AsyncSession,
    settlement: Settlement,
    shares: list[Share],
    amounts: list[int],
    institute_id: uuid.UUID | None,
) -> list[entries.Line]:
    def acct(spec: AccountSpec):
        return chart.account(session, settlement.centre_id, settlement.currency, spec)

    lines: list[entries.Line] = []
    for share, amount in zip(shares, amounts, strict=True):
        if amount == 0 or share.share == PROVIDER:
            continue
        if share.share == TEAM:
            expense = await acct(AccountSpec(AccountPurpose.team_reward_expense))
            payable = await acct(AccountSpec(AccountPurpose.team_reward_payable))
        else:
            party = await session.get(Organisation, share.organisation_id)
            expense = await acct(AccountSpec(AccountPurpose.revenue_share_expense))
            payable = await acct(AccountSpec(AccountPurpose.co_builder_payable, counterparty=party))
        lines += [
            entries.debit(expense, amount, institute_id=institute_id),
            entries.credit(payable, amount, institute_id=institute_id),
        ]
    return lines
