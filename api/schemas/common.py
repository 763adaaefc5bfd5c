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
    currency: str = Field(
        default="CNY",
        description="ISO 4217 code",
        pattern="^[A-Z]{3}$",
        json_schema_extra={"enum": list(CURRENCY_CODES)},
    )

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
    """One place where the input is wrong."""

    loc: list[str | int] = Field(description="Where: `body`, `query`, `path` or `header`, then the field's path")
    msg: str = Field(description="What is wrong there")
    type: str | None = Field(None, description="The schema check that failed (schema-level errors only)")


class TimeRangeTaken(BaseModel):
    start_at: str = Field(description="RFC 3339")
    end_at: str = Field(description="RFC 3339, exclusive")


class Problem(BaseModel):
    """RFC 9457 problem details: every error the API answers. `type` names the condition (clients branch
    on it); the members below `request_id` are sent only by the conditions that name them."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:ttm:problem:validation",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "the request has invalid fields; see errors",
                    "request_id": "5f0c2b1e9a7d4c3b",
                    "errors": [
                        {
                            "loc": ["body", "uscc"],
                            "msg": "String should match pattern",
                            "type": "string_pattern_mismatch",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(description="A stable URN `urn:ttm:problem:<condition>`")
    title: str = Field(description="The condition's fixed summary")
    status: int = Field(description="The HTTP status")
    detail: str | None = Field(None, description="This occurrence explained")
    instance: str | None = None
    request_id: str | None = Field(None, description="Quote it when reporting a problem (also `X-Request-ID`)")
    errors: list[ProblemError] | None = Field(None, description="422: each invalid input")
    rule: str | None = Field(None, description="booking-rule-violated: the instrument's rule that refused it")
    conflicts: list[TimeRangeTaken] | None = Field(None, description="booking-overlap: the times already taken")
    conflicting_dates: list[str] | None = Field(
        None, description="booking-overlap: the requested local dates that overlap"
    )
    state: str | None = Field(None, description="a state conflict: the current state")
    tier: str | None = Field(None, description="no-rate-for-customer: the customer's tier")
    term: str | None = Field(None, description="ip-terms-incomplete: the contract term that does not sum to 10000 bps")
    contract_id: str | None = Field(None, description="exclusive-licence-conflict: the contract it overlaps")
    period: str | None = Field(None, description="period-closed: the closed ledger period (YYYY-MM)")
    reversal_entry_id: str | None = Field(None, description="already-reversed: the entry that reversed it")
    reason: str | None = Field(None, description="training conditions: why the training does not qualify")
    outstanding: Money | None = Field(None, description="overpayment: what is left to pay")
    refundable: Money | None = Field(None, description="refund-too-large: what may still be refunded")
    stripe_code: str | None = Field(None, description="stripe-refused: Stripe's error code")
