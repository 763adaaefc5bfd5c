"""Pilot-scale results on the wire."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from api.schemas.catalogue import (
    HeadlinePrice,
    ListingChanges,
    ListingCommon,
    ListingRead,
    Measurement,
    MeasurementRead,
    Price,
    price_change,
    price_input,
)
from api.schemas.common import InputModel, OutputModel
from models import codes
from models.enums import (
    PatentStatus,
    TransferMode,
)
from services import pilot_results
from services.catalogue import UNSET, required


def _check_patent(value: str) -> str:
    number = codes.normalise_patent_number(value)
    reason = codes.patent_number_problem(number)
    if reason:
        raise ValueError(f"patent number {reason}")
    return number


PatentNumber = Annotated[
    str,
    AfterValidator(_check_patent),
    Field(
        description="CNIPA number: CN (application) or ZL (patent) + 12 digits (8 before 2003) + '.' + check digit "
        "(digits × 2,3,4,5,6,7,8,9,2,3,4,5 summed mod 11; 10 is X)",
        examples=["ZL202310123456.6"],
    ),
]


Trl = Annotated[StrictInt, Field(ge=1, le=9, description="Technology readiness level 1-9")]


class IpAsset(InputModel):
    number: PatentNumber
    status: PatentStatus
    title: Annotated[str, StringConstraints(max_length=200)] | None = None

    def to_input(self) -> pilot_results.IpAsset:
        return pilot_results.IpAsset(number=self.number, status=self.status, title=self.title)


class IpAssetRead(OutputModel):
    number: str
    status: PatentStatus
    title: str | None = None


class PilotResultCreate(ListingCommon):
    owner_org_id: uuid.UUID | None = Field(
        default=None, description="The owning centre or institute; defaults to the caller's only one"
    )
    trl: Trl
    pilot_scale: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Scale of the pilot run, e.g. 50 吨/年 中试线"
    )
    key_metrics: list[Measurement] = Field(default_factory=list, max_length=30)
    ip_assets: list[IpAsset] = Field(default_factory=list, max_length=50)
    transfer_modes: list[TransferMode] = Field(min_length=1)
    asking_price: Price | None = Field(default=None, description="Absent or null: negotiable (面议)")
    price_negotiable: bool = False

    def to_input(self) -> pilot_results.PilotResultInput:
        return pilot_results.PilotResultInput(
            listing=self.listing_input(),
            owner_org_id=self.owner_org_id,
            trl=self.trl,
            pilot_scale=self.pilot_scale,
            key_metrics=[m.to_input() for m in self.key_metrics],
            ip_assets=[a.to_input() for a in self.ip_assets],
            transfer_modes=self.transfer_modes,
            asking_price=price_input(self.asking_price),
            price_negotiable=self.price_negotiable,
        )


class PilotResultUpdate(ListingChanges):
    trl: Trl | None = None
    pilot_scale: Annotated[str, StringConstraints(max_length=200)] | None = None
    key_metrics: list[Measurement] | None = Field(default=None, max_length=30)
    ip_assets: list[IpAsset] | None = Field(default=None, max_length=50)
    transfer_modes: list[TransferMode] | None = Field(default=None, min_length=1)
    asking_price: Price | None = None
    price_negotiable: bool | None = None

    @classmethod
    def not_null_fields(cls) -> tuple[str, ...]:
        return (*super().not_null_fields(), "trl", "key_metrics", "ip_assets", "transfer_modes", "price_negotiable")

    def to_changes(self) -> pilot_results.PilotResultChanges:
        given = self.given()
        return pilot_results.PilotResultChanges(
            listing=self.listing_changes(),
            trl=required(self.trl),
            pilot_scale=given.pilot_scale,
            key_metrics=UNSET if self.key_metrics is None else [m.to_input() for m in self.key_metrics],
            ip_assets=UNSET if self.ip_assets is None else [a.to_input() for a in self.ip_assets],
            transfer_modes=required(self.transfer_modes),
            asking_price=price_change(given.asking_price),
            price_negotiable=required(self.price_negotiable),
        )


class PilotResultRead(ListingRead):
    trl: int
    pilot_scale: str | None
    key_metrics: list[MeasurementRead]
    ip_assets: list[IpAssetRead]
    transfer_modes: list[TransferMode]
    asking_price: HeadlinePrice = Field(validation_alias="price_amount")
    price_negotiable: bool
