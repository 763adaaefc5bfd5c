"""SQLAlchemy tables. Every model module is imported here so Alembic sees the whole schema."""

from models import (  # noqa: F401
    attachments,
    auth,
    bookings,
    card_payments,
    catalogue,
    contracts,
    idempotency,
    instruments,
    ledger,
    notifications,
    organisations,
    pilot_results,
    problems,
    proposals,
    reconciliation,
    service_offers,
    service_requests,
    settlements,
    sme_memberships,
    vouchers,
)
from models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
