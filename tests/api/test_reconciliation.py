"""Reconciliation through the API: statement imports in every format (GBK, Excel, camt.053, Stripe),
duplicates and overlaps, each automatic rule, manual matches with adjustments and their reversal,
the report, the period-close guard, stripe-sync, and who may do what."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models.enums import EntrySource
from models.ledger import JournalEntry
from models.reconciliation import StatementLine
from services.ledger import verify
from tests.factories.card_payments import deliver, paid_by_card
from tests.factories.http import is_problem
from tests.factories.ledger import balance, make_books, open_bank_account, owe, pay
from tests.factories.reconciliation import (
    Row,
    camt053,
    ccb_csv,
    ccb_xlsx,
    generic_csv,
    icbc_csv,
    payout_reconciliation,
    queue,
    stripe_balance_history,
    upload,
)

BASE = "/api/v1/reconciliation"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SME = "苏州测试新材料有限公司"


@pytest.fixture
async def books(db, app, clock):
    clock.set(datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI))
    return await make_books(db, app)


@pytest.fixture
async def bank(client, books):
    return await open_bank_account(client, books)


async def _settlement(db, books, amount: int):
    return await owe(db, books, amount)


async def _settlement_view(client, books, settlement) -> dict:
    response = await client.get(f"/api/v1/settlements/{settlement.id}", headers=books.finance)
    assert response.status_code == 200, response.text
    return response.json()


async def _match(client, headers, body, key=None):
    return await client.post(
        f"{BASE}/matches", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex}
    )


async def _balance(client, books, purpose: str) -> int:
    """The balance once every statement line's value date has passed."""
    return await balance(client, books, purpose, as_of="2027-01-01T00:00:00+08:00")


async def _verified(db) -> None:
    """Every ledger promise holds (ttm ledger-verify finds nothing)."""
    async with db.session_scope() as session:
        assert await verify.run(session) == []


