"""Finance reports: recognised revenue (grouped by kind, institute, month and customer), receivables
aging at the bucket edges in Asia/Shanghai, co-builder statements, each as JSON, CSV and XLSX with
Chinese headers, and who may read them."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from models.enums import AccountPurpose, IncomeKind, OrganisationKind, SettlementSource
from services import settlements
from services.ledger import chart
from tests.factories.http import is_problem
from tests.factories.ledger import make_books, open_bank_account, owe, pay
from tests.factories.organisations import build

BASE = "/api/v1/reports"


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def _account(client, books, purpose: str, currency: str = "CNY") -> dict:
    response = await client.get(
        "/api/v1/ledger/accounts", params={"purpose": purpose, "currency": currency}, headers=books.finance
    )
    assert response.status_code == 200, response.text
    return response.json()["items"][0]


async def _manual(client, books, lines, description="省级课题经费到账", booked_at=None) -> dict:
    body = {
        "description": description,
        "postings": [
            {"account_id": a["id"], "side": side, "amount": {"amount": amount, "currency": "CNY"}, "memo": memo}
            for a, side, amount, memo in lines
        ],
    }
    if booked_at is not None:
        body["booked_at"] = booked_at.isoformat()
    response = await client.post(
        "/api/v1/ledger/entries", json=body, headers={**books.finance, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _revenue_books(client, db, books, clock) -> None:
    """October and November of a centre: testing and consulting income, an advance recognised in
    November, a grant, income in USD, and the month's edge in Shanghai."""
    clock.set(utc(2026, 10, 10, 2))
    await owe(db, books, 100_000)  # institute, testing, sme
    await owe(db, books, 30_001, provider=books.centre, debtor=books.other_sme, income_kind=IncomeKind.consulting)
    advance = uuid.uuid4()
    await owe(
        db, books, 9_000, debtor=books.other_sme, source=SettlementSource.milestone, source_id=advance, deferred=True
    )
    clock.set(utc(2026, 10, 31, 15, 59))  # 23:59 on 31 October in Shanghai
    await owe(db, books, 20_000)
    clock.set(utc(2026, 10, 31, 16, 0))  # midnight: 1 November in Shanghai (still 31 October in UTC)
    await owe(db, books, 5_000, income_kind=IncomeKind.instrument_sharing)
    clock.set(utc(2026, 11, 5, 2))
    await open_bank_account(client, books)
    bank, grants = await _account(client, books, "bank"), await _account(client, books, "grant_income")
    await _manual(client, books, [(bank, "debit", 7_000, None), (grants, "credit", 7_000, None)])
    await owe(db, books, 1_234, currency="USD")
    async with db.session_scope() as session:
        await settlements.recognise(session, SettlementSource.milestone, advance)
    clock.set(utc(2026, 12, 2, 2))


def _lines(body: dict, currency: str) -> dict:
    [found] = [c for c in body["currencies"] if c["currency"] == currency]
    return {line["key"]: line["amount"]["amount"] for line in found["lines"]}


def _totals(body: dict, currency: str) -> tuple[int, int, int]:
    [found] = [c for c in body["currencies"] if c["currency"] == currency]
    return found["total"]["amount"], found["market_service"]["amount"], found["other"]["amount"]


