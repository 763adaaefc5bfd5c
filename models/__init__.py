"""SQLAlchemy tables. Every model module is imported here so Alembic sees the whole schema."""

from models import auth, bookings, catalogue, contracts, idempotency, notifications, organisations, problems  # noqa: F401
from models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
