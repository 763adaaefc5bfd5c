"""Settlements: what clients owe centres, what they paid, and how each receipt is shared (issue 13).

`core` (visibility, numbers, policy), `accrual` (`owe`: a settlement and its accrual entry, called
by bookings and contracts when money becomes owed; `recognise` for advances), `payments` (offline
receipts, write-offs, reversals; `receive`, `share_receipt` and `undo_receipt` for the other channels),
`allocation` (co-builders' shares and the team reward).
"""

from services.settlements.accrual import Owed, owe, recognise
from services.settlements.core import (
    Overpayment,
    SettlementClosed,
    SettlementNotFound,
    get,
    list_visible,
    visible_settlements,
)
from services.settlements.payments import (
    DuplicateBankReference,
    EntryNotReversible,
    OfflinePaymentInput,
    PaymentAlreadyReversed,
    PaymentNotFound,
    Receipt,
    allocation_of,
    payments_of,
    receive,
    record_offline,
    reverse_entry,
    share_receipt,
    undo_receipt,
    write_off,
)

__all__ = [
    "DuplicateBankReference",
    "EntryNotReversible",
    "OfflinePaymentInput",
    "Overpayment",
    "Owed",
    "PaymentAlreadyReversed",
    "PaymentNotFound",
    "Receipt",
    "SettlementClosed",
    "SettlementNotFound",
    "allocation_of",
    "get",
    "list_visible",
    "owe",
    "payments_of",
    "receive",
    "recognise",
    "record_offline",
    "reverse_entry",
    "share_receipt",
    "undo_receipt",
    "visible_settlements",
    "write_off",
]