async def _count(db, model, *where) -> int:
    async with db.session_scope() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestImportFormats:
    async def test_an_icbc_gbk_statement_is_read_exactly_with_the_sign_flipped_once(self, client, books, bank):
        content = icbc_csv(
            [
                Row("2026-10-09", credit="1,250.50", serial="ICBC0001", payer="某某科技有限公司", memo="货款"),
                Row("2026-10-09", debit="15.00", serial="ICBC0002", memo="手续费", balance="1235.50"),
            ]
        )
        content.decode("gbk")  # really GBK, not UTF-8
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["lines"], body["added"], body["skipped"]) == (2, 2, 0)
        lines = {line["serial"]: line for line in await queue(client, books.finance)}
        assert lines["ICBC0001"]["amount"] == {"amount": 125050, "currency": "CNY"}  # a credit: Dr our bank
        assert lines["ICBC0002"]["amount"]["amount"] == -1500  # a debit: Cr our bank
        assert lines["ICBC0001"]["counterparty_name"] == "某某科技有限公司"
        assert lines["ICBC0001"]["raw"]["对方户名"] == "某某科技有限公司"  # the raw row is kept
        assert lines["ICBC0001"]["unique_key"] == "serial:ICBC0001"
        check = body["balance_check"]
        assert check["statement_balance"]["amount"] == 123550 and check["as_of"] == "2026-10-09"
        assert check["status"] == "failed" and check["ledger_balance"]["amount"] == 0

    async def test_a_ccb_utf8_statement_with_title_rows_matches_a_settlement_number(self, client, db, books, bank):
        settlement = await _settlement(db, books, 880000)
        content = ccb_csv(
            [Row("2026-10-10", credit="8800.00", serial="CCB-77", payer=SME, purpose=f"付{settlement.number}")]
        )
        response = await upload(client, books.finance, bank, content, profile="ccb")
        assert response.status_code == 201, response.text
        assert response.json()["matched"]["settlement_number"] == 1
        view = await _settlement_view(client, books, settlement)
        assert view["status"] == "paid" and view["paid"]["amount"] == 880000
        payments = (await client.get(f"/api/v1/settlements/{settlement.id}/payments", headers=books.finance)).json()
        assert payments[0]["channel"] == "bank_transfer" and payments[0]["value_date"] == "2026-10-10"
        assert await _balance(client, books, "bank") == 880000

    async def test_an_excel_workbook_is_read_in_read_only_mode(self, client, db, books, bank):
        settlement = await _settlement(db, books, 123456)
        content = ccb_xlsx(
            [Row("2026-10-11", credit="1234.56", serial="X-1", payer=SME, memo=settlement.number, balance="1234.56")]
        )
        response = await upload(client, books.finance, bank, content, profile="ccb", filename="明细.xlsx")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["added"] == 1 and body["matched"]["settlement_number"] == 1
        assert body["balance_check"]["status"] == "passed"  # 1234.56 in the bank and in the ledger

    async def test_a_generic_csv_with_signed_amounts(self, client, books, bank):
        content = generic_csv(
            [("2026-10-12", "300.10", "consulting fee", "G-1", "Acme Ltd"), ("2026-10-12", "-2.5", "charge", "G-2", "")]
        )
        response = await upload(client, books.finance, bank, content, profile="generic")
        assert response.status_code == 201, response.text
        amounts = sorted(line["amount"]["amount"] for line in await queue(client, books.finance))
        assert amounts == [-250, 30010]

    async def test_a_camt053_statement_with_its_closing_balance(self, client, db, books, bank):
        settlement = await _settlement(db, books, 50000)
        content = camt053(
            [
                {"amount": "500.00", "date": "2026-10-13", "serial": "C-1", "payer": SME, "memo": settlement.number},
                {"amount": "20.00", "cd": "DBIT", "date": "2026-10-13", "serial": "C-2", "memo": "bank fee"},
            ],
            closing="480.00",
            closing_date="2026-10-13",
        )
        response = await upload(client, books.finance, bank, content, profile="camt053", filename="stmt.xml")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["lines"] == 2 and body["matched"]["settlement_number"] == 1
        assert body["balance_check"]["statement_balance"]["amount"] == 48000
        assert body["balance_check"]["status"] == "failed"  # the 20.00 fee is not in the ledger yet
        [fee] = await queue(client, books.finance, status="unmatched")
        assert fee["amount"]["amount"] == -2000 and fee["serial"] == "C-2"

    async def test_more_decimals_than_the_currency_has_is_422_naming_the_line(self, client, books, bank):
        content = icbc_csv(
            [Row("2026-10-09", credit="10.00", serial="A"), Row("2026-10-09", credit="1.005", serial="B")]
        )
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert is_problem(response, 422)
        assert response.json()["errors"][0]["loc"] == ["body", "line", 3]
        assert "1.005" in response.json()["detail"]
        assert await queue(client, books.finance) == []  # nothing kept

    async def test_a_camt053_in_another_currency_is_refused(self, client, books, bank):
        content = camt053([{"amount": "5.00", "date": "2026-10-13", "serial": "U-1", "ccy": "USD"}])
        response = await upload(client, books.finance, bank, content, profile="camt053")
        assert is_problem(response, 422) and "USD" in response.json()["detail"]

    async def test_an_unknown_profile_and_a_file_without_its_header_are_422(self, client, books, bank):
        assert is_problem(await upload(client, books.finance, bank, b"a,b\n1,2\n", profile="hsbc"), 422)
        response = await upload(client, books.finance, bank, b"a,b\n1,2\n", profile="icbc")
        assert is_problem(response, 422) and response.json()["type"].endswith("unreadable-statement")

    async def test_an_upload_over_the_cap_is_413(self, client, app, settings, books, bank):
        app.state.settings = settings.model_copy(update={"import_max_bytes": 2048})
        content = icbc_csv([Row("2026-10-09", credit="1.00", serial=f"S{i}") for i in range(100)])
        assert len(content) > 2048
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert is_problem(response, 413) and response.json()["type"].endswith("import-too-large")
        assert await queue(client, books.finance) == []


