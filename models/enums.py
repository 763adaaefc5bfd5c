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


# Technical problems, proposals and the contracts they start (issue 4; contracts extend in issue 6).


# MERGE NOTE: TechField and TECH_FIELD_NAMES are copied verbatim from the catalogue branch so
# problems and listings share one taxonomy; keep a single copy when the branches meet.
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
