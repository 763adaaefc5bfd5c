"""Innovation vouchers (科技创新券, issue 14; docs/vouchers.md).

`programmes` (a government organisation's programmes and the vouchers it issues to SMEs),
`redemptions` (a voucher's share of a settlement, every rule checked under the rows' locks; cancelling
one), `claims` (the centre's claims to the issuer with their evidence: approve, reject, pay).
"""

from services.vouchers import claims, programmes, redemptions
from services.vouchers.claims import (
    ClaimInput,
    ClaimNotFound,
    ClaimState,
    NotClaimable,
    PayInput,
    approve,
    get_claim,
    list_claims,
    pay,
    reject,
    submit,
)
from services.vouchers.programmes import (
    BudgetExhausted,
    IssueInput,
    ProgrammeChange,
    ProgrammeEnded,
    ProgrammeInput,
    ProgrammeNotFound,
    create,
    get,
    issue,
    list_programmes,
    list_vouchers,
    update,
)
from services.vouchers.redemptions import (
    RULES,
    RedemptionInput,
    RedemptionNotFound,
    RedemptionRefused,
    RedemptionState,
    cancel,
    redeem,
    redemptions_of,
)

__all__ = [
    "RULES",
    "BudgetExhausted",
    "ClaimInput",
    "ClaimNotFound",
    "ClaimState",
    "IssueInput",
    "NotClaimable",
    "PayInput",
    "ProgrammeChange",
    "ProgrammeEnded",
    "ProgrammeInput",
    "ProgrammeNotFound",
    "RedemptionInput",
    "RedemptionNotFound",
    "RedemptionRefused",
    "RedemptionState",
    "approve",
    "cancel",
    "claims",
    "create",
    "get",
    "get_claim",
    "issue",
    "list_claims",
    "list_programmes",
    "list_vouchers",
    "pay",
    "programmes",
    "redeem",
    "redemptions",
    "redemptions_of",
    "reject",
    "submit",
    "update",
]