class TestDuplicatesAndOverlaps:
    async def test_the_same_file_again_is_409_and_adds_nothing(self, client, db, books, bank):
        content = icbc_csv([Row("2026-10-09", credit="10.00", serial="D-1")])
        assert (await upload(client, books.finance, bank, content, profile="icbc")).status_code == 201
        again = await upload(client, books.finance, bank, content, profile="icbc")
        assert is_problem(again, 409) and again.json()["type"].endswith("statement-already-imported")
        assert await _count(db, StatementLine) == 1

    async def test_an_overlapping_statement_adds_only_the_new_lines(self, client, db, books, bank):
        week1 = [Row("2026-10-09", credit="10.00", serial="O-1"), Row("2026-10-10", credit="20.00", serial="O-2")]
        week2 = [week1[1], Row("2026-10-11", credit="30.00", serial="O-3")]
        await upload(client, books.finance, bank, icbc_csv(week1), profile="icbc")
        response = await upload(client, books.finance, bank, icbc_csv(week2), profile="icbc")
        assert response.status_code == 201, response.text
        assert (response.json()["added"], response.json()["skipped"]) == (1, 1)
        assert await _count(db, StatementLine) == 3

    async def test_lines_without_serial_are_known_by_their_row_and_identical_rows_stay_two(
        self, client, db, books, bank
    ):
        rows = [("2026-10-12", "5.00", "fee", "", ""), ("2026-10-12", "5.00", "fee", "", "")]
        first = await upload(client, books.finance, bank, generic_csv(rows), profile="generic")
        assert first.json()["added"] == 2
        overlap = await upload(
            client, books.finance, bank, generic_csv([*rows, ("2026-10-13", "7.00", "x", "", "")]), profile="generic"
        )
        assert (overlap.json()["added"], overlap.json()["skipped"]) == (1, 2)
        assert await _count(db, StatementLine) == 3

    async def test_an_idempotent_retry_replays_the_first_answer(self, client, books, bank):
        content = icbc_csv([Row("2026-10-09", credit="10.00", serial="I-1")])
        first = await upload(client, books.finance, bank, content, profile="icbc", key="k-1")
        again = await upload(client, books.finance, bank, content, profile="icbc", key="k-1")
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]


