"""Enumerations shared by tables and wire schemas."""

from enum import StrEnum


class OrganisationKind(StrEnum):
    centre = "centre"
    institute = "institute"
    sme = "sme"
    co_builder = "co_builder"
    government = "government"


class CentreCategory(StrEnum):
    comprehensive = "comprehensive"  # 综合类
    domain = "domain"  # 领域类


class Role(StrEnum):
    sme_member = "sme_member"
    sme_admin = "sme_admin"
    centre_staff = "centre_staff"
    centre_manager = "centre_manager"
    finance = "finance"
    evaluator = "evaluator"
    partner_member = "partner_member"
    partner_admin = "partner_admin"
    issuer_officer = "issuer_officer"
    issuer_admin = "issuer_admin"


# Which roles a membership of each organisation kind may carry.
ROLES_BY_KIND: dict[OrganisationKind, frozenset[Role]] = {
    OrganisationKind.sme: frozenset({Role.sme_member, Role.sme_admin, Role.evaluator}),
    OrganisationKind.centre: frozenset({Role.centre_staff, Role.centre_manager, Role.finance, Role.evaluator}),
    OrganisationKind.institute: frozenset({Role.centre_staff, Role.centre_manager, Role.evaluator}),
    OrganisationKind.co_builder: frozenset({Role.partner_member, Role.partner_admin, Role.evaluator}),
    OrganisationKind.government: frozenset({Role.issuer_officer, Role.issuer_admin, Role.evaluator}),
}

# Roles that administer their organisation (members, profile) and may sign for it.
ADMIN_ROLES = frozenset({Role.sme_admin, Role.centre_manager, Role.partner_admin, Role.issuer_admin})

# Roles that act for a centre or institute as a provider (catalogue, proposals, bookings).
PROVIDER_ROLES = frozenset({Role.centre_staff, Role.centre_manager})

PROVIDER_KINDS = frozenset({OrganisationKind.centre, OrganisationKind.institute})


# Catalogue (pilot-scale results, shared instruments, service offers).


class ListingKind(StrEnum):
    pilot_result = "pilot_result"  # 中试成果
    instrument = "instrument"  # 共享仪器
    service_offer = "service_offer"  # 技术服务


class ListingStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class TechField(StrEnum):
    """国家重点支持的高新技术领域 (the eight high-tech fields of the high-tech enterprise rules)."""

    electronic_information = "electronic_information"  # 电子信息
    biomedicine = "biomedicine"  # 生物与新医药
    aerospace = "aerospace"  # 航空航天
    new_materials = "new_materials"  # 新材料
    high_tech_services = "high_tech_services"  # 高技术服务
    new_energy = "new_energy"  # 新能源与节能
    resources_environment = "resources_environment"  # 资源与环境
    advanced_manufacturing = "advanced_manufacturing"  # 先进制造与自动化


TECH_FIELD_NAMES: dict[TechField, str] = {
    TechField.electronic_information: "电子信息",
    TechField.biomedicine: "生物与新医药",
    TechField.aerospace: "航空航天",
    TechField.new_materials: "新材料",
    TechField.high_tech_services: "高技术服务",
    TechField.new_energy: "新能源与节能",
    TechField.resources_environment: "资源与环境",
    TechField.advanced_manufacturing: "先进制造与自动化",
}


class TransferMode(StrEnum):
    assignment = "assignment"  # 转让
    exclusive_licence = "exclusive_licence"  # 独占许可
    sole_licence = "sole_licence"  # 排他许可
    non_exclusive_licence = "non_exclusive_licence"  # 普通许可
    equity = "equity"  # 作价入股
    co_development = "co_development"  # 合作开发


class PatentStatus(StrEnum):
    filed = "filed"  # 已受理/实审中
    granted = "granted"  # 已授权
    lapsed = "lapsed"  # 失效


class CustomerTier(StrEnum):
    internal = "internal"  # the centre itself and its institutes
    academic = "academic"  # universities and public research institutes (co-builders)
    sme = "sme"  # 科技型中小企业
    commercial = "commercial"  # everyone else


