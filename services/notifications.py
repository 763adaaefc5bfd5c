"""In-app notifications: `send` writes them in the caller's transaction; users read their own.

Every kind of notice is one row of `NOTICES`: who it is for (the roles told in each organisation
named), what it is about, and its Chinese and English title and body. An area tells people about
a change with `send(session, Notice.x, about=..., subject_id=..., organisation_ids=[...], **params)`
in the same session as the change, so the notification commits (or rolls back) with it.
Recipients are named directly (`user_ids`) or as the members of organisations holding the notice's
roles. docs/notifications.md lists the table (a test keeps the two in step).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import ADMIN_ROLES, PROVIDER_ROLES, SME_ROLES, Role
from models.notifications import Notification
from models.organisations import Membership, User
from services import clock
from services.actors import Actor
from services.errors import NotFound
from services.pagination import Page, SortKey, paginate


class NotificationNotFound(NotFound):
    title = "Notification not found"
    slug = "notification-not-found"


class Notice(StrEnum):
    """Each notice the marketplace sends. The value is the stored `kind`, with `:variant` when one
    kind has several wordings or audiences."""

    problem_invited = "problem.invited"
    problem_nda_accepted = "problem.nda_accepted"
    question_asked = "question.asked"
    question_answered = "question.answered"
    proposal_received = "proposal.received"
    proposal_revised = "proposal.revised"
    proposal_withdrawn = "proposal.withdrawn"
    proposal_accepted = "proposal.accepted"
    proposal_declined = "proposal.declined"
    proposal_declined_problem_closed = "proposal.declined:problem_closed"
    service_request_received = "service_request.received"
    service_request_withdrawn = "service_request.withdrawn"
    service_request_answered = "service_request.answered"
    service_request_accepted = "service_request.accepted"
    service_request_declined = "service_request.declined"
    booking_requested = "booking.requested"
    booking_confirmed = "booking.confirmed"
    booking_rejected = "booking.rejected"
    booking_cancelled = "booking.cancelled"
    booking_cancelled_by_centre = "booking.cancelled:by_centre"
    waitlist_slot_freed = "waitlist.slot_freed"
    contract_sign_requested = "contract.sign_requested"
    contract_amendment_proposed = "contract.sign_requested:amendment"
    contract_activated = "contract.activated"
    contract_amendment_in_force = "contract.amendment_in_force"
    contract_milestone_delivered = "contract.milestone_delivered"
    contract_milestone_accepted = "contract.milestone_accepted"
    contract_milestone_rejected = "contract.milestone_rejected"
    contract_completed = "contract.completed"
    contract_terminated = "contract.terminated"
    card_payment_flagged = "payment.flagged"
    voucher_claim_submitted = "voucher_claim.submitted"
    voucher_claim_approved = "voucher_claim.approved"
    voucher_claim_rejected = "voucher_claim.rejected"
    voucher_claim_paid = "voucher_claim.paid"
    voucher_share_returned = "voucher_redemption.returned"

    @property
    def kind(self) -> str:
        """The stored kind (clients filter and route on it)."""
        return self.value.split(":", 1)[0]


@dataclass(frozen=True)
class Template:
    to: str  # who is told, in words (docs/notifications.md)
    roles: frozenset[Role] | None  # roles told in each organisation named; None: every member
    subject_type: str  # what a client links to
    title: tuple[str, str]  # Chinese, English; `：{about}` follows
    body: tuple[str, str]  # Chinese, English; may use the call's params


_PROVIDERS, _SMES, _SIGNATORIES = PROVIDER_ROLES, SME_ROLES, ADMIN_ROLES
_FINANCE = frozenset({Role.finance})
_ISSUERS = frozenset({Role.issuer_officer, Role.issuer_admin})
_PRICE = ("报价 {price}，周期 {days} 天。", "Price {price}, {days} days.")

NOTICES: dict[Notice, Template] = {
    Notice.problem_invited: Template(
        "staff of the invited centre or institute",
        _PROVIDERS,
        "problem",
        ("邀请您解答技术难题", "Invitation to a technical problem"),
        (
            "您的单位受邀查看并解答一项技术难题（截止 {deadline}）。",
            "Your organisation may read and answer it (deadline {deadline}).",
        ),
    ),
    Notice.problem_nda_accepted: Template(
        "the SME's staff",
        _SMES,
        "problem",
        ("保密协议已签署", "NDA accepted"),
        (
            "一家创新中心/研究院已接受该难题的保密条款，可查看详情。",
            "A provider accepted the NDA and may now read the details.",
        ),
    ),
    Notice.question_asked: Template(
        "the SME's staff",
        _SMES,
        "problem",
        ("收到澄清问题", "New question"),
        ("有单位提出了澄清问题。", "A provider asked:"),
    ),
    Notice.question_answered: Template(
        "the user who asked",
        None,
        "problem",
        ("您的问题已获答复", "Your question was answered"),
        ("发布方答复了您的问题。", "The SME answered:"),
    ),
    Notice.proposal_received: Template("the SME's staff", _SMES, "proposal", ("收到新方案", "New proposal"), _PRICE),
    Notice.proposal_revised: Template(
        "the SME's staff",
        _SMES,
        "proposal",
        ("方案已修订（第 {revision} 版）", "Proposal revised (version {revision})"),
        ("方案已修订。", "A proposal was revised."),
    ),
    Notice.proposal_withdrawn: Template(
        "the SME's staff",
        _SMES,
        "proposal",
        ("方案已撤回", "Proposal withdrawn"),
        ("一家创新中心/研究院撤回了方案。", "A provider withdrew its proposal."),
    ),
    Notice.proposal_accepted: Template(
        "the winning organisation's staff",
        _PROVIDERS,
        "contract",
        ("方案已被采纳", "Proposal accepted"),
        ("贵单位的方案已被采纳，已生成合同草稿。", "Your proposal was accepted; a draft contract is ready."),
    ),
    Notice.proposal_declined: Template(
        "staff of each declined organisation",
        _PROVIDERS,
        "proposal",
        ("方案未被采纳", "Proposal declined"),
        ("发布方已采纳其他方案。", "Another proposal was accepted."),
    ),
    Notice.proposal_declined_problem_closed: Template(
        "staff of each organisation with a live proposal",
        _PROVIDERS,
        "proposal",
        ("难题已关闭，方案未被采纳", "Problem closed, proposal declined"),
        ("发布方已关闭该技术难题，贵单位的方案未被采纳。", "The problem was closed; your proposal was declined."),
    ),
    Notice.service_request_received: Template(
        "staff of the offering centre or institute",
        _PROVIDERS,
        "service_request",
        ("收到服务申请", "New service request"),
        ("一家企业申请了贵单位的服务。", "An SME requested your service offer."),
    ),
    Notice.service_request_withdrawn: Template(
        "staff of the offering centre or institute",
        _PROVIDERS,
        "service_request",
        ("服务申请已撤回", "Service request withdrawn"),
        ("企业撤回了服务申请。", "The SME withdrew its request."),
    ),
    Notice.service_request_answered: Template(
        "the requesting SME's staff", _SMES, "proposal", ("服务申请已报价", "Your request was quoted"), _PRICE
    ),
    Notice.service_request_accepted: Template(
        "the requesting SME's staff",
        _SMES,
        "contract",
        ("服务申请已接受，已生成合同草稿", "Request accepted"),
        ("服务申请已接受，已生成合同草稿。", "Your request was accepted; a draft contract is ready."),
    ),
    Notice.service_request_declined: Template(
        "the requesting SME's staff",
        _SMES,
        "service_request",
        ("服务申请未被接受", "Request declined"),
        ("服务方未接受申请。", "The provider declined your request."),
    ),
    Notice.booking_requested: Template(
        "staff of the instrument's centre or institute",
        _PROVIDERS,
        "booking",
        ("新的仪器预约待确认", "New booking request"),
        ("{booking}", ""),
    ),
    Notice.booking_confirmed: Template(
        "the person who booked (else the customer's members)",
        None,
        "booking",
        ("仪器预约已确认", "Booking confirmed"),
        ("{booking}", ""),
    ),
    Notice.booking_rejected: Template(
        "the person who booked (else the customer's members)",
        None,
        "booking",
        ("仪器预约未获确认", "Booking rejected"),
        ("{booking}", ""),
    ),
    Notice.booking_cancelled: Template(
        "staff of the instrument's centre or institute (the customer cancelled)",
        _PROVIDERS,
        "booking",
        ("仪器预约已取消", "Booking cancelled"),
        ("{booking}", ""),
    ),
    Notice.booking_cancelled_by_centre: Template(
        "the person who booked (else the customer's members)",
        None,
        "booking",
        ("仪器预约已被中心取消", "Booking cancelled by the centre"),
        ("{booking}", ""),
    ),
    Notice.waitlist_slot_freed: Template(
        "the waiting user",
        None,
        "waitlist_entry",
        ("您等候的仪器时段已空出", "A slot you wait for is free"),
        ("{start} – {end} 现在可以预约，先到先得。", "It can be booked now: first come, first served."),
    ),
    Notice.contract_sign_requested: Template(
        "signatories of the parties yet to sign",
        _SIGNATORIES,
        "contract",
        ("请签署合同", "Please sign"),
        (
            "第{version}版已有当事人签署，请贵单位授权代表签署。",
            "Version {version} awaits your organisation's signature.",
        ),
    ),
    Notice.contract_amendment_proposed: Template(
        "signatories of every party",
        _SIGNATORIES,
        "contract",
        ("合同变更待签署", "Amendment to sign"),
        (
            "已提出第{version}版（变更原因：{reason}），请各方授权代表签署。",
            "Amendment version {version} awaits every party's signature.",
        ),
    ),
    Notice.contract_activated: Template(
        "every party's members",
        None,
        "contract",
        ("合同已生效", "Contract in force"),
        ("各方已签署第{version}版。", "Every party has signed version {version}; it is now in force."),
    ),
    Notice.contract_amendment_in_force: Template(
        "every party's members",
        None,
        "contract",
        ("合同变更已生效", "Amendment in force"),
        ("各方已签署第{version}版。", "Every party has signed version {version}; it is now in force."),
    ),
    Notice.contract_milestone_delivered: Template(
        "the client's SME staff",
        _SMES,
        "contract",
        ("里程碑已交付：{milestone}", "Milestone delivered"),
        ("提供方已交付，请验收。", "The provider delivered a milestone; please accept or reject it."),
    ),
    Notice.contract_milestone_accepted: Template(
        "the provider's staff",
        _PROVIDERS,
        "contract",
        ("里程碑已验收：{milestone}", "Milestone accepted"),
        ("委托方已验收该里程碑，款项已计入应收。", "The client accepted the milestone; its amount is now owed."),
    ),
    Notice.contract_milestone_rejected: Template(
        "the provider's staff",
        _PROVIDERS,
        "contract",
        ("里程碑未通过验收：{milestone}", "Milestone rejected"),
        ("委托方未验收该里程碑。", "The client rejected the milestone."),
    ),
    Notice.contract_completed: Template(
        "every party's members",
        None,
        "contract",
        ("合同已完成", "Contract completed"),
        ("全部里程碑已验收。", "Every milestone has been accepted."),
    ),
    Notice.contract_terminated: Template(
        "every party's members",
        None,
        "contract",
        ("合同已终止", "Contract terminated"),
        ("合同已终止。", "The contract was terminated."),
    ),
    Notice.card_payment_flagged: Template(
        "the centre's finance staff",
        frozenset({Role.finance}),
        "settlement",
        ("银行卡付款待核对", "Card payment to check"),
        (
            "一笔银行卡付款与结算单不符，已记录但未入账，请核对。",
            "A card payment disagrees with the settlement; stored, not applied.",
        ),
    ),
    Notice.voucher_claim_submitted: Template(
        "the issuer's officers",
        _ISSUERS,
        "voucher_claim",
        ("收到创新券兑付申请", "Voucher claim to decide"),
        (
            "{centre}申请兑付 {count} 笔创新券抵扣，共 {amount}，请审核。",
            "{centre} claims {count} redemptions, {amount} in all; please approve, reject or pay.",
        ),
    ),
    Notice.voucher_claim_approved: Template(
        "the centre's finance staff",
        _FINANCE,
        "voucher_claim",
        ("创新券兑付申请已通过", "Voucher claim approved"),
        ("{amount} 的兑付申请已通过审核，等待拨付。", "The claim of {amount} was approved; payment follows."),
    ),
    Notice.voucher_claim_rejected: Template(
        "the centre's finance staff",
        _FINANCE,
        "voucher_claim",
        ("创新券兑付申请被驳回", "Voucher claim rejected"),
        (
            "{amount} 的兑付申请被驳回，相应金额已转回企业应收。",
            "The claim of {amount} was rejected; the amounts are owed by the SMEs again.",
        ),
    ),
    Notice.voucher_claim_paid: Template(
        "the centre's finance staff",
        _FINANCE,
        "voucher_claim",
        ("创新券兑付款已拨付", "Voucher claim paid"),
        ("发券单位已拨付 {amount}（流水号 {reference}）。", "The issuer paid {amount} (reference {reference})."),
    ),
    Notice.voucher_share_returned: Template(
        "the SME's staff",
        _SMES,
        "settlement",
        ("创新券抵扣未获兑付，请补缴", "Voucher share owed again"),
        (
            "发券单位驳回了{programme}的兑付，该笔抵扣金额已退回您的创新券，需由贵单位支付。",
            "The issuer of {programme} rejected the claim: the voucher has it back and your organisation owes it.",
        ),
    ),
}


def render(notice: Notice, about: str, text: str | None = None, **params: object) -> tuple[str, str]:
    """(title, body) of a notice: Chinese then English; `text` (a reason, a question, a note the
    sender wrote) follows the body on a line of its own."""
    template = NOTICES[notice]
    zh, en = (part.format(**params) for part in template.title)
    title = f"{zh} {en}：{about}" if about else f"{zh} {en}"
    body = " ".join(part.format(**params) for part in template.body if part)
    if text:
        body = f"{body}\n{text}"
    return title, body


async def send(
    session: AsyncSession,
    notice: Notice,
    *,
    about: str,
    subject_id: uuid.UUID,
    organisation_ids: Iterable[uuid.UUID] = (),
    user_ids: Iterable[uuid.UUID] = (),
    exclude_user_ids: Iterable[uuid.UUID] = (),
    text: str | None = None,
    **params: object,
) -> list[Notification]:
    """Tell the people a notice is for: `user_ids`, and the members of `organisation_ids` holding the
    notice's roles; `about` names the subject in the title (a problem's or contract's title)."""
    template = NOTICES[notice]
    title, body = render(notice, about, text, **params)
    return await _deliver(
        session,
        kind=notice.kind,
        title=title,
        body=body,
        user_ids=user_ids,
        organisation_ids=organisation_ids,
        roles=template.roles,
        subject_type=template.subject_type,
        subject_id=subject_id,
        exclude_user_ids=exclude_user_ids,
    )


async def _deliver(
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
    """Write the rows `send` worded: the given users and the (active) members of the given
    organisations holding `roles`.

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


def visible_notifications(actor: Actor) -> Select[Notification]:
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
