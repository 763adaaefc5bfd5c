"""Notifications on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from api.schemas.common import OutputModel


class NotificationRead(OutputModel):
    id: uuid.UUID
    kind: str = Field(
        description="Event name: problem.invited, problem.nda_accepted, question.asked, question.answered, "
        "proposal.received, proposal.revised, proposal.withdrawn, proposal.accepted, proposal.declined; "
        "other areas add their own",
        examples=["proposal.received"],
    )
    title: str
    body: str
    organisation_id: uuid.UUID | None = Field(description="The organisation on whose behalf you are told")
    subject_type: str | None = Field(description="What it is about: problem, proposal, contract, ...")
    subject_id: uuid.UUID | None
    read: bool
    read_at: datetime | None
    created_at: datetime
