"""notify(): recipients by user and by organisation role, once each, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from models.enums import OrganisationKind, Role
from models.notifications import Notification
from services import notifications
from tests.factories.organisations import create_org, create_user


class TestNotify:
    async def test_members_with_the_roles_are_told_once_and_the_actor_is_skipped(self, db, app):
        centre = await create_org(db, OrganisationKind.centre)
        staff = await create_user(db, app, (centre, Role.centre_staff))
        manager = await create_user(db, app, (centre, Role.centre_manager))
        finance = await create_user(db, app, (centre, Role.finance))
        async with db.session_scope() as session:
            rows = await notifications.notify(
                session,
                kind="test.event",
                title="标题",
                body="正文",
                user_ids=[staff.id],
                organisation_ids=[centre.id],
                roles=[Role.centre_staff, Role.centre_manager],
                exclude_user_ids=[manager.id],
            )
        assert sorted(r.user_id for r in rows) == [staff.id]
        assert rows[0].organisation_id == centre.id
        async with db.session_scope() as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == 1
        assert finance.id not in [r.user_id for r in rows]

    async def test_without_a_role_filter_every_member_is_told(self, db, app):
        sme = await create_org(db, OrganisationKind.sme)
        a = await create_user(db, app, (sme, Role.sme_admin))
        b = await create_user(db, app, (sme, Role.sme_member))
        async with db.session_scope() as session:
            rows = await notifications.notify(session, kind="k", title="t", body="b", organisation_ids=[sme.id])
        assert sorted(r.user_id for r in rows) == sorted([a.id, b.id])

    async def test_a_rolled_back_change_leaves_no_notification(self, db, app):
        sme = await create_org(db, OrganisationKind.sme)
        await create_user(db, app, (sme, Role.sme_admin))
        try:
            async with db.session_scope() as session:
                await notifications.notify(session, kind="k", title="t", body="b", organisation_ids=[sme.id])
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        async with db.session_scope() as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == 0
