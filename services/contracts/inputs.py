"""What the contract services take: typed inputs, built by the wire schemas (api/schemas/contracts.py)
and by other areas and the demo data.

A change (`ContractChanges`, `AmendmentInput`) leaves a field it does not touch `UNSET`; `None`
means "clear it" where that is allowed. What is stored stays plain JSON (the IP terms and each
version's body), so the canonical document renders from the same bytes as before.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Final

from models.enums import BilledOn, ContractType, LicenceKind


class Unset(enum.Enum):
    """The type of `UNSET`: a field a change leaves as it is."""

    token = "unset"


UNSET: Final = Unset.token


@dataclass(frozen=True)
class Amount:
    """Money: integer minor units and an ISO 4217 currency."""

    amount: int
    currency: str


@dataclass(frozen=True)
class MilestoneInput:
    title: str
    amount: int
    currency: str
    due_offset_days: int | None
    billed_on: BilledOn = BilledOn.acceptance


@dataclass(frozen=True)
class ContractInput:
    """A contract drafted directly by provider staff, or to transfer or license one of their results."""

    contract_type: ContractType
    title: str
    client_org_id: uuid.UUID
    value: Amount
    milestones: Sequence[MilestoneInput]
    scope: str | None = None
    provider_org_id: uuid.UUID | None = None
    co_builder_org_ids: Sequence[uuid.UUID] = ()
    technology_portion: Amount | None = None
    start_date: date | None = None
    end_date: date | None = None
    confidentiality_months: int | None = None
    pilot_result_id: uuid.UUID | None = None


@dataclass(frozen=True)
class _Change:
    def given(self) -> list[str]:
        """The names of the fields this change sets (those not left UNSET)."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not UNSET]


@dataclass(frozen=True)
class ContractChanges(_Change):
    """An edit of a draft (and of the registration fields, at any time)."""

    title: str | Unset | None = UNSET
    scope: str | Unset | None = UNSET
    co_builder_org_ids: Sequence[uuid.UUID] | Unset | None = UNSET
    value: Amount | Unset | None = UNSET
    technology_portion: Amount | Unset | None = UNSET
    start_date: date | Unset | None = UNSET
    end_date: date | Unset | None = UNSET
    confidentiality_months: int | Unset | None = UNSET
    milestones: Sequence[MilestoneInput] | Unset | None = UNSET
    registration_number: str | Unset | None = UNSET
    registration_date: date | Unset | None = UNSET
    registration_registry: str | Unset | None = UNSET
    vat_exempt: bool | Unset | None = UNSET


@dataclass(frozen=True)
class BackgroundIpInput:
    organisation_id: uuid.UUID
    pilot_result_id: uuid.UUID | None = None
    patent_numbers: Sequence[str] = ()
    description: str | None = None


@dataclass(frozen=True)
class ShareInput:
    organisation_id: uuid.UUID
    bps: int


@dataclass(frozen=True)
class LicenceInput:
    licensee_org_id: uuid.UUID
    kind: LicenceKind
    field_of_use: str
    territory: str
    starts_on: date
    pilot_result_id: uuid.UUID | None = None  # default: the contract's pilot result
    ends_on: date | None = None  # exclusive; None: until the rights lapse
    sublicensable: bool = False


@dataclass(frozen=True)
class IpTermsInput:
    """IP terms as agreed; `team_reward_bps` None takes the provider's default."""

    new_ip_ownership: Sequence[ShareInput]
    revenue_shares: Sequence[ShareInput]
    background_ip: Sequence[BackgroundIpInput] = ()
    licences: Sequence[LicenceInput] = ()
    team_reward_bps: int | None = None
    publication_rights: str | None = None


@dataclass(frozen=True)
class AmendmentInput(_Change):
    """A proposed new version: why, and the terms it changes (`milestones` is the full new list)."""

    reason: str
    title: str | Unset | None = UNSET
    scope: str | Unset | None = UNSET
    value: Amount | Unset | None = UNSET
    technology_portion: Amount | Unset | None = UNSET
    start_date: date | Unset | None = UNSET
    end_date: date | Unset | None = UNSET
    confidentiality_months: int | Unset | None = UNSET
    milestones: Sequence[MilestoneInput] | Unset | None = UNSET
    ip_terms: IpTermsInput | Unset | None = UNSET