class TestRevenue:
    async def test_each_grouping_to_the_fen_per_currency(self, client, db, books, clock):
        await _revenue_books(client, db, books, clock)
        params = {"from": "2026-10-01", "to": "2026-11-30"}

        async def report(group_by: str) -> dict:
            response = await client.get(
                f"{BASE}/revenue", params={**params, "group_by": group_by}, headers=books.finance
            )
            assert response.status_code == 200, response.text
            return response.json()

        kind = await report("kind")
        assert (kind["from"], kind["to"], kind["group_by"]) == ("2026-10-01", "2026-11-30", "kind")
        assert [c["currency"] for c in kind["currencies"]] == ["CNY", "USD"]
        assert _lines(kind, "CNY") == {
            "testing": 129_000,
            "consulting": 30_001,
            "instrument_sharing": 5_000,
            "grant_income": 7_000,
        }
        assert _totals(kind, "CNY") == (171_001, 164_001, 7_000)
        assert _lines(kind, "USD") == {"testing": 1_234} and _totals(kind, "USD") == (1_234, 1_234, 0)

        institute = await report("institute")
        assert _lines(institute, "CNY") == {None: 37_001, str(books.institute.id): 134_000}
        assert _lines(institute, "USD") == {str(books.institute.id): 1_234}

        month = await report("month")
        assert _lines(month, "CNY") == {"2026-10": 150_001, "2026-11": 21_000}
        assert [line["key"] for line in month["currencies"][0]["lines"]] == ["2026-10", "2026-11"]

        customer = await report("customer")
        assert _lines(customer, "CNY") == {str(books.sme.id): 125_000, str(books.other_sme.id): 39_001, None: 7_000}
        names = {line["key"]: line["name"] for line in customer["currencies"][0]["lines"]}
        assert names[str(books.sme.id)] == "苏州测试新材料有限公司"
        assert _lines(customer, "USD") == {str(books.sme.id): 1_234}

    async def test_days_are_the_centres_and_the_advance_is_income_only_when_earned(self, client, db, books, clock):
        await _revenue_books(client, db, books, clock)
        october = await client.get(
            f"{BASE}/revenue", params={"from": "2026-10-01", "to": "2026-10-31"}, headers=books.manager
        )
        # The 23:59 settlement is October's, the 00:00 one (still 31 October in UTC) November's;
        # the advance owed in October is not income until its milestone is accepted.
        assert _lines(october.json(), "CNY") == {"testing": 120_000, "consulting": 30_001}
        assert [c["currency"] for c in october.json()["currencies"]] == ["CNY"]
        first = await client.get(
            f"{BASE}/revenue", params={"from": "2026-11-01", "to": "2026-11-01"}, headers=books.finance
        )
        assert _lines(first.json(), "CNY") == {"instrument_sharing": 5_000}

    async def test_the_default_is_this_month_so_far(self, client, db, books, clock):
        await _revenue_books(client, db, books, clock)
        clock.set(utc(2026, 11, 20, 2))
        body = (await client.get(f"{BASE}/revenue", headers=books.finance)).json()
        assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-20")
        assert _totals(body, "CNY") == (21_000, 14_000, 7_000)

    async def test_bad_ranges_and_groupings_are_422(self, client, books):
        for params in ({"from": "2026-11-02", "to": "2026-11-01"}, {"group_by": "colour"}, {"from": "2026-02-30"}):
            assert is_problem(await client.get(f"{BASE}/revenue", params=params, headers=books.finance), 422)
        assert is_problem(await client.get(f"{BASE}/revenue", params={"format": "pdf"}, headers=books.finance), 422)

    async def test_csv_and_xlsx_with_chinese_headers(self, client, db, books, clock):
        await _revenue_books(client, db, books, clock)
        params = {"from": "2026-10-01", "to": "2026-11-30", "group_by": "kind", "lang": "zh"}
        response = await client.get(f"{BASE}/revenue", params={**params, "format": "csv"}, headers=books.finance)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["币种", "收入类别", "编码", "确认收入"]
        assert ["CNY", "主营业务收入—市场化服务收入—检验检测与技术服务", "testing", "1290.00"] in rows
        assert ["CNY", "合计", "", "1710.01"] in rows
        assert ["CNY", "其中：市场化服务收入", "", "1640.01"] in rows
        assert ["USD", "合计", "", "12.34"] in rows

        english = await client.get(
            f"{BASE}/revenue", params={**params, "lang": "en", "format": "csv"}, headers=books.finance
        )
        assert next(csv.reader(io.StringIO(english.content.decode("utf-8-sig")))) == [
            "Currency",
            "Income kind",
            "Key",
            "Revenue",
        ]

        response = await client.get(f"{BASE}/revenue", params={**params, "format": "xlsx"}, headers=books.finance)
        assert response.headers["content-type"] == ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert table[0] == ["币种", "收入类别", "编码", "确认收入"]
        amounts = {(r[0], r[2]): Decimal(str(r[3])) for r in table[1:] if r[2]}
        assert amounts[("CNY", "consulting")] == Decimal("300.01")
        assert amounts[("CNY", "testing")] == Decimal("1290.00")
        totals = {r[0]: Decimal(str(r[3])) for r in table[1:] if r[1] == "合计"}
        assert totals == {"CNY": Decimal("1710.01"), "USD": Decimal("12.34")}


