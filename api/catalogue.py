"""One search across the catalogue, and the files attached to listings."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import CurrentActor, OptionalActor, PageDep, SessionDep, SettingsDep
from api.errors import problem
from api.schemas.catalogue import AttachmentRead, SearchHit
from api.schemas.common import Page
from models.catalogue import Attachment
from models.enums import ListingKind, TechField, TransferMode
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
async def search_catalogue(
    request: Request,
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in Chinese or English; every word must match")
    ] = None,
    kind: Annotated[ListingKind | None, Query(description="Only this kind of listing")] = None,
    field: Annotated[TechField | None, Query(description="Only listings in this technical field")] = None,
    region: Annotated[
        str | None,
        Query(pattern=r"^\d{2}(\d{2}){0,2}$", description="GB/T 2260 code or prefix: 32, 3205, 320500 or 320000"),
    ] = None,
    centre_id: Annotated[uuid.UUID | None, Query(description="Listings of this centre and its institutes")] = None,
    trl_min: Annotated[int | None, Query(ge=1, le=9, description="Pilot-scale results with at least this TRL")] = None,
    price_max: Annotated[
        int | None, Query(ge=0, description="Highest price in minor units (listings without a price are left out)")
    ] = None,
    currency: Annotated[str, Query(pattern="^[A-Z]{3}$", description="Currency of price_max")] = "CNY",
    transfer_mode: Annotated[TransferMode | None, Query(description="Results offering this transfer mode")] = None,
    sort: Annotated[
        Literal["relevance", "newest", "price"],
        Query(description="relevance (newest without q), newest, or price ascending (no price last)"),
    ] = "relevance",
) -> Response:
    """Search published pilot-scale results, instruments and service offers in Chinese and English
    (jieba-segmented full text) with filters; anyone may search."""
    query = search.SearchQuery(
        q=q,
        kind=kind,
        field=field,
        region=region,
        centre_id=centre_id,
        trl_min=trl_min,
        price_max=price_max,
        currency=currency,
        transfer_mode=transfer_mode,
        sort=sort,
    )
    # A read session opened here rather than injected: solving the dependency cost more than it.
    async with request.app.state.db.read_session() as session:
        result = await search.search(session, query, limit=page.limit, cursor=page.cursor)
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
