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
