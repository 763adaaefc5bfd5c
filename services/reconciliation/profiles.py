"""Reading statements as streams: the column-mapping profiles of Chinese corporate online banking
(CSV or Excel, GBK or UTF-8), a generic CSV, ISO 20022 camt.053 XML, and Stripe's balance history
or payout reconciliation CSV.

Every reader yields one `ParsedLine` at a time (memory stays flat whatever the file's length):
CSV through an incremental decoder, Excel through openpyxl's read-only mode, XML through
`iterparse` (each entry cleared once read). Amounts are converted exactly with the currency's
exponent (`Decimal`, never float); a line with more decimals than the currency has is refused
(422) naming the line. The sign flips here, once: a bank credit is a debit (+) of our bank account.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from services.errors import Invalid
from services.money import CURRENCIES

SETTLEMENT_NUMBER = re.compile(r"JS-\d{4}-\d{6}")
PAYOUT_ID = re.compile(r"\bpo_[A-Za-z0-9]+")
EXCEL_MAGIC = b"PK\x03\x04"


class UnreadableStatement(Invalid):
    title = "The statement cannot be read with this profile"
    slug = "unreadable-statement"


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    value_date: date
    amount: int  # signed minor units: + money in (a debit of our account), - money out
    serial: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    memo: str | None = None
    kind: str = "credit"
    fee: int = 0
    currency: str | None = None  # when the file says (checked against the account's)
    external_ref: str | None = None
    payout_ref: str | None = None
    balance_after: int | None = None
    raw: Any = None

    @property
    def refs(self) -> str | None:
        found = sorted(set(SETTLEMENT_NUMBER.findall(self.memo or "")))
        return " ".join(found)[:200] or None


@dataclass
class Closing:
    """The statement's closing balance, known once the whole file is read."""

    as_of: date | None = None
    amount: int | None = None


@dataclass(frozen=True)
class CsvProfile:
    """Which columns mean what (the first header name present wins), and the file's encoding."""

    name: str
    title: str
    date: tuple[str, ...]
    debit: tuple[str, ...] = ()  # money out of our account (借方发生额 on the bank's statement)
    credit: tuple[str, ...] = ()  # money in (贷方发生额)
    amount: tuple[str, ...] = ()  # one signed column instead (+ in)
    balance: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()
    counterparty: tuple[str, ...] = ()
    counterparty_account: tuple[str, ...] = ()
    memo: tuple[str, ...] = ()  # joined with spaces: 摘要 and 用途 both
    currency: tuple[str, ...] = ()
    encodings: tuple[str, ...] = ("utf-8", "gb18030")


PROFILES: dict[str, CsvProfile] = {
    p.name: p
    for p in (
        CsvProfile(
            name="icbc",
            title="中国工商银行 企业网银 账户明细 (CSV/Excel, GBK)",
            date=("交易日期", "交易时间"),
            debit=("借方发生额",),
            credit=("贷方发生额",),
            balance=("余额",),
            serial=("交易流水号",),
            counterparty=("对方户名", "对方单位名称"),
            counterparty_account=("对方账号",),
            memo=("摘要", "用途"),
            currency=("币种",),
            encodings=("gb18030", "utf-8"),
        ),
        CsvProfile(
            name="ccb",
            title="中国建设银行 企业网银 交易明细 (CSV/Excel, UTF-8 or GBK, title rows before the header)",
            date=("记账日期", "交易时间"),
            debit=("借方发生额（支取）", "借方发生额(支取)", "借方发生额"),
            credit=("贷方发生额（收入）", "贷方发生额(收入)", "贷方发生额"),
            balance=("余额", "账户余额"),
            serial=("账户明细编号-交易流水号", "交易流水号"),
            counterparty=("对方户名",),
            counterparty_account=("对方账号",),
            memo=("摘要", "备注", "用途"),
            currency=("币种",),
        ),
        CsvProfile(
            name="generic",
            title="Generic CSV/Excel: date, amount (signed, + received) or debit/credit, description, reference",
            date=("date", "value_date", "booking_date"),
            debit=("debit", "withdrawal"),
            credit=("credit", "deposit"),
            amount=("amount",),
            balance=("balance",),
            serial=("reference", "transaction_id", "id"),
            counterparty=("counterparty", "payer", "name"),
            counterparty_account=("counterparty_account", "account"),
            memo=("description", "memo", "purpose"),
            currency=("currency",),
        ),
    )
}
STRIPE = "stripe"
CAMT053 = "camt053"
ALL_PROFILES = (*PROFILES, CAMT053, STRIPE)


