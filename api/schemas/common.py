"""Shapes every area shares: strict input base, Money, pages, problems."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

T = TypeVar("T")

CURRENCY_CODES = ("CNY", "USD", "EUR", "HKD", "JPY")


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused (422), so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    """Responses read from ORM objects; only declared fields leave the server."""

    model_config = ConfigDict(from_attributes=True)


def with_attrs(obj: object, **attrs: object) -> object:
    """`obj` as a response model reads it (from attributes), with `attrs` read instead of its own:
    for the few fields a row stores another way (money as amount and currency, a relationship under
    another name). Returned by a model's `mode="before"` validator, so every other field is still
    read from the row and nothing is copied field by field."""
    return _Overlay(obj, attrs)


class _Overlay:
    __slots__ = ("_attrs", "_obj")

    def __init__(self, obj: object, attrs: dict[str, object]) -> None:
        self._obj = obj
        self._attrs = attrs

    def __getattr__(self, name: str) -> object:
        if name in self._attrs:
            return self._attrs[name]
        return getattr(self._obj, name)


class Money(BaseModel):
    """An amount in integer minor units (fen for CNY) and its ISO 4217 currency."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": 1250000, "currency": "CNY"}]})

    amount: StrictInt = Field(description="Integer minor units (1 CNY = 100 fen); floats are refused.")
    currency: str = Field(default="CNY", description="ISO 4217 code", pattern="^[A-Z]{3}$")

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCY_CODES:
            raise ValueError(f"currency must be one of {', '.join(CURRENCY_CODES)}")
        return value


NonNegativeMoney = Annotated[Money, Field(description="Money with a non-negative amount")]
BasisPoints = Annotated[StrictInt, Field(ge=0, le=10000, description="1/100 of a percent; 10000 = 100%")]


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next_cursor` back as `cursor` for the next page (null at the end)."""

    items: list[T]
    next_cursor: str | None = None


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemError] | None = None
