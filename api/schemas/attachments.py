"""Listing attachments on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime

from api.schemas.common import OutputModel


class AttachmentRead(OutputModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