class TestAutomaticRules:
    async def test_a_recorded_offline_payment_is_linked_not_booked_again(self, client, db, books, bank):
        settlement = await _settlement(db, books, 70000)
        assert (await pay(client, books.finance, settlement.id, bank, 70000, reference="HX-9")).status_code == 201
        response = await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-08", credit="700.00", serial="HX-9")]), profile="icbc"
        )
        assert response.json()["matched"]["recorded_payment"] == 1
        assert await _balance(client, books, "bank") == 70000  # once
        assert await queue(client, books.finance, status="unmatched") == []

    async def test_one_transfer_paying_several_settlements(self, client, db, books, bank):
        a, b = await _settlement(db, books, 10000), await _settlement(db, books, 25000)
        content = icbc_csv([Row("2026-10-09", credit="350.00", serial="M-1", memo=f"{a.number} {b.number}")])
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.json()["matched"]["settlement_number"] == 1
        for s in (a, b):
            assert (await _settlement_view(client, books, s))["status"] == "paid"

    async def test_instalments_pay_one_settlement_in_parts(self, client, db, books, bank):
        settlement = await _settlement(db, books, 100000)
        content = icbc_csv(
            [
                Row("2026-10-09", credit="400.00", serial="P-1", memo=f"{settlement.number} 第一期"),
                Row("2026-10-20", credit="600.00", serial="P-2", memo=f"{settlement.number} 第二期"),
            ]
        )
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.json()["matched"]["settlement_instalment"] == 1
        assert response.json()["matched"]["settlement_number"] == 1  # the last part pays exactly what is left
        view = await _settlement_view(client, books, settlement)
        assert view["status"] == "paid"
        payments = (await client.get(f"/api/v1/settlements/{settlement.id}/payments", headers=books.finance)).json()
        assert [p["amount"]["amount"] for p in payments] == [40000, 60000]

    async def test_more_than_is_owed_stays_in_the_queue(self, client, db, books, bank):
        settlement = await _settlement(db, books, 10000)
        content = icbc_csv([Row("2026-10-09", credit="150.00", serial="OV-1", memo=settlement.number)])
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert sum(response.json()["matched"].values()) == 0
        [item] = await queue(client, books.finance, status="unmatched")
        assert item["candidates"][0]["kind"] == "settlement" and item["candidates"][0]["id"] == str(settlement.id)

    async def test_amount_and_date_window_with_the_payer_named_as_the_debtor(self, client, db, books, bank):
        settlement = await _settlement(db, books, 45600)
        content = icbc_csv(
            [
                Row("2026-10-15", credit="456.00", serial="W-1", payer=f" {SME} ", memo="服务费"),
                Row("2026-10-15", credit="456.00", serial="W-2", payer="别的公司", memo="服务费"),
            ]
        )
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.json()["matched"]["amount_window"] == 1
        assert (await _settlement_view(client, books, settlement))["status"] == "paid"
        [left] = await queue(client, books.finance, status="unmatched")
        assert left["serial"] == "W-2"

    async def test_amount_alone_outside_the_window_is_not_matched(self, client, db, books, bank):
        await _settlement(db, books, 45600)
        content = icbc_csv([Row("2026-12-30", credit="456.00", serial="W-9", payer=SME)])
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.json()["matched"]["amount_window"] == 0

    async def test_a_stripe_payout_id_ties_the_bank_line_to_the_payout(self, client, db, books, bank, stripe):
        settlement = await _settlement(db, books, 20000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id, fee=120)
        paid = stripe.payout()
        assert (await deliver(client, paid)).status_code == 200
        payout_id = paid["data"]["object"]["id"]
        assert await _balance(client, books, "stripe_clearing") == 0
        content = icbc_csv(
            [Row("2026-10-09", credit="198.80", serial="ST-1", payer="STRIPE PAYMENTS", memo=f"STRIPE {payout_id}")]
        )
        response = await upload(client, books.finance, bank, content, profile="icbc")
        assert response.json()["matched"]["stripe_payout"] == 1
        assert await _balance(client, books, "bank") == 19880  # the payout's entry, not a second one
        assert await _count(db, JournalEntry, JournalEntry.source == EntrySource.payout) == 1

    async def test_a_stripe_statement_links_charges_and_books_an_unbooked_payout(self, client, db, books, bank, stripe):
        settlement = await _settlement(db, books, 30000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id, fee=90)
        charge = (await client.get(f"/api/v1/settlements/{settlement.id}/payments", headers=books.finance)).json()[0]
        charge_id = charge["external_ref"]
        content = stripe_balance_history(
            [
                {
                    "id": "txn_c1",
                    "source": charge_id,
                    "amount": "300.00",
                    "fee": "0.90",
                    "net": "299.10",
                    "payout": "po_X1",
                },
                {"id": "txn_p1", "type": "payout", "source": "po_X1", "amount": "-299.10", "net": "-299.10"},
            ]
        )
        response = await upload(client, books.finance, bank, content, profile="stripe", filename="balance.csv")
        assert response.status_code == 201, response.text
        assert response.json()["channel"] == "stripe" and response.json()["matched"]["stripe_charge"] == 1
        # The payout's webhook never came: the bank line naming it books Dr bank / Cr Stripe clearing.
        bank_file = icbc_csv([Row("2026-10-10", credit="299.10", serial="ST-2", memo="STRIPE po_X1")])
        matched = await upload(client, books.finance, bank, bank_file, profile="icbc")
        assert matched.json()["matched"]["stripe_payout"] == 1
        assert await _balance(client, books, "stripe_clearing") == 0  # M9
        assert await queue(client, books.finance, status="unmatched") == []
        await _verified(db)

    async def test_a_payout_reconciliation_report_is_read(self, client, books, bank):
        content = payout_reconciliation(
            [{"id": "txn_r1", "payout": "po_R1", "amount": "12.34", "fee": "0.40", "net": "11.94", "source": "ch_1"}]
        )
        response = await upload(client, books.finance, bank, content, profile="stripe")
        assert response.status_code == 201, response.text
        [line] = await queue(client, books.finance)
        assert (line["amount"]["amount"], line["fee"]["amount"], line["payout_ref"]) == (1234, 40, "po_R1")


