"""Organisations, users and memberships on the wire."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, ConfigDict, EmailStr, Field, StringConstraints

from api.schemas.common import InputModel, OutputModel, PatchModel
from models import codes
from models.enums import CentreCategory, InvitationStatus, OrganisationKind, Role
from models.organisations import Membership, User


def _check_uscc(value: str) -> str:
    code = value.strip().upper()
    reason = codes.uscc_problem(code)
    if reason:
        raise ValueError(f"unified social credit code {reason}")
    return code


def _check_timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("not an IANA time zone name")
    return value


USCC = Annotated[
    str,
    AfterValidator(_check_uscc),
    Field(description="统一社会信用代码 (GB 32100-2015), checked", examples=["91320594MA1MBLXK3M"]),
]
RegionCode = Annotated[
    str,
    StringConstraints(pattern=re.compile(r"^[1-8]\d{5}$")),
    Field(description="GB/T 2260 administrative division code, six digits", examples=["320500"]),
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]


class OrganisationCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "centre",
                    "name": "国家第三代半导体技术创新中心（苏州）",
                    "uscc": "12320500MB1F12345U",
                    "region": "320500",
                    "centre_category": "comprehensive",
                }
            ]
        }
    )

    kind: OrganisationKind
    name: Name
    name_en: Name | None = None
    uscc: USCC
    region: RegionCode
    parent_id: uuid.UUID | None = Field(default=None, description="The parent centre; institutes only")
    centre_category: CentreCategory | None = Field(default=None, description="Centres only")
    timezone: TimeZone = "Asia/Shanghai"
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None


class OrganisationUpdate(PatchModel):
    name: Name | None = None
    name_en: Name | None = None
    uscc: USCC | None = None
    region: RegionCode | None = None
    centre_category: CentreCategory | None = None
    timezone: TimeZone | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    verified: bool | None = Field(default=None, description="Platform administrators only")

    @classmethod
    def not_null_fields(cls) -> tuple[str, ...]:
        return ("name", "uscc", "region", "timezone", "verified")


class OrganisationRead(OutputModel):
    id: uuid.UUID
    kind: OrganisationKind
    name: str
    name_en: str | None
    uscc: str
    region: str
    verified: bool
    parent_id: uuid.UUID | None
    centre_category: CentreCategory | None
    timezone: str
    description: str | None
    created_at: datetime


class MemberCreate(InputModel):
    email: EmailStr
    role: Role
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="With initial_password: creates the account if the e-mail has none"
    )
    initial_password: Annotated[str, StringConstraints(min_length=10, max_length=128)] | None = Field(
        default=None,
        description="With full_name: the new account's password if the e-mail has none (ignored otherwise); "
        "tell the person to change it",
    )


class MemberInvitationRead(OutputModel):
    """A pending (or answered) invitation as the inviting organisation sees it: the e-mail it
    typed and nothing about any account."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    role: Role
    status: InvitationStatus
    created_at: datetime


class MyInvitationRead(OutputModel):
    """An invitation addressed to the caller, with who invites."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: OrganisationKind
    role: Role
    created_at: datetime


class MemberRead(OutputModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    joined_at: datetime


class MembershipRead(OutputModel):
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: OrganisationKind
    parent_id: uuid.UUID | None
    role: Role


class UserRead(OutputModel):
    id: uuid.UUID
    email: str
    full_name: str
    phone: str | None
    is_platform_admin: bool
    created_at: datetime
    memberships: list[MembershipRead] = Field(default_factory=list)


def member_read(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=membership.role,
        joined_at=membership.created_at,
    )