async def _aged_books(client, db, books, clock) -> dict[int, str]:
    """Settlements 1, 0, 30, 31, 60, 61, 90 and 91 days past due on 1 December in Shanghai, each
    owed at 00:30 Shanghai time (16:30 UTC the day before), with 30 days' terms."""
    today = datetime(2026, 12, 1)
    numbers: dict[int, str] = {}
    for n, past_due in enumerate((-1, 0, 30, 31, 60, 61, 90, 91)):
        owed_on = today - timedelta(days=30 + past_due)
        clock.set(datetime(owed_on.year, owed_on.month, owed_on.day, tzinfo=UTC) - timedelta(hours=7, minutes=30))
        settlement = await owe(db, books, 100 * 2**n)
        assert settlement.due_on == (today + timedelta(days=-past_due)).date()
        numbers[past_due] = settlement.number
    clock.set(utc(2026, 11, 30, 16, 30))  # 00:30 on 1 December in Shanghai, still 30 November in UTC
    return numbers


class TestReceivablesAging:
    async def test_buckets_at_their_edges_in_shanghai(self, client, db, books, clock):
        numbers = await _aged_books(client, db, books, clock)
        response = await client.get(f"{BASE}/receivables-aging", headers=books.finance)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["as_of"] == "2026-12-01"
        aged = {s["number"]: (s["days_past_due"], s["bucket"]) for s in body["settlements"]}
        assert aged == {
            numbers[-1]: (-1, "not_due"),
            numbers[0]: (0, "days_0_30"),
            numbers[30]: (30, "days_0_30"),
            numbers[31]: (31, "days_31_60"),
            numbers[60]: (60, "days_31_60"),
            numbers[61]: (61, "days_61_90"),
            numbers[90]: (90, "days_61_90"),
            numbers[91]: (91, "over_90"),
        }
        [cny] = body["currencies"]
        buckets = {k: v["amount"] for k, v in cny["buckets"].items()}
        assert buckets == {
            "not_due": 100,
            "days_0_30": 200 + 400,
            "days_31_60": 800 + 1_600,
            "days_61_90": 3_200 + 6_400,
            "over_90": 12_800,
            "total": 25_500,
        }
        [customer] = cny["customers"]
        assert customer["debtor_org_id"] == str(books.sme.id) and customer["buckets"]["total"]["amount"] == 25_500

    async def test_payments_leave_only_what_is_outstanding(self, client, db, books, clock):
        clock.set(utc(2026, 9, 1, 2))
        bank_day = clock.now
        unpaid = await owe(db, books, 50_000)
        partly = await owe(db, books, 30_000, debtor=books.other_sme)
        paid = await owe(db, books, 10_000)
        clock.set(utc(2026, 9, 2, 2))
        bank = await open_bank_account(client, books)
        assert (
            await pay(client, books.finance, partly.id, bank, 12_345, value_date=bank_day.date())
        ).status_code == 201
        assert (await pay(client, books.finance, paid.id, bank, 10_000)).status_code == 201
        clock.set(utc(2026, 11, 30, 2))  # 60 days past the 1 October due date
        body = (await client.get(f"{BASE}/receivables-aging", headers=books.manager)).json()
        assert {s["number"]: s["outstanding"]["amount"] for s in body["settlements"]} == {
            unpaid.number: 50_000,
            partly.number: 17_655,
        }
        [cny] = body["currencies"]
        assert cny["buckets"]["days_31_60"]["amount"] == 67_655 and cny["buckets"]["total"]["amount"] == 67_655
        assert [c["debtor_org_id"] for c in cny["customers"]] == [str(books.sme.id), str(books.other_sme.id)]
        # It equals what the receivable account holds.
        receivable = await _account(client, books, "receivable")
        shown = await client.get(f"/api/v1/ledger/accounts/{receivable['id']}", headers=books.finance)
        assert shown.json()["balance"]["amount"] == 67_655

    async def test_csv_and_xlsx_with_chinese_headers(self, client, db, books, clock):
        numbers = await _aged_books(client, db, books, clock)
        response = await client.get(
            f"{BASE}/receivables-aging", params={"format": "csv", "lang": "zh"}, headers=books.finance
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["币种", "客户", "未到期", "逾期0–30天", "逾期31–60天", "逾期61–90天", "逾期90天以上", "合计"]
        assert rows[1] == ["CNY", "苏州测试新材料有限公司", "1.00", "6.00", "24.00", "96.00", "128.00", "255.00"]
        assert rows[2] == ["CNY", "合计", "1.00", "6.00", "24.00", "96.00", "128.00", "255.00"]

        response = await client.get(
            f"{BASE}/receivables-aging", params={"format": "xlsx", "lang": "zh"}, headers=books.finance
        )
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        assert book.sheetnames == ["by customer", "by settlement"]
        summary = [list(r) for r in book["by customer"].iter_rows(values_only=True)]
        assert summary[0][2:] == ["未到期", "逾期0–30天", "逾期31–60天", "逾期61–90天", "逾期90天以上", "合计"]
        assert [Decimal(str(v)) for v in summary[1][2:]] == [Decimal(x) for x in ("1", "6", "24", "96", "128", "255")]
        detail = [list(r) for r in book["by settlement"].iter_rows(values_only=True)]
        assert detail[0] == ["币种", "结算单号", "客户", "到期日", "逾期天数", "账龄区间", "未收金额"]
        by_number = {r[1]: r for r in detail[1:]}
        edge = by_number[numbers[91]]
        assert edge[3].date().isoformat() == "2026-09-01" and edge[4] == 91 and edge[5] == "逾期90天以上"
        assert Decimal(str(edge[6])) == Decimal("128.00")


class TestCoBuilderStatementDownloads:
    async def test_the_statement_as_csv_and_xlsx_with_the_running_balance(self, client, db, app, books, clock):
        clock.set(utc(2026, 11, 3, 2))
        async with build(db, app) as b:
            co_builder = b.org(OrganisationKind.co_builder, name="苏州大学")
        async with db.session_scope() as session:
            await chart.account(
                session,
                books.centre.id,
                "CNY",
                chart.AccountSpec(AccountPurpose.co_builder_payable, counterparty=co_builder),
            )
        await open_bank_account(client, books)
        payable, expense = (
            await _account(client, books, "co_builder_payable"),
            await _account(client, books, "revenue_share_expense"),
        )
        bank = await _account(client, books, "bank")
        await _manual(client, books, [(expense, "debit", 30_000, None), (payable, "credit", 30_000, None)], "分成")
        clock.advance(days=1)
        await _manual(client, books, [(payable, "debit", 10_001, None), (bank, "credit", 10_001, None)], "支付分成")
        params = {"period": "2026-11", "lang": "zh"}
        response = await client.get(
            f"{BASE}/co-builder-statements", params={**params, "format": "csv"}, headers=books.finance
        )
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:5] == ["创新中心", "共建单位", "期间", "币种", "行类型"]
        assert [(r[4], r[9], r[10], r[11]) for r in rows[1:]] == [
            ("期初 / opening", "", "", "0.00"),
            ("发生 / movement", "300.00", "0.00", "300.00"),
            ("发生 / movement", "0.00", "100.01", "199.99"),
            ("期末 / closing", "300.00", "100.01", "199.99"),
        ]
        assert rows[2][5].startswith("2026-11-03T10:00:00+08:00")
        response = await client.get(
            f"{BASE}/co-builder-statements", params={**params, "format": "xlsx"}, headers=books.manager
        )
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert table[0][-1] == "应付余额" and Decimal(str(table[-1][-1])) == Decimal("199.99")
        assert table[1][1] == "苏州大学"