class TestManualMatches:
    async def test_a_bank_charge_is_booked_as_an_adjustment_and_the_receivable_is_paid_in_full(
        self, client, db, books, bank
    ):
        settlement = await _settlement(db, books, 100000)
        await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-09", credit="985.00", serial="F-1")]), profile="icbc"
        )
        [line] = await queue(client, books.finance, status="unmatched")
        body = {
            "line_ids": [line["id"]],
            "settlements": [{"settlement_id": str(settlement.id), "amount": 100000}],
            "adjustments": [{"kind": "bank_charge", "amount": 1500}],
            "reason": "付款行扣了手续费 15 元",
        }
        response = await _match(client, books.finance, body)
        assert response.status_code == 201, response.text
        made = response.json()
        assert made["rule"] == "manual" and made["adjustment_total"]["amount"] == 1500
        assert (await _settlement_view(client, books, settlement))["status"] == "paid"
        assert await _balance(client, books, "bank") == 98500  # what the bank says
        assert await _balance(client, books, "bank_charges") == 1500

    async def test_an_exchange_gain_and_a_loss(self, client, db, books, bank):
        gain_s, loss_s = await _settlement(db, books, 50000), await _settlement(db, books, 50000)
        await upload(
            client,
            books.finance,
            bank,
            icbc_csv(
                [Row("2026-10-09", credit="503.00", serial="FX-1"), Row("2026-10-09", credit="498.00", serial="FX-2")]
            ),
            profile="icbc",
        )
        lines = {line["serial"]: line for line in await queue(client, books.finance, status="unmatched")}
        for serial, s, fx in (("FX-1", gain_s, -300), ("FX-2", loss_s, 200)):
            body = {
                "line_ids": [lines[serial]["id"]],
                "settlements": [{"settlement_id": str(s.id), "amount": 50000}],
                "adjustments": [{"kind": "fx", "amount": fx}],
                "reason": "境外汇款汇率差",
            }
            assert (await _match(client, books.finance, body)).status_code == 201
        assert await _balance(client, books, "fx_difference") == -100  # a net gain of 1.00
        assert await _balance(client, books, "bank") == 100100

    async def test_sides_that_do_not_sum_equal_are_422_and_book_nothing(self, client, db, books, bank):
        settlement = await _settlement(db, books, 100000)
        await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-09", credit="985.00", serial="F-2")]), profile="icbc"
        )
        [line] = await queue(client, books.finance, status="unmatched")
        body = {
            "line_ids": [line["id"]],
            "settlements": [{"settlement_id": str(settlement.id), "amount": 100000}],
            "reason": "x",
        }
        response = await _match(client, books.finance, body)
        assert is_problem(response, 422) and response.json()["type"].endswith("match-sides-differ")
        assert (await _settlement_view(client, books, settlement))["status"] == "open"
        assert await _balance(client, books, "bank") == 0

    async def test_a_reason_is_required(self, client, books, bank):
        response = await _match(client, books.finance, {"line_ids": [str(uuid.uuid4())]})
        assert is_problem(response, 422)

    async def test_a_reversal_reverses_the_entries_and_keeps_the_match_on_record(self, client, db, books, bank):
        settlement = await _settlement(db, books, 100000)
        await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-09", credit="985.00", serial="R-1")]), profile="icbc"
        )
        [line] = await queue(client, books.finance, status="unmatched")
        body = {
            "line_ids": [line["id"]],
            "settlements": [{"settlement_id": str(settlement.id), "amount": 100000}],
            "adjustments": [{"kind": "bank_charge", "amount": 1500}],
            "reason": "手续费",
        }
        made = (await _match(client, books.finance, body)).json()
        again = await _match(client, books.finance, body)
        assert is_problem(again, 409) and again.json()["type"].endswith("line-already-matched")
        undone = await client.delete(
            f"{BASE}/matches/{made['id']}", params={"reason": "匹配错了"}, headers=books.finance
        )
        assert undone.status_code == 200, undone.text
        view = undone.json()
        assert view["status"] == "reversed" and view["reversal_reason"] == "匹配错了"
        assert all(i["reversal_entry_id"] for i in view["items"] if i["posted"])
        assert (await _settlement_view(client, books, settlement))["status"] == "open"
        assert await _balance(client, books, "bank") == 0 and await _balance(client, books, "bank_charges") == 0
        assert [i["id"] for i in await queue(client, books.finance, status="unmatched")] == [line["id"]]
        twice = await client.delete(f"{BASE}/matches/{made['id']}", params={"reason": "again"}, headers=books.finance)
        assert is_problem(twice, 409) and twice.json()["type"].endswith("match-already-reversed")
        kept = await client.get(f"{BASE}/matches/{made['id']}", headers=books.manager)
        assert kept.status_code == 200 and kept.json()["status"] == "reversed"
        assert (await _match(client, books.finance, body)).status_code == 201  # matched again, correctly
        await _verified(db)

    async def test_a_bank_charge_line_alone(self, client, books, bank):
        await upload(
            client,
            books.finance,
            bank,
            icbc_csv([Row("2026-10-09", debit="12.00", serial="BC-1", memo="手续费")]),
            profile="icbc",
        )
        [line] = await queue(client, books.finance, status="unmatched")
        body = {
            "line_ids": [line["id"]],
            "adjustments": [{"kind": "bank_charge", "amount": 1200}],
            "reason": "账户管理费",
        }
        assert (await _match(client, books.finance, body)).status_code == 201
        assert await _balance(client, books, "bank") == -1200