class RateUnit(StrEnum):
    hour = "hour"
    sample = "sample"


class MembershipTier(StrEnum):
    """会员制: an SME's membership with a centre; instruments set a discount per tier."""

    basic = "basic"
    silver = "silver"
    gold = "gold"


class OperationMode(StrEnum):
    operator_assisted = "operator_assisted"  # 机时由中心操作员上机
    self_service = "self_service"  # 经培训的用户自主上机


class ServiceKind(StrEnum):
    contract_rd = "contract_rd"  # 合同研发
    testing = "testing"  # 检验检测
    consulting = "consulting"  # 技术咨询


class PriceModel(StrEnum):
    fixed = "fixed"
    hourly = "hourly"
    quote = "quote"  # quote on request


# Technical problems, proposals and the contracts they start (issue 4; contracts extend in issue 6).


class ConfidentialityTier(StrEnum):
    public = "public"  # every signed-in user sees all of it
    nda = "nda"  # providers see title, field and summary; details after their organisation accepts the NDA
    invite_only = "invite_only"  # only invited providers see it at all


class ProblemStatus(StrEnum):
    open = "open"
    in_review = "in_review"  # at least one proposal received; still taking proposals until the deadline
    awarded = "awarded"
    closed = "closed"
    expired = "expired"  # the deadline passed before an award (derived at read time, see docs/problems.md)


class ProposalStatus(StrEnum):
    submitted = "submitted"  # the live proposal of its organisation
    withdrawn = "withdrawn"
    accepted = "accepted"
    declined = "declined"


class ContractType(StrEnum):
    """China's Civil Code technology contracts (民法典 第二十章)."""

    development = "development"  # 技术开发
    transfer = "transfer"  # 技术转让
    licence = "licence"  # 技术许可
    consulting = "consulting"  # 技术咨询
    service = "service"  # 技术服务


class ContractStatus(StrEnum):
    draft = "draft"
    signing = "signing"  # signed by some parties, not yet all
    active = "active"
    completed = "completed"
    terminated = "terminated"


class ContractSource(StrEnum):
    proposal = "proposal"
    service_request = "service_request"
    pilot_result = "pilot_result"
    direct = "direct"


