"""send(): each notice worded from its row of the table, told once to each recipient (named users
and the members of organisations holding the notice's roles), in the caller's transaction."""

from __future__ import annotations

import uuid
from pathlib import Path
from string import Formatter

import pytest
from sqlalchemy import func, select

from models.enums import OrganisationKind, Role
from models.notifications import Notification
from services import notifications
from services.notifications import NOTICES, Notice
from tests.factories.organisations import create_org, create_user


class TestSend:
    async def test_members_with_the_notices_roles_are_told_once_and_the_actor_is_skipped(self, db, app):
        centre = await create_org(db, OrganisationKind.centre)
        staff = await create_user(db, app, (centre, Role.centre_staff))
        manager = await create_user(db, app, (centre, Role.centre_manager))
        finance = await create_user(db, app, (centre, Role.finance))
        async with db.session_scope() as session:
            rows = await notifications.send(
                session,
                Notice.proposal_accepted,  # to provider staff: centre_staff and centre_manager
                about="高镍正极包覆",
                subject_id=uuid.uuid4(),
                user_ids=[staff.id],
                organisation_ids=[centre.id],
                exclude_user_ids=[manager.id],
            )
        assert sorted(r.user_id for r in rows) == [staff.id]
        assert rows[0].organisation_id == centre.id
        assert (rows[0].kind, rows[0].subject_type) == ("proposal.accepted", "contract")
        async with db.session_scope() as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == 1
        assert finance.id not in [r.user_id for r in rows]

    async def test_a_notice_for_every_member_reaches_every_member(self, db, app):
        sme = await create_org(db, OrganisationKind.sme)
        a = await create_user(db, app, (sme, Role.sme_admin))
        b = await create_user(db, app, (sme, Role.sme_member))
        async with db.session_scope() as session:
            rows = await notifications.send(
                session, Notice.contract_completed, about="合同", subject_id=uuid.uuid4(), organisation_ids=[sme.id]
            )
        assert sorted(r.user_id for r in rows) == sorted([a.id, b.id])

    async def test_a_rolled_back_change_leaves_no_notification(self, db, app):
        sme = await create_org(db, OrganisationKind.sme)
        await create_user(db, app, (sme, Role.sme_admin))
        try:
            async with db.session_scope() as session:
                await notifications.send(
                    session, Notice.contract_completed, about="合同", subject_id=uuid.uuid4(), organisation_ids=[sme.id]
                )
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        async with db.session_scope() as session:
            assert await session.scalar(select(func.count()).select_from(Notification)) == 0


class TestWording:
    def test_a_variant_is_stored_under_its_kind(self):
        assert Notice.proposal_declined_problem_closed.kind == "proposal.declined"
        assert Notice.booking_cancelled_by_centre.kind == "booking.cancelled"

    def test_title_and_body_are_chinese_then_english_with_the_senders_text_last(self):
        title, body = notifications.render(
            Notice.proposal_received, "高镍正极材料循环寿命不足", price="800,000.00 CNY", days=180
        )
        assert title == "收到新方案 New proposal：高镍正极材料循环寿命不足"
        assert body == "报价 800,000.00 CNY，周期 180 天。 Price 800,000.00 CNY, 180 days."
        _, with_reason = notifications.render(Notice.contract_terminated, "合同", text="原因 / Reason: 预算取消")
        assert with_reason.endswith("\n原因 / Reason: 预算取消")

    @pytest.mark.parametrize("notice", list(Notice))
    def test_every_notice_has_a_row_and_renders_from_its_own_fields(self, notice):
        template = NOTICES[notice]
        names = {
            name for part in (*template.title, *template.body) for _, name, _, _ in Formatter().parse(part) if name
        }
        title, body = notifications.render(notice, "主题", **dict.fromkeys(names, "值"))
        assert title.endswith("：主题") and "{" not in title + body and body

    def test_the_docs_list_every_kind(self):
        docs = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text(encoding="utf-8")
        missing = sorted({n.kind for n in Notice if f"`{n.kind}`" not in docs})
        assert missing == []