class TestReportAndPeriodClose:
    async def test_the_report_and_the_close_guard(self, client, db, books, bank, clock):
        settlement = await _settlement(db, books, 100000)
        content = icbc_csv(
            [
                Row("2026-10-09", credit="1000.00", serial="PC-1", memo=settlement.number, balance="1000.00"),
                Row("2026-10-20", debit="10.00", serial="PC-2", memo="手续费", balance="990.00"),
            ]
        )
        imported = (await upload(client, books.finance, bank, content, profile="icbc")).json()
        assert imported["balance_check"]["status"] == "failed"  # the 10.00 charge is not booked yet
        clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
        report = await client.get(f"{BASE}/report", params={"period": "2026-10"}, headers=books.manager)
        assert report.status_code == 200, report.text
        r = report.json()
        assert r["matched"] == [{"rule": "settlement_number", "matches": 1, "amount": 100000}]
        assert [line["serial"] for line in r["unmatched_lines"]] == ["PC-2"]
        assert len(r["failed_balance_checks"]) == 1 and r["failed_balance_checks"][0]["difference"]["amount"] == -1000
        assert all(c["balance"]["amount"] == 0 for c in r["clearing"])
        refused = await client.post("/api/v1/ledger/periods/2026-10/close", headers=books.finance)
        assert is_problem(refused, 409) and refused.json()["type"].endswith("balance-check-failed")
        # Finance explains the difference: the charge, matched as an adjustment (booked in October).
        [line] = await queue(client, books.finance, status="unmatched")
        body = {"line_ids": [line["id"]], "adjustments": [{"kind": "bank_charge", "amount": 1000}], "reason": "手续费"}
        assert (await _match(client, books.finance, body)).status_code == 201
        closed = await client.post("/api/v1/ledger/periods/2026-10/close", headers=books.finance)
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed" and closed.json()["warnings"] == []
        after = (await client.get(f"{BASE}/report", params={"period": "2026-10"}, headers=books.finance)).json()
        assert after["failed_balance_checks"] == [] and after["differences"] == {"bank_charge": 1000}

    async def test_unmatched_lines_close_with_a_warning(self, client, books, bank, clock):
        await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-09", credit="1.00", serial="U-1")]), profile="icbc"
        )
        clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
        closed = await client.post("/api/v1/ledger/periods/2026-10/close", headers=books.finance)
        assert closed.status_code == 200, closed.text
        assert closed.json()["warnings"] == ["1 statement line(s) of 2026-10 are unmatched"]

    async def test_the_report_lists_book_side_receipts_no_line_explains(self, client, db, books, bank):
        settlement = await _settlement(db, books, 5000)
        await pay(client, books.finance, settlement.id, bank, 5000, reference="NOLINE")
        r = (await client.get(f"{BASE}/report", params={"period": "2026-10"}, headers=books.finance)).json()
        assert [p["reference"] for p in r["unmatched_payments"]] == ["NOLINE"]


