"""Files attached to catalogue listings: list, upload (owner's staff), download, remove."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import API_PREFIX, CurrentActor, OptionalActor, SessionDep, SettingsDep
from api.errors import problem
from api.schemas.attachments import AttachmentRead
from models.attachments import Attachment
from services import attachments, catalogue
from services.errors import RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/catalogue", tags=["catalogue"])


@router.get(
    "/listings/{listing_id}/attachments",
    operation_id="listAttachments",
    response_model=list[AttachmentRead],
    responses={404: problem(catalogue.ListingNotFound)},
)
async def list_attachments(listing_id: uuid.UUID, actor: OptionalActor, session: SessionDep) -> list[Attachment]:
    """Files attached to a visible listing (any kind), oldest first."""
    return await attachments.list_for(session, actor, listing_id)


@router.post(
    "/listings/{listing_id}/attachments",
    operation_id="addAttachment",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentRead,
    responses={
        403: problem(RoleNotAllowed),
        404: problem(catalogue.ListingNotFound),
        413: problem(attachments.AttachmentTooLarge),
        422: problem(attachments.UnsupportedAttachmentType),
    },
)
async def add_attachment(
    listing_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, WebP, .docx, .xlsx or UTF-8 text/CSV")],
) -> Attachment:
    """Attach a file to a listing (owner's staff); its type is judged from its content."""
    data = await file.read(settings.attachment_max_bytes + 1)
    attachment = await attachments.add(
        session,
        actor,
        listing_id,
        filename=file.filename,
        data=data,
        directory=settings.attachments_dir,
        max_bytes=settings.attachment_max_bytes,
    )
    response.headers["Location"] = f"/api/v1/catalogue/attachments/{attachment.id}"
    return attachment


@router.get(
    "/attachments/{attachment_id}",
    operation_id="downloadAttachment",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: problem(attachments.AttachmentNotFound)},
)
async def download_attachment(
    attachment_id: uuid.UUID, actor: OptionalActor, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """The file, with the content type judged at upload, if its listing is visible to the caller."""
    attachment, path = await attachments.open_file(session, actor, attachment_id, directory=settings.attachments_dir)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=300",
        },
    )


@router.delete(
    "/attachments/{attachment_id}",
    operation_id="removeAttachment",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: problem(RoleNotAllowed), 404: problem(attachments.AttachmentNotFound)},
)
async def remove_attachment(
    attachment_id: uuid.UUID, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> None:
    """Delete an attachment (owner's staff)."""
    await attachments.remove(session, actor, attachment_id, directory=settings.attachments_dir)
