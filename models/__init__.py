"""SQLAlchemy tables. Every model module is imported here so Alembic sees the whole schema."""

from models import (  # noqa: F401
    auth,
    bookings,
    catalogue,
    contracts,
    idempotency,
    notifications,
    organisations,
    problems,
    service_requests,
)
from models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