class TestStripeSync:
    async def test_stripe_sync_pulls_pages_of_the_centres_charges_and_payouts(self, client, db, books, bank, stripe):
        for amount in (10000, 20000, 30000):
            settlement = await _settlement(db, books, amount)
            await paid_by_card(client, stripe, books.sme_member, settlement.id, fee=10)
        paid = stripe.payout()
        await deliver(client, paid)
        stripe.requests.clear()
        stripe.page_limit = 2
        response = await client.post(
            f"{BASE}/stripe-sync",
            json={"bank_account_id": bank["id"]},
            headers={**books.finance, "Idempotency-Key": "s1"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["added"] == 4 and body["matched"]["stripe_charge"] == 3
        assert len([p for m, p in stripe.requests if p.startswith("/v1/balance_transactions")]) >= 2  # paged
        payout_id = paid["data"]["object"]["id"]
        [left] = await queue(client, books.finance, status="unmatched")
        assert left["kind"] == "payout" and left["payout_ref"] == payout_id and left["amount"]["amount"] == -59970
        again = await client.post(
            f"{BASE}/stripe-sync",
            json={"bank_account_id": bank["id"]},
            headers={**books.finance, "Idempotency-Key": "s2"},
        )
        assert again.json()["added"] == 0 and again.json()["skipped"] == 4
        bank_file = icbc_csv([Row("2026-10-10", credit="599.70", serial="SS-1", memo=f"STRIPE {payout_id}")])
        matched = await upload(client, books.finance, bank, bank_file, profile="icbc")
        assert matched.json()["matched"]["stripe_payout"] == 1
        assert await queue(client, books.finance, status="unmatched") == []


class TestRoles:
    async def test_who_may_do_what(self, client, db, books, bank):
        await upload(
            client, books.finance, bank, icbc_csv([Row("2026-10-09", credit="1.00", serial="RO-1")]), profile="icbc"
        )
        assert len(await queue(client, books.manager)) == 1  # the manager reads
        staff = await client.get(f"{BASE}/items", headers=books.staff)
        assert is_problem(staff, 403)
        for stranger in (books.evaluator, books.sme_member, books.other_finance):
            r = await client.get(
                f"{BASE}/report", params={"period": "2026-10", "centre_id": str(books.centre.id)}, headers=stranger
            )
            assert is_problem(r, 404), r.text
        other = await client.get(f"{BASE}/items", headers=books.other_finance)
        assert other.status_code == 200 and other.json()["items"] == []  # their centre only
        evaluator = await client.get(f"{BASE}/items", headers=books.evaluator)
        assert is_problem(evaluator, 404)
        upload_as_manager = await upload(
            client, books.manager, bank, icbc_csv([Row("2026-10-09", credit="2.00")]), profile="icbc"
        )
        assert is_problem(upload_as_manager, 403)
        into_other = await upload(
            client, books.other_finance, bank, icbc_csv([Row("2026-10-09", credit="2.00")]), profile="icbc"
        )
        assert is_problem(into_other, 404)
        [line] = await queue(client, books.finance)
        body = {"line_ids": [line["id"]], "adjustments": [{"kind": "bank_charge", "amount": 1}], "reason": "x"}
        assert is_problem(await _match(client, books.other_finance, body), 404)
