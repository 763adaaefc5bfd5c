"""Reports as downloads: one table (CSV) or several sheets (XLSX), headers in English or Chinese.

CSV is UTF-8 with a byte-order mark (so Excel on a Chinese Windows opens it without mojibake),
amounts in major units written exactly (`1234.56`); XLSX is written by openpyxl in write-only
mode, amounts as numbers with two decimals (`#,##0.00`), dates as dates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Response

from services.money import CURRENCIES, decimal_text, to_decimal

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


FormatQuery = Annotated[ReportFormat, Query(alias="format", description="json (default), or a csv / xlsx download")]
LangQuery = Annotated[Lang, Query(description="Headers of a download: en (default) or zh (Chinese)")]

DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as a CSV or XLSX download (`?format=`)",
        "content": {
            CSV_TYPE: {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@dataclass(frozen=True)
class Amount:
    """Money in minor units, written in major units in a file."""

    minor: int
    currency: str


Cell = str | int | date | datetime | Amount | None


@dataclass(frozen=True)
class Column:
    en: str
    zh: str


@dataclass
class Table:
    sheet: str  # the XLSX sheet's name (31 characters at most)
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)

    def headers(self, lang: Lang) -> list[str]:
        return [c.zh if lang is Lang.zh else c.en for c in self.columns]


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Amount):
        return decimal_text(value.minor, value.currency)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_bytes(table: Table, lang: Lang) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers(lang))
    for row in table.rows:
        writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(tables: list[Table], lang: Lang) -> bytes:
    # openpyxl (~5 MB resident) is imported by the first XLSX download, not by every API worker.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.sheet[:31])
        sheet.append(table.headers(lang))
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: object, value: Cell) -> object:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Amount):
        cell = WriteOnlyCell(sheet, value=to_decimal(value.minor, value.currency))
        exponent = CURRENCIES.get(value.currency, 2)
        cell.number_format = "#,##0" + ("." + "0" * exponent if exponent else "")
        return cell
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the centre's local time
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def decimal_of(amount: Amount) -> Decimal:
    return to_decimal(amount.minor, amount.currency)


def download(tables: list[Table], fmt: ReportFormat, lang: Lang, filename: str) -> Response:
    """The first table as CSV, or every table as a sheet of one XLSX workbook."""
    if fmt is ReportFormat.csv:
        body, media, name = csv_bytes(tables[0], lang), CSV_TYPE, f"{filename}.csv"
    else:
        body, media, name = xlsx_bytes(tables, lang), XLSX_TYPE, f"{filename}.xlsx"
    return Response(body, media_type=media, headers={"Content-Disposition": attachment(name)})


def attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
