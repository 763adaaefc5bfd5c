"""Pilot-scale results (中试成果): a listing kind with TRL, pilot data, IP assets and transfer modes."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.catalogue import Listing
from models.enums import (
    ListingKind,
    TransferMode,
)


class PilotResult(Listing):
    __tablename__ = "pilot_results"
    __table_args__: tuple[Any, ...] = (CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),)
    # Class configuration, which SQLAlchemy's typing declares an instance attribute.
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": ListingKind.pilot_result}  # type: ignore[misc]

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    trl: Mapped[int] = mapped_column(SmallInteger, index=True)
    pilot_scale: Mapped[str | None] = mapped_column(String(200))
    # [{"name": "比容量", "value": "205", "unit": "mAh/g"}, ...]
    key_metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"number": "ZL202310123456.6", "status": "granted", "title": "..."}, ...]
    ip_assets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transfer_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_negotiable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PilotResultTransferMode(Base):
    """One transfer mode a result offers, for the search filter."""

    __tablename__ = "pilot_result_transfer_modes"
    __table_args__: tuple[Any, ...] = (Index("ix_pilot_result_transfer_modes_mode_result", "mode", "pilot_result_id"),)

    pilot_result_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pilot_results.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[TransferMode] = mapped_column(enum_column(TransferMode, "transfer_mode"), primary_key=True)
