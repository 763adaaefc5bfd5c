"""Notifications on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from api.schemas.common import OutputModel
from models.notifications import Notification


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


def notification_read(n: Notification) -> NotificationRead:
    return NotificationRead(
        id=n.id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        organisation_id=n.organisation_id,
        subject_type=n.subject_type,
        subject_id=n.subject_id,
        read=n.read_at is not None,
        read_at=n.read_at,
        created_at=n.created_at,
    )