def to_minor(text: str, currency: str, where: list[str | int]) -> int:
    """Major units as written ("1,234.50", "-12", "¥3.00") -> exact minor units; 422 naming the line
    when it is not a number or has more decimals than the currency allows."""
    cleaned = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "")
    if cleaned in ("", "-", "--"):
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UnreadableStatement(f"{where[1]} {where[2]}: {text!r} is not an amount", loc=where) from None
    exponent = CURRENCIES.get(currency, 2)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value() or not value.is_finite():
        raise UnreadableStatement(
            f"{where[1]} {where[2]}: {text!r} has more decimals than {currency} allows ({exponent})", loc=where
        )
    return int(scaled)


_DATE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})")


def to_date(text: str, where: list[str | int]) -> date:
    found = _DATE.search((text or "").strip())
    if found is None:
        raise UnreadableStatement(f"{where[1]} {where[2]}: {text!r} is not a date", loc=where)
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise UnreadableStatement(f"{where[1]} {where[2]}: {text!r} is not a date", loc=where) from None


def row_key(raw: Any, seen: Counter[str]) -> str:
    """A line without a serial number is known by a hash of its row, and the how-manieth identical
    row of its file it is (so two identical transfers on one day stay two lines, and an overlapping
    file finds the same keys)."""
    digest = hashlib.sha256(json.dumps(raw, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    seen[digest] += 1
    return f"sha256:{digest}#{seen[digest]}"


# Streams of rows: CSV (any encoding) or Excel.


def _decoded(stream: IO[bytes], encodings: tuple[str, ...]) -> Iterator[str]:
    """The text of a byte stream in the first encoding its first 64 KiB decode in, chunk by chunk."""
    head = stream.read(65536)
    chosen = None
    for encoding in encodings:
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        chosen = encoding
        break
    if chosen is None:
        raise UnreadableStatement(f"the file is not text in {' or '.join(encodings)}", loc=["body", "file"])
    decoder = codecs.getincrementaldecoder("utf-8-sig" if chosen == "utf-8" else chosen)()
    chunk = head
    try:
        while chunk:
            yield decoder.decode(chunk)
            chunk = stream.read(65536)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise UnreadableStatement(f"the file is not {chosen} throughout: {exc.reason}", loc=["body", "file"]) from exc


class _Lines(io.TextIOBase):
    """A file-like over decoded chunks, for csv.reader (which wants lines)."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.buffer = ""

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # lines of text, as csv wants
        for chunk in self.chunks:
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split("\n")
            for line in lines:
                yield line + "\n"
        if self.buffer:
            yield self.buffer


def rows(stream: IO[bytes], encodings: tuple[str, ...]) -> Iterator[list[str]]:
    """Rows of a CSV or an Excel workbook's first sheet, as strings, streamed."""
    start = stream.read(4)
    stream.seek(0)
    if start == EXCEL_MAGIC:
        yield from _excel_rows(stream)
        return
    yield from csv.reader(_Lines(_decoded(stream, encodings)))


def _excel_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableStatement(f"the workbook cannot be opened: {exc}", loc=["body", "file"]) from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as binary floats: read back the shortest decimal that round-trips.
        return repr(value)
    return str(value).strip()


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    normal = [h.strip().lower() for h in header]
    for name in names:
        if name.lower() in normal:
            return normal.index(name.lower())
    return None


def parse_csv(stream: IO[bytes], profile: CsvProfile, currency: str, closing: Closing) -> Iterator[ParsedLine]:
    """Lines of a bank statement laid out as `profile` says (title rows before the header skipped)."""
    header: list[str] | None = None
    cols: dict[str, int | None] = {}
    seen: Counter[str] = Counter()
    last_balance: tuple[date, int, int] | None = None
    for n, row in enumerate(rows(stream, profile.encodings), start=1):
        if header is None:
            if _pick(row, profile.date) is not None and (
                _pick(row, profile.amount) is not None or _pick(row, profile.credit) is not None
            ):
                header = row
                cols = {
                    f: _pick(row, getattr(profile, f))
                    for f in (
                        "date",
                        "debit",
                        "credit",
                        "amount",
                        "balance",
                        "serial",
                        "counterparty",
                        "counterparty_account",
                        "currency",
                    )
                }
                memo_cols = [i for name in profile.memo if (i := _pick(row, (name,))) is not None]
            continue
        if not any(cell.strip() for cell in row) or row[0].strip().startswith(("合计", "总计", "Total")):
            continue

        def cell(f: str, row: list[str] = row, cols: dict[str, int | None] = cols) -> str:
            i = cols.get(f)
            return row[i].strip() if i is not None and i < len(row) else ""

        where: list[str | int] = ["body", "line", n]
        if cols["amount"] is not None and not (cell("debit") or cell("credit")):
            amount = to_minor(cell("amount"), currency, where)
        else:
            amount = to_minor(cell("credit"), currency, where) - abs(to_minor(cell("debit"), currency, where))
        value_date = to_date(cell("date"), where)
        balance = to_minor(cell("balance"), currency, where) if cell("balance") else None
        memo = " ".join(row[i].strip() for i in memo_cols if i < len(row) and row[i].strip()) or None
        raw = dict(zip(header, row, strict=False))
        serial = cell("serial") or None
        if balance is not None and (last_balance is None or value_date >= last_balance[0]):
            last_balance = (value_date, n, balance)
        yield ParsedLine(
            line_no=n,
            value_date=value_date,
            amount=amount,
            serial=serial,
            counterparty_name=cell("counterparty")[:200] or None,
            counterparty_account=cell("counterparty_account")[:64] or None,
            memo=memo[:500] if memo else None,
            kind="credit" if amount >= 0 else "debit",
            currency=_currency(cell("currency")),
            payout_ref=_payout(memo),
            balance_after=balance,
            raw=raw if serial else {**raw, "_key": row_key(raw, seen)},
        )
    if header is None:
        raise UnreadableStatement(
            f"no header row with the {profile.name} profile's columns ({'/'.join(profile.date)}, amounts)",
            loc=["body", "file"],
        )
    if last_balance is not None:
        closing.as_of, closing.amount = last_balance[0], last_balance[2]


_CURRENCY_NAMES = {"人民币": "CNY", "RMB": "CNY", "美元": "USD", "欧元": "EUR", "港币": "HKD", "日元": "JPY"}


def _currency(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    return _CURRENCY_NAMES.get(text, _CURRENCY_NAMES.get(text.upper(), text.upper()))


def _payout(text: str | None) -> str | None:
    found = PAYOUT_ID.search(text or "")
    return found[0][:64] if found else None


# ISO 20022 camt.053 (bank to customer statement).


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, path: str) -> ET.Element | None:
    """The first descendant along a path of local names (namespaces ignored)."""
    current: ET.Element | None = node
    for name in path.split("/"):
        if current is None:
            return None
        current = next((c for c in current if _local(c.tag) == name), None)
    return current


def _text(node: ET.Element, path: str) -> str:
    found = _find(node, path)
    return (found.text or "").strip() if found is not None else ""


def parse_camt053(stream: IO[bytes], currency: str, closing: Closing) -> Iterator[ParsedLine]:
    """Entries (Ntry) of a camt.053 statement; its closing booked balance (CLBD) is the check."""
    n = 0
    seen: Counter[str] = Counter()
    if b"<!DOCTYPE" in stream.read(65536).upper():
        raise UnreadableStatement("a statement has no DOCTYPE (entities are refused)", loc=["body", "file"])
    stream.seek(0)
    try:
        # Expat >= 2.4 limits entity expansion and ElementTree never fetches external entities;
        # a DOCTYPE is refused above besides.
        for _event, node in ET.iterparse(stream, events=("end",)):  # noqa: S314
            name = _local(node.tag)
            if name == "Bal" and _text(node, "Tp/CdOrPrtry/Cd") == "CLBD":
                where: list[str | int] = ["body", "balance", "CLBD"]
                amount = to_minor(_text(node, "Amt"), currency, where)
                if _text(node, "CdtDbtInd") == "DBIT":
                    amount = -amount
                closing.as_of = to_date(_text(node, "Dt/Dt") or _text(node, "Dt/DtTm"), where)
                closing.amount = amount
                _check_ccy(_find(node, "Amt"), currency, where)
            elif name == "Ntry":
                n += 1
                where = ["body", "entry", n]
                amount = to_minor(_text(node, "Amt"), currency, where)
                _check_ccy(_find(node, "Amt"), currency, where)
                credit = _text(node, "CdtDbtInd") == "CRDT"
                details = _find(node, "NtryDtls/TxDtls")
                party = ""
                party_account = ""
                memo = ""
                if details is not None:
                    side = "Dbtr" if credit else "Cdtr"
                    party = _text(details, f"RltdPties/{side}/Nm") or _text(details, f"RltdPties/{side}/Pty/Nm")
                    party_account = _text(details, f"RltdPties/{side}Acct/Id/Othr/Id") or _text(
                        details, f"RltdPties/{side}Acct/Id/IBAN"
                    )
                    memo = " ".join(
                        (u.text or "").strip()
                        for u in details.iter()
                        if _local(u.tag) in ("Ustrd", "Ref") and (u.text or "").strip()
                    )
                memo = " ".join(x for x in (memo, _text(node, "AddtlNtryInf")) if x)
                serial = _text(node, "AcctSvcrRef") or _text(node, "NtryRef") or None
                raw = ET.tostring(node, encoding="unicode")
                yield ParsedLine(
                    line_no=n,
                    value_date=to_date(_text(node, "ValDt/Dt") or _text(node, "BookgDt/Dt"), where),
                    amount=amount if credit else -amount,
                    serial=serial,
                    counterparty_name=party[:200] or None,
                    counterparty_account=party_account[:64] or None,
                    memo=memo[:500] or None,
                    kind="credit" if credit else "debit",
                    payout_ref=_payout(memo),
                    raw={"xml": raw} if serial else {"xml": raw, "_key": row_key(raw, seen)},
                )
                node.clear()
    except ET.ParseError as exc:
        raise UnreadableStatement(f"not camt.053 XML: {exc}", loc=["body", "file"]) from exc
    if n == 0 and closing.amount is None:
        raise UnreadableStatement("no statement entries (Ntry) or balances in the file", loc=["body", "file"])


def _check_ccy(amt: ET.Element | None, currency: str, where: list[str | int]) -> None:
    ccy = amt.get("Ccy") if amt is not None else None
    if ccy and ccy.upper() != currency:
        raise UnreadableStatement(f"{where[1]} {where[2]} is in {ccy}; the account is in {currency}", loc=where)


# Stripe: balance history (id, Type, Source, Amount, Fee, Net, Currency, Created (UTC), Description,
# Transfer) or payout reconciliation (balance_transaction_id, created_utc, gross, fee, net,
# reporting_category, source_id, automatic_payout_id, ...), in major units.

_STRIPE_COLUMNS = {
    "id": ("id", "balance_transaction_id"),
    "type": ("type", "reporting_category"),
    "source": ("source", "source_id"),
    "gross": ("amount", "gross"),
    "fee": ("fee",),
    "currency": ("currency",),
    "created": ("available on (utc)", "available_on_utc", "created (utc)", "created_utc", "created"),
    "description": ("description",),
    "payout": ("transfer", "payout", "automatic_payout_id"),
    "customer": ("customer_name", "customer_description", "customer_email"),
}


def parse_stripe(stream: IO[bytes], currency: str, closing: Closing) -> Iterator[ParsedLine]:
    """Lines of Stripe's balance: + what reached it (charges), - what left it (refunds, payouts)."""
    header: dict[str, int | None] | None = None
    names: list[str] = []
    for n, row in enumerate(rows(stream, ("utf-8",)), start=1):
        if header is None:
            header = {k: _pick(row, v) for k, v in _STRIPE_COLUMNS.items()}
            names = row
            if header["id"] is None or header["gross"] is None:
                raise UnreadableStatement(
                    "not a Stripe balance history or payout reconciliation CSV (no id and amount/gross columns)",
                    loc=["body", "file"],
                )
            continue
        if not any(c.strip() for c in row):
            continue

        def cell(f: str, row: list[str] = row, header: dict[str, int | None] = header) -> str:
            i = header.get(f)
            return row[i].strip() if i is not None and i < len(row) else ""

        where: list[str | int] = ["body", "line", n]
        ccy = cell("currency").upper() or currency
        if ccy != currency:
            raise UnreadableStatement(f"line {n} is in {ccy}; the account is in {currency}", loc=where)
        kind = cell("type") or "charge"
        source = cell("source") or None
        payout = cell("payout") or None
        if kind == "payout" and source and source.startswith("po_"):
            payout = source
        yield ParsedLine(
            line_no=n,
            value_date=to_date(cell("created"), where),
            amount=to_minor(cell("gross"), currency, where),
            fee=to_minor(cell("fee"), currency, where),
            serial=cell("id"),
            counterparty_name=cell("customer")[:200] or None,
            memo=cell("description")[:500] or None,
            kind=kind[:32],
            currency=ccy,
            external_ref=source,
            payout_ref=payout[:64] if payout else None,
            raw=dict(zip(names, row, strict=False)),
        )


def parse(profile: str, stream: IO[bytes], currency: str, closing: Closing) -> Iterator[ParsedLine]:
    """The lines of a statement read with `profile` (one of ALL_PROFILES)."""
    if profile == CAMT053:
        return parse_camt053(stream, currency, closing)
    if profile == STRIPE:
        return parse_stripe(stream, currency, closing)
    return parse_csv(stream, PROFILES[profile], currency, closing)


@dataclass
class Summary:
    """What a parsed file held, for the import's answer."""

    lines: int = 0
    first: date | None = None
    last: date | None = None
    totals: dict[str, int] = field(default_factory=dict)