class MilestoneStatus(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    delivered = "delivered"
    accepted = "accepted"
    cancelled = "cancelled"  # not reached when the contract was terminated


SME_ROLES = frozenset({Role.sme_member, Role.sme_admin})


class ServiceRequestStatus(StrEnum):
    """An SME's request for a service offer (issue 4 item 4)."""

    submitted = "submitted"  # waiting for the provider
    quoted = "quoted"  # the provider answered with a proposal
    accepted = "accepted"  # a draft contract exists (fixed price accepted, or a proposal accepted)
    declined = "declined"  # the provider cannot take it on
    withdrawn = "withdrawn"  # the SME took it back


# Instrument bookings (issue 5).


class BookingState(StrEnum):
    requested = "requested"  # waiting for the centre's confirmation
    confirmed = "confirmed"
    completed = "completed"  # used; the final charge is set from the actual usage
    no_show = "no_show"  # confirmed but the customer did not come; the no-show fee is charged
    cancelled = "cancelled"
    rejected = "rejected"


# States that hold the instrument's time: two such bookings of one instrument never overlap.
SLOT_HOLDING_STATES = (BookingState.requested, BookingState.confirmed, BookingState.completed, BookingState.no_show)


class ChargeKind(StrEnum):
    """Why a booking owes money (the settlement area bills it)."""

    usage = "usage"  # completed: actual usage (at least the minimum) at the frozen rate
    cancellation_fee = "cancellation_fee"  # cancelled inside the fee window
    no_show_fee = "no_show_fee"


class WaitlistState(StrEnum):
    waiting = "waiting"
    notified = "notified"  # the slot freed and this party was told
    withdrawn = "withdrawn"


# Contracts (issue 6): parties, versions, licences and what milestones leave owed.


class ContractPartyRole(StrEnum):
    provider = "provider"  # the centre or institute that performs (principal party, 受托方/让与方/许可方)
    client = "client"  # the SME (principal party, 委托方/受让方/被许可方)
    co_builder = "co_builder"  # 共建单位: universities, institutes, firms sharing IP and income


class ContractVersionStatus(StrEnum):
    open = "open"  # awaiting signatures (a draft while nobody has signed)
    signed = "signed"  # every party signed: in force (or was, until a later version)
    superseded = "superseded"  # replaced by a later amendment before every party signed


class LicenceKind(StrEnum):
    exclusive = "exclusive"  # 独占许可: only the licensee, not even the licensor
    sole = "sole"  # 排他许可: the licensee and the licensor
    non_exclusive = "non_exclusive"  # 普通许可


class TeamRewardSource(StrEnum):
    agreement = "agreement"  # set in this contract's IP terms
    centre_policy = "centre_policy"  # the provider centre's rule (centre_policies)
    statutory_default = "statutory_default"  # 促进科技成果转化法 第四十五条: 50% of net transfer / licence income


class ContractEventKind(StrEnum):
    """A contract's history (`contract_events.kind`)."""

    created = "created"
    edited = "edited"
    ip_terms_set = "ip_terms_set"
    signed = "signed"
    activated = "activated"
    amendment_proposed = "amendment_proposed"
    amendment_in_force = "amendment_in_force"
    milestone_delivered = "milestone_delivered"
    milestone_accepted = "milestone_accepted"
    milestone_rejected = "milestone_rejected"
    completed = "completed"
    terminated = "terminated"


class NewIpBasis(StrEnum):
    """Why a contract's new IP is owned as it is: agreed, or the Civil Code's default for its type."""

    agreement = "agreement"  # set in this contract's IP terms
    commissioned_development = "commissioned_development"  # 民法典 第八百五十九条: to the developer
    cooperative_development = "cooperative_development"  # 民法典 第八百六十条: jointly, by those who develop
    services_and_consulting = "services_and_consulting"  # 民法典 第八百八十五条: each party owns what it creates
    transfer_grant = "transfer_grant"  # 民法典 第八百六十二条: the transferee acquires the rights transferred
    licence_grant = "licence_grant"  # 民法典 第八百六十二条: the licensor keeps them, the licensee uses them


class RevenueSharesBasis(StrEnum):
    agreement = "agreement"  # set in this contract's IP terms
    provider_default = "provider_default"  # nothing agreed: all of the income is the provider's


class IncomeKind(StrEnum):
    """The income account a contract's owed amounts are booked to (market-service income by kind)."""

    contract_rd = "contract_rd"  # 合同研发 (development contracts)
    transfer_licensing = "transfer_licensing"  # 技术转让与许可
    consulting = "consulting"  # 技术咨询
    testing = "testing"  # 检验检测与技术服务 (service contracts)
    instrument_sharing = "instrument_sharing"  # 仪器开放共享 (instrument bookings)


# Settlements and the ledger (issue 13).


class SettlementSource(StrEnum):
    """What made money owed: a booking's charge or a contract milestone."""

    booking = "booking"
    milestone = "milestone"


class SettlementStatus(StrEnum):
    open = "open"  # nothing received yet
    partially_paid = "partially_paid"
    paid = "paid"  # received in full
    written_off = "written_off"  # what was left will not be collected (finance, with a reason)


class BilledOn(StrEnum):
    """When a contract milestone's amount becomes owed."""

    acceptance = "acceptance"  # when the client accepts the delivered milestone (the default)
    activation = "activation"  # an advance (预付款): owed when the contract comes into force


class PaymentChannel(StrEnum):
    bank_transfer = "bank_transfer"  # recorded by finance from a bank statement or receipt
    card = "card"  # Stripe
    voucher = "voucher"  # a government innovation voucher (科技创新券)


class AccountType(StrEnum):
    """Normal balance: assets and expenses are debit balances, liabilities and income credit."""

    asset = "asset"
    liability = "liability"
    income = "income"
    expense = "expense"


class AccountPurpose(StrEnum):
    """What an account of a centre's chart is for (one account per purpose, currency and, where
    given, income kind, counterparty or bank account)."""

    bank = "bank"  # 银行存款: one per bank account
    stripe_clearing = "stripe_clearing"  # Stripe 清算: card receipts until paid out
    receivable = "receivable"  # 应收账款
    voucher_receivable = "voucher_receivable"  # 应收创新券款: one per issuer
    deferred_revenue = "deferred_revenue"  # 预收账款 / 合同负债: advances billed before delivery
    co_builder_payable = "co_builder_payable"  # 应付共建单位收益分成: one per co-builder
    team_reward_payable = "team_reward_payable"  # 应付成果完成团队奖励
    vat_output = "vat_output"  # 应交增值税（销项税额）
    income = "income"  # 市场化服务收入: one per income kind
    grant_income = "grant_income"  # 竞争性课题收入
    subsidy_income = "subsidy_income"  # 财政后补助收入
    payment_fees = "payment_fees"  # 支付手续费
    revenue_share_expense = "revenue_share_expense"  # 收益分成支出
    team_reward_expense = "team_reward_expense"  # 成果完成团队奖励支出
    write_off_expense = "write_off_expense"  # 坏账核销
    disputed_funds = "disputed_funds"  # 其他应收款—争议款项: card payments Stripe holds during a dispute
    bank_charges = "bank_charges"  # 财务费用—银行手续费: charges deducted by banks (reconciliation)
    fx_difference = "fx_difference"  # 财务费用—汇兑损益: exchange differences on receipts (reconciliation)


ACCOUNT_TYPES: dict[AccountPurpose, AccountType] = {
    AccountPurpose.bank: AccountType.asset,
    AccountPurpose.stripe_clearing: AccountType.asset,
    AccountPurpose.receivable: AccountType.asset,
    AccountPurpose.voucher_receivable: AccountType.asset,
    AccountPurpose.deferred_revenue: AccountType.liability,
    AccountPurpose.co_builder_payable: AccountType.liability,
    AccountPurpose.team_reward_payable: AccountType.liability,
    AccountPurpose.vat_output: AccountType.liability,
    AccountPurpose.income: AccountType.income,
    AccountPurpose.grant_income: AccountType.income,
    AccountPurpose.subsidy_income: AccountType.income,
    AccountPurpose.payment_fees: AccountType.expense,
    AccountPurpose.revenue_share_expense: AccountType.expense,
    AccountPurpose.team_reward_expense: AccountType.expense,
    AccountPurpose.write_off_expense: AccountType.expense,
    AccountPurpose.disputed_funds: AccountType.asset,
    AccountPurpose.bank_charges: AccountType.expense,
    AccountPurpose.fx_difference: AccountType.expense,
}


class EntrySource(StrEnum):
    """What a journal entry records; with its reference, unique (one entry per source)."""

    settlement_accrual = "settlement_accrual"  # money became owed (income or deferred revenue)
    revenue_recognition = "revenue_recognition"  # an advance's milestone was accepted: deferred -> income
    payment = "payment"  # money received against a settlement
    revenue_allocation = "revenue_allocation"  # a receipt's shares to co-builders and the research team
    write_off = "write_off"  # the rest of a settlement will not be collected
    manual = "manual"  # posted by finance (grants, subsidies, payouts to co-builders, corrections)
    reversal = "reversal"  # reverses another entry
    payment_fee = "payment_fee"  # a card processor's fee (Stripe balance transaction)
    refund = "refund"  # money given back against a payment
    dispute = "dispute"  # a card dispute: funds withdrawn, reinstated or lost
    payout = "payout"  # Stripe paid card receipts out to the centre's bank account
    voucher_claim = "voucher_claim"  # a voucher issuer paid a redemption claim into the centre's bank
    reconciliation = "reconciliation"  # a bank charge or exchange difference found matching a statement


class PeriodStatus(StrEnum):
    open = "open"
    closed = "closed"


# Card payments with Stripe (issue 14).


class IntentStatus(StrEnum):
    """Our record of one PaymentIntent attempt for a settlement."""

    creating = "creating"  # our idempotency key is saved; Stripe has not answered yet
    open = "open"  # Stripe created it; the client confirms it with the client secret
    succeeded = "succeeded"
    failed = "failed"  # the last payment attempt failed (the intent may be retried by the client)
    canceled = "canceled"  # replaced (the amount owed changed) or cancelled


class StripeEventStatus(StrEnum):
    received = "received"  # stored; being applied (or to retry)
    applied = "applied"  # its money moved (or there was nothing to move)
    flagged = "flagged"  # stored, not applied: it disagrees with our records; finance is told
    ignored = "ignored"  # a type this service does not act on


class RefundStatus(StrEnum):
    succeeded = "succeeded"
    pending = "pending"
    failed = "failed"


class DisputeStatus(StrEnum):
    open = "open"  # funds withdrawn while the dispute lasts
    won = "won"  # funds reinstated
    lost = "lost"  # the money went back to the card holder; the settlement owes it again


# Innovation vouchers (科技创新券, issue 14).


class VoucherRedemptionStatus(StrEnum):
    """Where a voucher's share of a settlement stands."""

    redeemed = "redeemed"  # applied to the settlement; the centre has not claimed it yet
    claimed = "claimed"  # in a claim the issuer has not decided yet (or approved, not paid)
    paid = "paid"  # the issuer paid the claim
    cancelled = "cancelled"  # taken back before it was claimed (the SME withdrew it, or the centre refused it)
    rejected = "rejected"  # the issuer rejected its claim: the SME owes it again, the voucher has it back


# A redemption in these states counts against the voucher's balance, the caps and the budget.
LIVE_REDEMPTIONS = (VoucherRedemptionStatus.redeemed, VoucherRedemptionStatus.claimed, VoucherRedemptionStatus.paid)


class VoucherClaimStatus(StrEnum):
    submitted = "submitted"  # the centre's finance filed it with its evidence
    approved = "approved"  # an issuer's officer approved it; payment follows
    rejected = "rejected"  # with a reason: each redemption returns to the SME's receivable
    paid = "paid"  # the issuer paid it into the centre's bank account


# Reconciliation of bank and Stripe statements (issue 15).


class StatementChannel(StrEnum):
    """Whose statement a line comes from: the bank's, or Stripe's balance (paid out to that bank)."""

    bank = "bank"
    stripe = "stripe"


class LineStatus(StrEnum):
    unmatched = "unmatched"
    matched = "matched"


class MatchRule(StrEnum):
    """Why lines were matched, in the order the automatic rules run (most confident first)."""

    recorded_payment = "recorded_payment"  # the bank serial of an offline payment already recorded
    stripe_payout = "stripe_payout"  # a Stripe payout id <-> the bank line it arrived as
    stripe_charge = "stripe_charge"  # a Stripe charge line <-> its card payment
    settlement_number = "settlement_number"  # settlement number(s) in 摘要/用途, exact amount
    settlement_instalment = "settlement_instalment"  # one settlement number, part of what is owed
    amount_window = "amount_window"  # exact amount, value date in the window, payer = debtor
    manual = "manual"  # finance, with a reason


class MatchStatus(StrEnum):
    active = "active"
    reversed = "reversed"


class MatchItemKind(StrEnum):
    line = "line"  # a statement line (the statement side)
    receipt = "receipt"  # a payment the match recorded on a settlement (Dr bank / Cr receivable)
    payment = "payment"  # a payment recorded before (offline or card), only linked
    payout = "payout"  # a Stripe payout's entry (Dr bank / Cr Stripe clearing), linked or posted
    adjustment = "adjustment"  # a bank charge or exchange difference the match booked


class AdjustmentKind(StrEnum):
    bank_charge = "bank_charge"  # deducted by a bank on the way (Dr bank charges / Cr bank)
    fx = "fx"  # exchange difference, either way (Dr or Cr exchange differences)


class BalanceCheckStatus(StrEnum):
    passed = "passed"
    failed = "failed"


class InvitationStatus(StrEnum):
    """A membership invitation: pending until the invited account answers or the organisation withdraws it."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"
