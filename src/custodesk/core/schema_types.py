"""Bounded input types for the API schemas: nothing a client sends can reach a service
(or the database) unbounded, and every bound is in the OpenAPI document.

* ``Amount``: a decimal string of ASCII digits, at most 19 before and 18 after the point
  (the currency's own is checked by :meth:`custodesk.core.money.Money.from_decimal`), no
  sign, exponent, ``_`` or non-ASCII digit, and small enough for BIGINT minor units.
* ``Text``: free text without control characters (tab and newline allowed); give every
  field its own ``max_length``.  ``Code``: a short identifier-like string.
* ``Zoned``: a date-time that carries its zone (ISO 8601 string); ``Day``: an ISO date.
  Both within years 1900-9000, so arithmetic on them never overflows.
* ``StrictBool`` in bodies (``"yes"`` is not true), ``QueryBool`` in query strings
  (``true``/``false`` only).
* ``OneOf(choices)``: a string that must be one of the values, an ``enum`` in the schema.
* ``Input`` / ``INPUT``: the base / config of every input schema: unknown fields are refused.
* :class:`Pages`: page-number pagination with a bounded ``page`` and ``page_size``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Annotated, Any

from django.db.models import Choices
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    StrictBool,
    StringConstraints,
)
from pydantic_core import PydanticCustomError, core_schema

from .money import AMOUNT_PLACES, MAX_MINOR

__all__ = [
    "AMOUNT_PATTERN",
    "INPUT",
    "Amount",
    "Code",
    "Day",
    "Input",
    "Metadata",
    "OneOf",
    "Pages",
    "Payload",
    "QueryBool",
    "StrictBool",
    "Text",
    "Zoned",
]

# Unknown fields are refused (422 naming them), not silently dropped.
INPUT = ConfigDict(extra="forbid")


class Input(Schema):
    """Base of the ninja input schemas."""

    model_config = INPUT


# 2**63 - 1 minor units has 19 digits: an amount has at most that many before the point,
# and fewer after it than that; the currency's own places (HKD 2) and the exact maximum
# are checked with the currency (``Money.from_decimal``: a batch item gets its own error).
AMOUNT_PATTERN = r"^[0-9]{1,19}(\.[0-9]{1,18})?$"
Amount = Annotated[
    str,
    StringConstraints(pattern=AMOUNT_PATTERN, max_length=38),
    Field(
        description=(
            "decimal string of ASCII digits in the currency's units: no sign, exponent or "
            f"separator; at most the currency's decimals ({AMOUNT_PLACES} for the supported "
            f"currencies) and {MAX_MINOR} minor units"
        ),
        examples=["1234.50"],
    ),
]

# Control characters (C0 but tab and newline, DEL, C1) are refused in every text field.
NO_CONTROL = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
Text = Annotated[str, StringConstraints(pattern=NO_CONTROL)]
Code = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x20\x7F-\x9F]*$")]

_YEARS = (1900, 9000)


def _iso_string(pattern: str) -> Any:
    regex = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and not regex.match(value):
            raise PydanticCustomError("iso8601", "Enter an ISO 8601 value ({pattern})", {
                "pattern": pattern
            })  # fmt: skip
        if isinstance(value, int | float):
            raise PydanticCustomError("iso8601", "Enter an ISO 8601 string, not a number")
        return value

    return BeforeValidator(check)


def _years(value: Any) -> Any:
    if not _YEARS[0] <= value.year <= _YEARS[1]:
        raise PydanticCustomError(
            "year_range", "The year must be between {low} and {high}", {
                "low": _YEARS[0], "high": _YEARS[1]}
        )  # fmt: skip
    return value


Zoned = Annotated[
    AwareDatetime,
    _iso_string(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"),
    AfterValidator(_years),
    Field(description="ISO 8601 date-time with its zone (`Z` or an offset)"),
]
Day = Annotated[dt.date, _iso_string(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), AfterValidator(_years)]


def _query_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_parsing", "Enter true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]

METADATA_BYTES = 4096
PAYLOAD_BYTES = 65536


def _json_bytes(limit: int) -> Any:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
        if size > limit:
            raise PydanticCustomError(
                "too_large", "At most {limit} bytes as JSON", {"limit": limit}
            )
        return value

    return AfterValidator(check)


Metadata = Annotated[
    dict[Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)], Any],
    Field(max_length=32, description=f"a JSON object, at most {METADATA_BYTES} bytes"),
    _json_bytes(METADATA_BYTES),
]
# What an approvable action is asked with (its own schema checks the fields).
Payload = Annotated[
    dict[Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)], Any],
    Field(max_length=64, description=f"a JSON object, at most {PAYLOAD_BYTES} bytes"),
    _json_bytes(PAYLOAD_BYTES),
]


class OneOf:
    """``Annotated[str, OneOf(Model.Status)]``: one of the values (an ``enum`` in the
    OpenAPI document, inline: no component whose name could collide)."""

    def __init__(self, choices: type[Choices] | Iterable[str]) -> None:
        values = choices.values if isinstance(choices, type) else choices
        self.values = [str(v) for v in values]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            str, core_schema.literal_schema(self.values)
        )


def download(*, json_too: bool = False) -> dict[str, Any]:
    """``openapi_extra`` of a route that answers a CSV or XLSX file (``format``)."""
    content: dict[str, Any] = {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        },
    }
    ok: dict[str, Any] = {"content": content}
    if not json_too:
        ok["description"] = "The file, as `format` asks"
    return {"responses": {200: ok}}


MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Pages(PageNumberPagination):
    """``page`` (1 to 1,000,000) and ``page_size`` (1 to 500), refused beyond."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
