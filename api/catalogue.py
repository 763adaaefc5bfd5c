"""One search across the catalogue, and the files attached to listings."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import CurrentActor, OptionalActor, SessionDep, SettingsDep
from api.errors import problem
from api.schemas.catalogue import AttachmentRead, SearchHit, SearchParams
from api.schemas.common import Page
from models.catalogue import Attachment
from services import attachments, catalogue, search
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix="/catalogue", tags=["catalogue"])


SearchPage = Page[SearchHit]


def _hit(row) -> dict:
    hit = dict(row)
    hit.pop("seq", None)
    amount, currency = hit.pop("price_amount"), hit.pop("price_currency")
    hit["price"] = None if amount is None else {"amount": amount, "currency": currency}
    return hit


@router.get("/search", response_model=Page[SearchHit], responses={422: problem(Invalid)})
async def search_catalogue(request: Request, params: Annotated[SearchParams, Query()]) -> Response:
    """Search published pilot-scale results, instruments and service offers in Chinese and English
    (jieba-segmented full text) with filters; anyone may search."""
    query = search.SearchQuery(
        q=params.q,
        kind=params.kind,
        field=params.field,
        region=params.region,
        centre_id=params.centre_id,
        trl_min=params.trl_min,
        price_max=params.price_max,
        currency=params.currency,
        transfer_mode=params.transfer_mode,
        sort=params.sort,
    )
    # One statement on a read connection (no session, no dependency to solve; services/db.py):
    # search is the same for everyone, signed in or not.
    result = await search.search(request.app.state.db, query, limit=params.limit, cursor=params.cursor)
    # Validated and serialised once, in pydantic-core (the response_model above documents it).
    body = SearchPage.model_validate({"items": [_hit(r) for r in result.items], "next_cursor": result.next_cursor})
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/listings/{listing_id}/attachments",
    response_model=list[AttachmentRead],
    responses={404: problem(catalogue.ListingNotFound)},
)
async def list_attachments(listing_id: uuid.UUID, actor: OptionalActor, session: SessionDep) -> list[Attachment]:
    """Files attached to a visible listing (any kind), oldest first."""
    return await attachments.list_for(session, actor, listing_id)


@router.post(
    "/listings/{listing_id}/attachments",
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
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: problem(RoleNotAllowed), 404: problem(attachments.AttachmentNotFound)},
)
async def remove_attachment(
    attachment_id: uuid.UUID, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> None:
    """Delete an attachment (owner's staff)."""
    await attachments.remove(session, actor, attachment_id, directory=settings.attachments_dir)
