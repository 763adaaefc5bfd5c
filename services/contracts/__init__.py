"""Contracts: Civil Code technology contracts with IP terms, signed versions, amendments, milestones.

A package (core, terms, rendering, versions, drafts, milestones) re-exporting its public names:
`from services import contracts` … `contracts.sign(...)`.
"""

from services.contracts.core import (
    AlreadySigned,
    AmendmentNotAllowed,
    ContractClosed,
    ContractNotActive,
    ContractNotFound,
    ContractVersionSigned,
    DocumentChanged,
    ExclusiveLicenceConflict,
    MilestoneNotFound,
    MilestoneStateConflict,
    NotAuthorisedSignatory,
    NotClientMember,
    NothingToSign,
    NotProviderStaff,
    get,
    list_events,
    list_visible,
    visible_contracts,
)
from services.contracts.drafts import MilestoneInput, create, create_draft, set_ip_terms, update
from services.contracts.milestones import accept, amount_owed, deliver, reject, terminate
from services.contracts.terms import STATUTORY_TEAM_REWARD_BPS, team_reward_default
from services.contracts.versions import VersionNotFound, amend, document, list_versions, sign, terms_in_force

__all__ = [
    "STATUTORY_TEAM_REWARD_BPS",
    "AlreadySigned",
    "AmendmentNotAllowed",
    "ContractClosed",
    "ContractNotActive",
    "ContractNotFound",
    "ContractVersionSigned",
    "DocumentChanged",
    "ExclusiveLicenceConflict",
    "MilestoneInput",
    "MilestoneNotFound",
    "MilestoneStateConflict",
    "NotAuthorisedSignatory",
    "NotClientMember",
    "NotProviderStaff",
    "NothingToSign",
    "VersionNotFound",
    "accept",
    "amend",
    "amount_owed",
    "create",
    "create_draft",
    "deliver",
    "document",
    "get",
    "list_events",
    "list_versions",
    "list_visible",
    "reject",
    "set_ip_terms",
    "sign",
    "team_reward_default",
    "terminate",
    "terms_in_force",
    "update",
    "visible_contracts",
]
