"""The caller's in-app notifications."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import API_PREFIX, CurrentActor, PageDep, SessionDep
from api.errors import problem
from api.schemas.common import Page
from api.schemas.notifications import NotificationRead, notification_read
from services import notifications

router = APIRouter(prefix=f"{API_PREFIX}/notifications", tags=["notifications"])


@router.get("", operation_id="listNotifications", response_model=Page[NotificationRead])
async def list_notifications(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    unread: Annotated[bool | None, Query(description="true: only unread; false: only read; omitted: all")] = None,
) -> Page[NotificationRead]:
    """Your notifications, newest first."""
    result = await notifications.list_own(session, actor, unread=unread, limit=page.limit, cursor=page.cursor)
    return Page[NotificationRead](items=[notification_read(n) for n in result.items], next_cursor=result.next_cursor)


@router.post(
    "/{notification_id}/read",
    operation_id="markNotificationRead",
    response_model=NotificationRead,
    responses={404: problem(notifications.NotificationNotFound)},
)
async def mark_read(notification_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> NotificationRead:
    """Mark one of your notifications read (repeating it keeps the first time)."""
    return notification_read(await notifications.mark_read(session, actor, notification_id))
