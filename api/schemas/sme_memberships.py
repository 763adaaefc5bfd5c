"""SME membership tiers with a centre on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from api.schemas.common import Day, InputModel, OutputModel
from models.enums import (
    MembershipTier,
)


class SmeMembershipCreate(InputModel):
    sme_id: uuid.UUID
    tier: MembershipTier
    valid_from: Day
    valid_until: Day | None = Field(default=None, description="Last day (inclusive); open-ended when absent")


class SmeMembershipRead(OutputModel):
    id: uuid.UUID
    centre_id: uuid.UUID
    sme_id: uuid.UUID
    tier: MembershipTier
    valid_from: date
    valid_until: date | None
    created_at: datetime
