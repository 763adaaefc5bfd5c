"""Reconciliation of bank and Stripe statements with the ledger (issue 15; docs/reconciliation.md).

`profiles` (reading statements as streams: Chinese online-banking CSV/Excel layouts, a generic
CSV, camt.053, Stripe's CSV), `imports` (files and Stripe's API into a bank account, each line
once), `checks` (statement balances against the ledger), `matching` (the automatic rules, manual
matches, reversals), `report` (the work queue, the period's report, the period-close guard).
"""

from services.reconciliation import checks, imports, matching, profiles, report
from services.reconciliation.imports import (
    ImportInput,
    ImportResult,
    ImportTooLarge,
    StatementAlreadyImported,
    StripeSyncInput,
    import_file,
    import_into,
    stripe_sync,
)
from services.reconciliation.matching import (
    Adjustment,
    Allocation,
    LineAlreadyMatched,
    LineNotFound,
    MatchAlreadyReversed,
    MatchInput,
    MatchNotFound,
    PaymentAlreadyMatched,
    SidesDiffer,
    auto_match,
    match,
    reverse,
)
from services.reconciliation.profiles import UnreadableStatement
from services.reconciliation.report import BalanceCheckFailed, close_period

__all__ = [
    "Adjustment",
    "Allocation",
    "BalanceCheckFailed",
    "ImportInput",
    "ImportResult",
    "ImportTooLarge",
    "LineAlreadyMatched",
    "LineNotFound",
    "MatchAlreadyReversed",
    "MatchInput",
    "MatchNotFound",
    "PaymentAlreadyMatched",
    "SidesDiffer",
    "StatementAlreadyImported",
    "StripeSyncInput",
    "UnreadableStatement",
    "auto_match",
    "checks",
    "close_period",
    "import_file",
    "import_into",
    "imports",
    "match",
    "matching",
    "profiles",
    "report",
    "reverse",
    "stripe_sync",
]