class TestWhoMayRead:
    URLS = (
        f"{BASE}/revenue",
        f"{BASE}/receivables-aging",
        f"{BASE}/revenue?format=csv",
        f"{BASE}/receivables-aging?format=xlsx",
        "/api/v1/ledger/export?format=beancount",
    )

    async def test_finance_and_the_manager_read_other_roles_403_anyone_else_404(self, client, books):
        for url in self.URLS:
            assert (await client.get(url, headers=books.finance)).status_code == 200, url
            assert (await client.get(url, headers=books.manager)).status_code == 200, url
            assert is_problem(await client.get(url, headers=books.staff), 403), url
            for headers in (books.evaluator, books.sme_member, books.institute_staff):
                assert is_problem(await client.get(url, headers=headers), 404), url

    async def test_a_centres_finance_sees_only_its_centre(self, client, db, books, clock):
        clock.set(utc(2026, 11, 3, 2))
        await owe(db, books, 4_200)
        clock.set(utc(2026, 11, 4, 2))
        for url in self.URLS[:2]:
            theirs = await client.get(url, params={"centre_id": str(books.centre.id)}, headers=books.other_finance)
            assert is_problem(theirs, 404), url
            own = await client.get(url, headers=books.other_finance)
            assert own.status_code == 200 and own.json()["centre_id"] == str(books.other_centre.id)
            assert own.json()["currencies"] == [], url
            mine = await client.get(url, headers=books.finance)
            assert mine.json()["currencies"] != [], url
        export = await client.get(
            "/api/v1/ledger/export",
            params={"format": "csv", "centre_id": str(books.centre.id)},
            headers=books.other_finance,
        )
        assert is_problem(export, 404)
