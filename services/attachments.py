"""Files attached to listings (datasheets, images), stored on local disk.

The type is sniffed from the content (never trusted from the client): PDF, PNG, JPEG, WebP,
Word (.docx) and Excel (.xlsx) documents, and UTF-8 text/CSV. Files live under
`settings.attachments_dir/<listing id>/<attachment id>`; the client's filename is kept only as
metadata. Anyone who can see the listing reads its attachments; its owner's staff manage them.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
import zipfile
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.attachments import Attachment
from models.base import uuid7
from models.catalogue import Listing
from services import catalogue
from services.actors import Actor
from services.errors import Invalid, NotFound, PayloadTooLarge

MAX_PER_LISTING = 20


class AttachmentNotFound(NotFound):
    title = "Attachment not found"
    slug = "attachment-not-found"


class AttachmentTooLarge(PayloadTooLarge):
    title = "The file is larger than attachments may be"
    slug = "attachment-too-large"


class UnsupportedAttachmentType(Invalid):
    title = "This kind of file cannot be attached"
    slug = "unsupported-attachment-type"


def sniff(data: bytes, filename: str) -> str | None:
    """The content type judged from the bytes, or None when not an accepted kind."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/csv; charset=utf-8" if filename.lower().endswith(".csv") else "text/plain; charset=utf-8"
    return None


def _clean_filename(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    return name or "attachment"


def path_of(directory: Path, attachment: Attachment) -> Path:
    return directory / attachment.storage_key


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)


# Files written or deleted by a session's transaction, settled when it ends: a file written for a
# transaction that rolls back is removed; a file whose row was deleted goes only once that commits.
_WRITTEN, _DELETED = "ttm.attachment_files_written", "ttm.attachment_files_deleted"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DELETED, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DELETED, None)
    for path in session.info.pop(_WRITTEN, ()):
        path.unlink(missing_ok=True)


async def add(
    session: AsyncSession,
    actor: Actor,
    listing_id: uuid.UUID,
    *,
    filename: str | None,
    data: bytes,
    directory: Path,
    max_bytes: int,
) -> Attachment:
    """Store a file on a listing the actor's organisation owns."""
    listing = await catalogue.LISTINGS.owned(session, actor, listing_id)
    if len(data) > max_bytes:
        raise AttachmentTooLarge(f"attachments may be at most {max_bytes} bytes")
    if not data:
        raise Invalid("the file is empty", loc=["body", "file"])
    name = _clean_filename(filename)
    content_type = sniff(data, name)
    if content_type is None:
        raise UnsupportedAttachmentType(
            "attach PDF, PNG, JPEG, WebP, .docx, .xlsx or UTF-8 text/CSV files", loc=["body", "file"]
        )
    count = len((await session.scalars(select(Attachment.id).where(Attachment.listing_id == listing.id))).all())
    if count >= MAX_PER_LISTING:
        raise Invalid(f"a listing holds at most {MAX_PER_LISTING} attachments", loc=["body", "file"])
    attachment_id = uuid7()
    attachment = Attachment(
        id=attachment_id,
        listing_id=listing.id,
        filename=name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=f"{listing.id.hex}/{attachment_id.hex}",
        created_by=actor.user_id,
    )
    path = path_of(directory, attachment)
    await asyncio.to_thread(_write, path, data)
    session.sync_session.info.setdefault(_WRITTEN, []).append(path)
    session.add(attachment)
    await session.flush()
    return attachment


async def list_for(session: AsyncSession, actor: Actor | None, listing_id: uuid.UUID) -> list[Attachment]:
    """Attachments of a visible listing, oldest first."""
    listing = await catalogue.LISTINGS.get(session, actor, listing_id)
    rows = await session.scalars(
        select(Attachment).where(Attachment.listing_id == listing.id).order_by(Attachment.created_at, Attachment.id)
    )
    return list(rows)


async def _visible_attachment(session: AsyncSession, actor: Actor | None, attachment_id: uuid.UUID) -> Attachment:
    attachment = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.listing_id.in_(catalogue.visible_listings(actor).with_only_columns(Listing.id)),
        )
    )
    if attachment is None:
        raise AttachmentNotFound()
    return attachment


async def open_file(
    session: AsyncSession, actor: Actor | None, attachment_id: uuid.UUID, *, directory: Path
) -> tuple[Attachment, Path]:
    """An attachment of a visible listing and where its bytes are."""
    attachment = await _visible_attachment(session, actor, attachment_id)
    path = path_of(directory, attachment)
    if not path.is_file():
        raise AttachmentNotFound("the file is missing from storage")
    return attachment, path


async def remove(session: AsyncSession, actor: Actor, attachment_id: uuid.UUID, *, directory: Path) -> None:
    """Delete an attachment (owner staff); the file goes with it."""
    attachment = await _visible_attachment(session, actor, attachment_id)
    await catalogue.LISTINGS.owned(session, actor, attachment.listing_id)
    path = path_of(directory, attachment)
    await session.delete(attachment)
    await session.flush()
    session.sync_session.info.setdefault(_DELETED, []).append(path)
