"""Registration and tokens on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, EmailStr, Field, StringConstraints

from api.schemas.common import InputModel, OutputModel
from api.schemas.organisations import USCC, MembershipRead, Name, RegionCode, UserRead
from models.organisations import Membership, Organisation, User

# Length limits: argon2 costs grow with input, and 128 is ample for pass phrases.
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]


class RegistrationOrganisation(InputModel):
    name: Name = Field(examples=["苏州纳维新材料科技有限公司"])
    uscc: USCC
    region: RegionCode


class RegisterRequest(InputModel):
    """A new user and the SME they register; the user becomes its administrator."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "wang.xiaoming@example.com",
                    "password": "correct-horse-battery",
                    "full_name": "王小明",
                    "phone": "+86 512 6288 0000",
                    "organisation": {
                        "name": "苏州纳维新材料科技有限公司",
                        "uscc": "91320594MA1MBLXK3M",
                        "region": "320500",
                    },
                }
            ]
        }
    )

    email: EmailStr
    password: Password = Field(description="10 to 128 characters")
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(examples=["王小明"])
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{6,20}$")] | None = None
    organisation: RegistrationOrganisation


class PasswordChange(InputModel):
    """The current password (required) and the new one."""

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password = Field(description="10 to 128 characters")


class TokenResponse(OutputModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class LogoutRequest(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


def user_read(user: User, rows: list[tuple[Membership, Organisation]]) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        phone=user.phone,
        is_platform_admin=user.is_platform_admin,
        created_at=user.created_at,
        memberships=[
            MembershipRead(
                organisation_id=org.id,
                organisation_name=org.name,
                organisation_kind=org.kind,
                parent_id=org.parent_id,
                role=m.role,
            )
            for m, org in rows
        ],
    )
