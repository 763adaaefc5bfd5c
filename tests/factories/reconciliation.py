"""Statement files as banks and Stripe write them (built by the tests, GBK included), and uploading
them to the reconciliation API."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

IMPORTS = "/api/v1/reconciliation/imports"


@dataclass(frozen=True)
class Row:
    """One transaction as the bank shows it: credit = money in (贷方), debit = money out (借方)."""

    day: str  # YYYY-MM-DD
    credit: str = ""
    debit: str = ""
    serial: str = ""
    payer: str = ""
    payer_account: str = ""
    memo: str = ""
    purpose: str = ""
    balance: str = ""


def _csv(header: list[str], rows: list[list[str]], *, preamble: list[list[str]] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in preamble or []:
        writer.writerow(line)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def icbc_csv(rows: list[Row], *, encoding: str = "gbk") -> bytes:
    """工商银行 企业网银 账户明细: GBK, 借方/贷方发生额 in yuan."""
    header = [
        "交易日期",
        "交易流水号",
        "对方账号",
        "对方户名",
        "摘要",
        "用途",
        "借方发生额",
        "贷方发生额",
        "余额",
        "币种",
    ]
    body = [
        [
            r.day.replace("-", ""),
            r.serial,
            r.payer_account,
            r.payer,
            r.memo,
            r.purpose,
            r.debit,
            r.credit,
            r.balance,
            "人民币",
        ]
        for r in rows
    ]
    return _csv(header, body).encode(encoding)


CCB_HEADER = [
    "交易时间",
    "借方发生额（支取）",
    "贷方发生额（收入）",
    "余额",
    "币种",
    "对方户名",
    "对方账号",
    "对方开户机构",
    "记账日期",
    "摘要",
    "备注",
    "账户明细编号-交易流水号",
]


def _ccb_rows(rows: list[Row]) -> list[list[str]]:
    return [
        [
            f"{r.day} 10:15:00",
            r.debit,
            r.credit,
            r.balance,
            "人民币",
            r.payer,
            r.payer_account,
            "中国建设银行苏州分行",
            r.day.replace("-", ""),
            r.memo,
            r.purpose,
            r.serial,
        ]
        for r in rows
    ]


CCB_PREAMBLE = [
    ["中国建设银行单位账户交易明细"],
    ["账号", "32201988236052500123"],
    ["起止日期", "2026-10-01 至 2026-10-31"],
]


def ccb_csv(rows: list[Row]) -> bytes:
    """建设银行 企业网银 交易明细: UTF-8 with a BOM, title rows before the header."""
    return ("\ufeff" + _csv(CCB_HEADER, _ccb_rows(rows), preamble=CCB_PREAMBLE)).encode("utf-8")


def ccb_xlsx(rows: list[Row]) -> bytes:
    """The same layout as an Excel workbook (numbers as numbers, as banks export them)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("交易明细")
    for line in CCB_PREAMBLE:
        sheet.append(line)
    sheet.append(CCB_HEADER)
    for values in _ccb_rows(rows):
        sheet.append([_number(v) if i in (1, 2, 3) else v for i, v in enumerate(values)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(text: str) -> Any:
    if not text:
        return None
    return float(text) if "." in text else int(text)


def generic_csv(rows: list[tuple[str, str, str, str, str]], *, balance: str | None = None) -> bytes:
    """date, amount (signed, + received), description, reference, counterparty (UTF-8)."""
    header = ["date", "amount", "description", "reference", "counterparty", "balance"]
    return _csv(header, [[*r, balance if i == len(rows) - 1 and balance else ""] for i, r in enumerate(rows)]).encode()


def camt053(
    entries: list[dict[str, str]], *, closing: str | None = None, closing_date: str = "2026-10-31", ccy: str = "CNY"
) -> bytes:
    """An ISO 20022 camt.053.001.08 statement: entries with amount, CRDT/DBIT, dates, reference,
    the other party and the remittance information; the closing booked balance (CLBD)."""
    ntries = "".join(
        f"""
      <Ntry>
        <NtryRef>{e.get("ref", "")}</NtryRef>
        <Amt Ccy="{e.get("ccy", ccy)}">{e["amount"]}</Amt>
        <CdtDbtInd>{e.get("cd", "CRDT")}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{e["date"]}</Dt></BookgDt>
        <ValDt><Dt>{e["date"]}</Dt></ValDt>
        <AcctSvcrRef>{e.get("serial", "")}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Nm>{e.get("payer", "")}</Nm></Dbtr><Cdtr><Nm>{e.get("payee", "")}</Nm></Cdtr></RltdPties>
          <RmtInf><Ustrd>{e.get("memo", "")}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""
        for e in entries
    )
    balance = (
        f"""
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{closing.lstrip("-")}</Amt>
        <CdtDbtInd>{"DBIT" if closing.startswith("-") else "CRDT"}</CdtDbtInd><Dt><Dt>{closing_date}</Dt></Dt></Bal>"""
        if closing is not None
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-{uuid.uuid4().hex[:8]}</MsgId><CreDtTm>2026-11-01T08:00:00+08:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>1</Id>{balance}{ntries}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def stripe_balance_history(rows: list[dict[str, str]]) -> bytes:
    """Stripe's balance history export (major units)."""
    header = ["id", "Type", "Source", "Amount", "Fee", "Net", "Currency", "Created (UTC)", "Description", "Transfer"]
    body = [
        [
            r["id"],
            r.get("type", "charge"),
            r.get("source", ""),
            r["amount"],
            r.get("fee", "0.00"),
            r.get("net", r["amount"]),
            r.get("currency", "cny"),
            r.get("created", "2026-10-09 02:00:00"),
            r.get("description", ""),
            r.get("payout", ""),
        ]
        for r in rows
    ]
    return _csv(header, body).encode()


def payout_reconciliation(rows: list[dict[str, str]]) -> bytes:
    """Stripe's payout reconciliation report (itemised)."""
    header = [
        "automatic_payout_id",
        "balance_transaction_id",
        "created_utc",
        "currency",
        "gross",
        "fee",
        "net",
        "reporting_category",
        "source_id",
        "description",
        "payment_metadata[settlement_id]",
    ]
    body = [
        [
            r.get("payout", ""),
            r["id"],
            r.get("created", "2026-10-09 02:00:00"),
            r.get("currency", "cny"),
            r["amount"],
            r.get("fee", "0.00"),
            r.get("net", r["amount"]),
            r.get("type", "charge"),
            r.get("source", ""),
            r.get("description", ""),
            r.get("settlement_id", ""),
        ]
        for r in rows
    ]
    return _csv(header, body).encode()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    bank: dict,
    content: bytes,
    *,
    profile: str,
    filename: str = "statement.csv",
    key: str | None = None,
) -> httpx.Response:
    return await client.post(
        IMPORTS,
        files={"file": (filename, content, "application/octet-stream")},
        data={"bank_account_id": bank["id"], "profile": profile},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def queue(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    response = await client.get("/api/v1/reconciliation/items", params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]
