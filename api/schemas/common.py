"""Shapes every area shares: strict input base, Money, pages, problems."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.money import MAX_AMOUNT

T = TypeVar("T")

# Control characters (C0, DEL, C1) are refused in every string of every body; tab, line feed and
# carriage return only in multi-line text, never in titles and names (a CR LF in a title would
# split an iCalendar line or an e-mail header).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _single_line(field: str) -> bool:
    return field in ("title", "name", "email", "username") or field.endswith(("_title", "_name"))


def _refuse_control(value: Any, single_line: bool) -> None:
    # The document states this rule (each string's `pattern`, below), so failing it is a schema
    # error (`validation`, as a pattern mismatch is), not a rule the schema cannot state.
    if isinstance(value, str):
        if (_CONTROL_OR_BREAK if single_line else _CONTROL).search(value):
            kind = "control characters or line breaks" if single_line else "control characters"
            raise PydanticCustomError("string_pattern_mismatch", "must not contain {kind}", {"kind": kind})
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _refuse_control(item, single_line)


# The same rules as JSON Schema patterns (ECMA-262 and Python alike), so the document says what
# the validator refuses and a generated example never meets it.
CONTROL_FREE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
SINGLE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def _string_options(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The plain-string schemas in a property (itself, its non-null option, its array items)."""
    if "anyOf" in prop:
        return [o for option in prop["anyOf"] for o in _string_options(option)]
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        return _string_options(prop["items"])
    if prop.get("type") == "string" and not {"format", "enum", "pattern", "const"} & prop.keys():
        return [prop]
    return []


CURRENCY_CODES = ("CNY", "USD", "EUR", "HKD", "JPY")


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused (422), so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: Any) -> Any:
        _refuse_control(value, _single_line(info.field_name or ""))
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """The control-character rule in the document: every plain string field (and string item)
        gets the pattern of what `_no_control_characters` accepts."""
        schema: dict[str, Any] = handler.resolve_ref_schema(handler(core_schema))
        for name, prop in schema.get("properties", {}).items():
            for option in _string_options(prop):
                option["pattern"] = SINGLE_LINE if _single_line(name) else CONTROL_FREE
        return schema


def _never_null(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """`json_schema_extra` of a PATCH body: each field of `not_null_fields()` loses its `null` option
    (and its `default: null`), as the body refuses null for it."""
    fields = model.not_null_fields() if issubclass(model, PatchModel) else ()
    for name in fields:
        prop = schema.get("properties", {}).get(name)
        if prop is None or "anyOf" not in prop:
            continue
        options = [o for o in prop["anyOf"] if o != {"type": "null"}]
        del prop["anyOf"]
        if len(options) == 1:
            prop.update(options[0])
        else:
            prop["anyOf"] = options
        if prop.get("default", "") is None:
            del prop["default"]


class PatchModel(InputModel):
    """A PATCH body: a field left out is left as it is, and null clears a field that may be empty.
    The fields `not_null_fields()` names may be left out but not cleared: null is refused as a
    schema error (`validation`), and the document says so (their schema has no `null` option), so a
    generated client's types do not offer it."""

    model_config = ConfigDict(json_schema_extra=_never_null)

    @classmethod
    def not_null_fields(cls) -> tuple[str, ...]:
        return ()

    @model_validator(mode="after")
    def _not_cleared(self) -> Self:
        cleared = [n for n in self.not_null_fields() if n in self.model_fields_set and getattr(self, n) is None]
        if cleared:
            raise PydanticCustomError("not_null", "{fields} cannot be null", {"fields": ", ".join(cleared)})
        return self


# Every field of a response is sent, its default included, so the document marks every one required
# (pydantic's serialization-mode schema): a generated client's types then say `next_cursor: string |
# null`, not `next_cursor?: string | null`, and never make a client handle a member that cannot be missing.
SENT_ALWAYS = ConfigDict(json_schema_serialization_defaults_required=True)


class OutputModel(BaseModel):
    """Responses read from ORM objects; only declared fields leave the server, and every one does."""

    model_config = ConfigDict(from_attributes=True, **SENT_ALWAYS)


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

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": 1250000, "currency": "CNY"}]}, **SENT_ALWAYS
    )

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
            # The document states this set (an enum), so failing it is a schema error like pydantic's
            # own enum check (`urn:ttm:problem:validation`), not a rule (api/errors.py::breaks_a_rule).
            raise PydanticCustomError("enum", "Input should be {expected}", {"expected": ", ".join(CURRENCY_CODES)})
        return value


class MoneyIn(Money):
    """Money in a request: the one input type for every amount on every route. 0 <= amount <=
    MAX_AMOUNT (10^15 minor units); a rule needing more (strictly positive, within a budget) adds
    its own check on top."""

    amount: StrictInt = Field(
        ge=0,
        le=MAX_AMOUNT,
        description=f"Integer minor units (1 CNY = 100 fen), 0 to {MAX_AMOUNT}; floats are refused.",
    )


NonNegativeMoney = MoneyIn

# The instants and days a request may name: 1900-01-01 to 2199-12-31. Year 1 or 9999 is a typing
# slip or a probe, and near the ends of the calendar converting time zones overflows.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _outside_the_years() -> PydanticCustomError:
    """A year the document's pattern refuses (`_YearsInRange`): a schema error (`validation`)."""
    return PydanticCustomError(
        "year_out_of_range",
        "must be between {earliest} and {latest}",
        {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
    )


def _instant_in_range(value: datetime) -> datetime:
    if not EARLIEST_DAY.year <= value.year <= LATEST_DAY.year:
        raise _outside_the_years()
    if not _EARLIEST <= value < _LATEST:  # in range as written, not in UTC: a rule the pattern can't state
        raise ValueError(f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()} (UTC)")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise _outside_the_years()
    return value


class _YearsInRange:
    """The range in the document: a pattern on the year the string starts with (1900-2199)."""

    PATTERN = "^(19|20|21)[0-9]{2}-"

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = self.PATTERN
        return schema


# Every time and date a request carries (bodies and query parameters) is one of these.
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range), _YearsInRange()]
Day = Annotated[date, AfterValidator(_day_in_range), _YearsInRange()]

# The largest integer a query parameter or body field may carry when nothing smaller bounds it
# (a BIGINT column holds up to 2^63 - 1).
INT64_MAX = 2**63 - 1
BasisPoints = Annotated[StrictInt, Field(ge=0, le=10000, description="1/100 of a percent; 10000 = 100%")]


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next_cursor` back as `cursor` for the next page (null at the end)."""

    model_config = SENT_ALWAYS
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
                            "loc": ["body", "organisation", "region"],
                            "msg": "String should match pattern '^[1-8]\\d{5}$'",
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
