"""The ledger export: the beancount file loads in beancount itself with no errors (and passes
bean-check), hledger's journal passes `hledger check`, and both, like the CSV, hold exactly the trial
balance at the end of `to`, to the fen, with opening balances for `from`."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from models.enums import IncomeKind
from services.money import to_decimal
from tests.factories.http import is_problem
from tests.factories.ledger import make_books, open_bank_account, owe, pay

URL = "/api/v1/ledger/export"
# The end of 30 November in Shanghai: what an export `to=2026-11-30` closes with.
END_OF_NOVEMBER = "2026-11-30T23:59:59.999999+08:00"
LEGAL = re.compile(r"^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


async def run(*args: str) -> subprocess.CompletedProcess[str]:
    """A tool's run (bean-check, hledger), off the event loop."""
    return await asyncio.to_thread(_run, *args)


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def _account(client, books, purpose: str) -> dict:
    response = await client.get("/api/v1/ledger/accounts", params={"purpose": purpose}, headers=books.finance)
    return response.json()["items"][0]


async def _manual(client, books, lines, description) -> dict:
    body = {
        "description": description,
        "postings": [
            {"account_id": a["id"], "side": side, "amount": {"amount": amount, "currency": "CNY"}, "memo": memo}
            for a, side, amount, memo in lines
        ],
    }
    response = await client.post(
        "/api/v1/ledger/entries", json=body, headers={**books.finance, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _ledger(client, db, books, clock) -> None:
    """October (before the export), November (in it), and an entry at midnight on 1 December in
    Shanghai (after it): accruals, receipts, a grant with quotes in its text, a reversal, USD."""
    clock.set(utc(2026, 10, 10, 2))
    october = await owe(db, books, 100_000)
    bank = await open_bank_account(client, books)
    assert (await pay(client, books.finance, october.id, bank, 40_000)).status_code == 201
    clock.set(utc(2026, 10, 31, 15, 59))  # 23:59 on 31 October in Shanghai: before the export
    await owe(db, books, 3_333, provider=books.centre, debtor=books.other_sme)
    clock.set(utc(2026, 10, 31, 16, 0))  # 00:00 on 1 November in Shanghai: in it
    november = await owe(db, books, 50_001, income_kind=IncomeKind.consulting)
    clock.set(utc(2026, 11, 12, 2))
    assert (await pay(client, books.finance, october.id, bank, 60_000)).status_code == 201
    assert (await pay(client, books.finance, november.id, bank, 1)).status_code == 201
    bank_account, grants = await _account(client, books, "bank"), await _account(client, books, "grant_income")
    grant = await _manual(
        client,
        books,
        [(bank_account, "debit", 7_000, '课题 "A\\1"'), (grants, "credit", 7_000, None)],
        '省级课题 "先进材料" 经费\\到账',
    )
    clock.set(utc(2026, 11, 20, 2))
    reversal = await client.post(
        f"/api/v1/ledger/entries/{grant['id']}/reverse", json={"reason": "重复入账"}, headers=books.finance
    )
    assert reversal.status_code == 201, reversal.text
    await owe(db, books, 1_234, currency="USD")
    clock.set(utc(2026, 11, 30, 16, 0))  # 00:00 on 1 December in Shanghai: after the export
    await owe(db, books, 999)
    clock.set(utc(2026, 12, 3, 2))


async def _trial_balance(client, books) -> dict[str, tuple[str, Decimal]]:
    """Account id -> (currency, debits - credits in major units) at the end of 30 November."""
    response = await client.get(
        "/api/v1/ledger/trial-balance", params={"as_of": END_OF_NOVEMBER}, headers=books.finance
    )
    assert response.status_code == 200, response.text
    return {
        line["account_id"]: (
            line["debits"]["currency"],
            to_decimal(line["debits"]["amount"] - line["credits"]["amount"], line["debits"]["currency"]),
        )
        for line in response.json()["accounts"]
    }


class TestBeancount:
    async def test_the_file_loads_without_errors_and_holds_the_trial_balance(self, client, db, books, clock, tmp_path):
        await _ledger(client, db, books, clock)
        response = await client.get(
            URL, params={"format": "beancount", "from": "2026-11-01", "to": "2026-11-30"}, headers=books.finance
        )
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        text = response.text
        entries, errors, _ = loader.load_string(text)
        assert errors == []
        opened = {e.account: e for e in entries if isinstance(e, data.Open)}
        account_of = {e.meta["ledger_account_id"]: name for name, e in opened.items()}
        assert all(LEGAL.match(name) for name in opened), sorted(opened)
        receivable = opened["Assets:Receivable:CNY"]
        assert (receivable.meta["code"], receivable.meta["name"]) == ("1122", "应收账款")
        assert receivable.currencies == ["CNY"] and receivable.date.isoformat() == "2026-11-01"
        assert opened["Income:MarketService:Consulting:CNY"].meta["name"] == "主营业务收入—市场化服务收入—技术咨询"
        assert "Assets:Receivable:USD" in opened and "Assets:Bank:1002-001:CNY" in opened

        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        transactions = [e for e in entries if isinstance(e, data.Transaction)]
        for t in transactions:
            for p in t.postings:
                sums[(p.account, p.units.currency)] += p.units.number
        expected = await _trial_balance(client, books)
        assert set(account_of) == set(expected)
        for account_id, (currency, net) in expected.items():
            assert sums.get((account_of[account_id], currency), Decimal(0)) == net, account_of[account_id]
        # October left 1,000.00 - 400.00 + 33.33; November owed 500.01 and received 600.00 + 0.01.
        assert sums[("Assets:Receivable:CNY", "CNY")] == Decimal("533.33")
        assert sums[("Assets:Receivable:USD", "USD")] == Decimal("12.34")

        # Opening balances: what October left; the 1 December entry is not in the file.
        [opening] = [t for t in transactions if t.narration.startswith("期初余额")]
        assert opening.date.isoformat() == "2026-11-01"
        assert {p.account: p.units.number for p in opening.postings}["Assets:Receivable:CNY"] == Decimal("633.33")
        assert all(t.date.isoformat() <= "2026-11-30" for t in transactions)
        # Quotes and backslashes in descriptions and memos survive.
        [grant] = [t for t in transactions if t.meta.get("source") == "manual"]
        assert grant.narration == '省级课题 "先进材料" 经费\\到账'
        assert grant.postings[0].meta["memo"] == '课题 "A\\1"'
        # The closing balance assertions are checked by beancount too (a wrong one is an error).
        balances = [e for e in entries if isinstance(e, data.Balance)]
        assert len(balances) == len(expected) and {b.date.isoformat() for b in balances} == {"2026-12-01"}
        broken = text.replace("Assets:Receivable:CNY  533.33 ~", "Assets:Receivable:CNY  533.34 ~")
        assert broken != text and loader.load_string(broken)[1] != []

        path = tmp_path / "ledger.beancount"
        path.write_text(text, encoding="utf-8")
        bean_check = Path(sys.executable).parent / "bean-check"
        checked = await run(str(bean_check), str(path))
        assert checked.returncode == 0, checked.stdout + checked.stderr

    async def test_without_from_everything_from_the_first_entry_and_no_opening(self, client, db, books, clock):
        await _ledger(client, db, books, clock)
        response = await client.get(URL, params={"format": "beancount", "to": "2026-11-30"}, headers=books.manager)
        entries, errors, _ = loader.load_string(response.text)
        assert errors == []
        transactions = [e for e in entries if isinstance(e, data.Transaction)]
        assert min(t.date for t in transactions).isoformat() == "2026-10-10"
        assert not any(t.narration.startswith("期初余额") for t in transactions)
        account_of = {e.meta["ledger_account_id"]: e.account for e in entries if isinstance(e, data.Open)}
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for t in transactions:
            for p in t.postings:
                sums[p.account] += p.units.number
        for account_id, (_, net) in (await _trial_balance(client, books)).items():
            assert sums.get(account_of[account_id], Decimal(0)) == net

    async def test_an_empty_ledger_and_bad_ranges(self, client, books):
        response = await client.get(URL, params={"format": "beancount"}, headers=books.finance)
        assert response.status_code == 200 and loader.load_string(response.text)[1] == []
        bad = await client.get(
            URL, params={"format": "beancount", "from": "2026-11-02", "to": "2026-11-01"}, headers=books.finance
        )
        assert is_problem(bad, 422)
        assert is_problem(await client.get(URL, params={"format": "ods"}, headers=books.finance), 422)
        assert is_problem(await client.get(URL, headers=books.finance), 422)


class TestCsv:
    async def test_rows_per_posting_with_opening_rows_sum_to_the_trial_balance(self, client, db, books, clock):
        await _ledger(client, db, books, clock)
        response = await client.get(
            URL, params={"format": "csv", "from": "2026-11-01", "to": "2026-11-30", "lang": "zh"}, headers=books.finance
        )
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert list(rows[0])[:3] == ["日期", "记账时间", "分录编号"]
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for r in rows:
            sums[(r["导出科目"], r["币种"])] += Decimal(r["借方金额"]) - Decimal(r["贷方金额"])
        names = {
            e.meta["ledger_account_id"]: e.account
            for e in loader.load_string(
                (
                    await client.get(
                        URL,
                        params={"format": "beancount", "from": "2026-11-01", "to": "2026-11-30"},
                        headers=books.finance,
                    )
                ).text
            )[0]
            if isinstance(e, data.Open)
        }
        for account_id, (currency, net) in (await _trial_balance(client, books)).items():
            assert sums.get((names[account_id], currency), Decimal(0)) == net
        opening = [r for r in rows if r["来源"] == "opening"]
        assert {r["科目编码"] for r in opening} >= {"1122", "6001.04"}
        assert {r["日期"] for r in rows} <= {f"2026-11-{d:02d}" for d in range(1, 31)}


class TestHledger:
    async def test_the_journal_passes_hledger_check_and_holds_the_trial_balance(
        self, client, db, books, clock, tmp_path
    ):
        binary = shutil.which("hledger")
        if binary is None:
            pytest.skip(
                "hledger is NOT installed, so this hledger check did NOT run (.ci/run installs Debian's hledger)"
            )
        await _ledger(client, db, books, clock)
        response = await client.get(
            URL, params={"format": "hledger", "from": "2026-11-01", "to": "2026-11-30"}, headers=books.finance
        )
        assert response.status_code == 200, response.text
        path = tmp_path / "ledger.journal"
        path.write_text(response.text, encoding="utf-8")
        checked = await run(binary, "-f", str(path), "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr

        report = await run(binary, "-f", str(path), "bal", "--flat", "-O", "csv", "--no-total")
        assert report.returncode == 0, report.stderr
        shown: dict[str, Decimal] = {}
        for row in list(csv.reader(io.StringIO(report.stdout)))[1:]:
            amount, _currency = row[1].rsplit(" ", 1)
            shown[row[0]] = Decimal(amount.replace(",", ""))
        names = {
            e.meta["ledger_account_id"]: e.account
            for e in loader.load_string(
                (
                    await client.get(
                        URL,
                        params={"format": "beancount", "from": "2026-11-01", "to": "2026-11-30"},
                        headers=books.finance,
                    )
                ).text
            )[0]
            if isinstance(e, data.Open)
        }
        expected = {names[i]: net for i, (_, net) in (await _trial_balance(client, books)).items() if net}
        assert shown == expected
        assert shown["Assets:Receivable:CNY"] == Decimal("533.33")

        # A wrong closing balance fails the check: the assertions are real.
        broken = path.read_text(encoding="utf-8").replace("= 533.33 CNY", "= 533.34 CNY")
        path.write_text(broken, encoding="utf-8")
        failed = await run(binary, "-f", str(path), "check")
        assert failed.returncode != 0
