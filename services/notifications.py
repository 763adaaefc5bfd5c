"""In-app notifications: `notify` writes them in the caller's transaction; users read their own.

Any area tells people about a change by calling `notify(session, ...)` in the same session as
the change, so the notification commits (or rolls back) with it. Recipients are named directly
(`user_ids`) or as the members of organisations, optionally only those holding some roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import Role
from models.notifications import Notification
from models.organisations import Membership, User
from services import clock
from services.actors import Actor
from services.errors import NotFound
from services.pagination import Page, SortKey, paginate


class NotificationNotFound(NotFound):
    title = "Notification not found"
    slug = "notification-not-found"


async def notify(
    session: AsyncSession,
    *,
    kind: str,
    title: str,
    body: str,
    user_ids: Iterable[uuid.UUID] = (),
    organisation_ids: Iterable[uuid.UUID] = (),
    roles: Iterable[Role] | None = None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    exclude_user_ids: Iterable[uuid.UUID] = (),
) -> list[Notification]:
    """Notify the given users and the (active) members of the given organisations holding `roles`.

    Each person is notified once even when reached several ways; `exclude_user_ids` (typically the
    actor who made the change) are skipped. Returns the rows added (flushed, not committed).
    """
    recipients: dict[uuid.UUID, uuid.UUID | None] = {u: None for u in user_ids}
    org_ids = list(dict.fromkeys(organisation_ids))
    if org_ids:
        stmt = (
            select(Membership.user_id, Membership.organisation_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organisation_id.in_(org_ids), User.is_active.is_(True))
            .order_by(Membership.organisation_id, Membership.user_id)
        )
        if roles is not None:
            stmt = stmt.where(Membership.role.in_(list(roles)))
        for user_id, organisation_id in (await session.execute(stmt)).all():
            if recipients.get(user_id) is None:
                recipients[user_id] = organisation_id
    for user_id in exclude_user_ids:
        recipients.pop(user_id, None)
    rows = [
        Notification(
            user_id=user_id,
            organisation_id=organisation_id,
            kind=kind,
            title=title[:200],
            body=body[:2000],
            subject_type=subject_type,
            subject_id=subject_id,
        )
        for user_id, organisation_id in recipients.items()
    ]
    session.add_all(rows)
    await session.flush()
    return rows


def visible_notifications(actor: Actor) -> Select[tuple[Notification]]:
    """A user's own notifications, nobody else's (not even a platform admin's)."""
    return select(Notification).where(Notification.user_id == actor.user_id)


async def list_own(
    session: AsyncSession, actor: Actor, *, unread: bool | None, limit: int, cursor: str | None
) -> Page[Notification]:
    """The caller's notifications, newest first; `unread=True` only unread, `False` only read."""
    stmt = visible_notifications(actor)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return await paginate(session, stmt, [SortKey(Notification.id, descending=True)], limit=limit, cursor=cursor)


async def mark_read(session: AsyncSession, actor: Actor, notification_id: uuid.UUID) -> Notification:
    """Mark one of the caller's notifications read (again is a no-op keeping the first time)."""
    row = await session.scalar(visible_notifications(actor).where(Notification.id == notification_id))
    if row is None:
        raise NotificationNotFound()
    if row.read_at is None:
        row.read_at = clock.now()
        await session.flush()
    return row
