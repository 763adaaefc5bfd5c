"""Registration and tokens on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from api.schemas.common import InputModel, OutputModel
from api.schemas.organisations import USCC, Name, RegionCode

# Length limits: argon2 costs grow with input, and 128 is ample for pass phrases.
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]


class RegistrationOrganisation(InputModel):
    name: Name = Field(examples=["苏州纳维新材料科技有限公司"])
    uscc: USCC
    region: RegionCode


class RegisterRequest(InputModel):
    """A new user and the SME they register; the user becomes its administrator."""

    email: EmailStr
    password: Password = Field(description="10 to 128 characters")
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(examples=["王小明"])
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{6,20}$")] | None = None
    organisation: RegistrationOrganisation


class TokenResponse(OutputModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class LogoutRequest(InputModel):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
