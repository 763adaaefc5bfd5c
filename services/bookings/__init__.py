"""Instrument bookings (issue 5): booking and its states, trainings, waitlist, calendar feed.

`services.bookings` re-exports the public names of its modules, so callers write
`bookings.create(...)`, `bookings.amount_owed(...)`, `bookings.trainings.record(...)`.
"""

from services.bookings import calendar, pricing, trainings, waitlist
from services.bookings.core import (
    BookedInstrument,
    BookingInput,
    BookingNotFound,
    BookingOverlap,
    BookingRuleViolated,
    BookingView,
    InstrumentNotBookable,
    InvalidBookingTransition,
    NoRateForCustomer,
    NotStaffOfInstrument,
    get,
    list_visible,
    view,
    views,
    visible_bookings,
)
from services.bookings.planning import Plan, conflicts, create, is_overlap_violation, plan
from services.bookings.rules import MAX_WEEKLY_OCCURRENCES
from services.bookings.states import Owed, amount_owed, cancel, complete, confirm, mark_no_show, record_charge, reject

__all__ = [
    "MAX_WEEKLY_OCCURRENCES",
    "BookedInstrument",
    "BookingInput",
    "BookingNotFound",
    "BookingOverlap",
    "BookingRuleViolated",
    "BookingView",
    "InstrumentNotBookable",
    "InvalidBookingTransition",
    "NoRateForCustomer",
    "NotStaffOfInstrument",
    "Owed",
    "Plan",
    "amount_owed",
    "calendar",
    "cancel",
    "complete",
    "confirm",
    "conflicts",
    "create",
    "get",
    "is_overlap_violation",
    "list_visible",
    "mark_no_show",
    "plan",
    "pricing",
    "record_charge",
    "reject",
    "trainings",
    "view",
    "views",
    "visible_bookings",
    "waitlist",
]
