"""Notifications on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, JsonValue

from api.schemas.common import OutputModel
from models.notifications import Notification
from services.notifications import Notice

# The kinds stored and sent (`Notice.kind`: the value without its `:variant`), in the order of the table.
NOTICE_KINDS: list[JsonValue] = list(dict.fromkeys(n.kind for n in Notice))


class NotificationRead(OutputModel):
    id: uuid.UUID
    kind: str = Field(
        description="What happened (docs/notifications.md); a closed set, one value per kind of notice",
        examples=["proposal.received"],
        json_schema_extra={"enum": NOTICE_KINDS},
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
