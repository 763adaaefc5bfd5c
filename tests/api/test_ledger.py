"""The ledger through the API: chart and balances, manual entries, the trial balance, periods,
revenue allocation, and who may do what."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from models.enums import IncomeKind, Role, SettlementSource
from services import clock as service_clock
from services import settlements
from tests.factories.contracts import active_contract, make_contract_cast
from tests.factories.http import is_problem
from tests.factories.ledger import balance, make_books, open_bank_account, owe, pay
from tests.factories.organisations import build

BASE = "/api/v1/ledger"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


async def _account(client, books, purpose: str, **params) -> dict:
    response = await client.get(f"{BASE}/accounts", params={"purpose": purpose, **params}, headers=books.finance)
    assert response.status_code == 200, response.text
    return response.json()["items"][0]


def _entry(lines, description="课题经费到账 / grant received", **extra) -> dict:
    return {
        "description": description,
        "postings": [
            {"account_id": a["id"], "side": side, "amount": {"amount": amount, "currency": "CNY"}}
            for a, side, amount in lines
        ],
        **extra,
    }


async def _post(client, headers, body, key=None):
    return await client.post(
        f"{BASE}/entries", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex}
    )


class TestChart:
    async def test_a_centre_has_its_cny_chart_with_income_per_kind(self, client, books):
        response = await client.get(f"{BASE}/accounts", params={"limit": 100}, headers=books.finance)
        accounts = response.json()["items"]
        codes = {a["code"]: a for a in accounts}
        assert {"1122", "2204", "2211", "2221", "6001.05"} <= set(codes)
        assert codes["1122"]["name"] == "应收账款" and codes["1122"]["normal_balance"] == "debit"
        assert codes["6001.05"]["income_kind"] == "instrument_sharing"
        assert codes["6001.05"]["normal_balance"] == "credit"
        assert {a["currency"] for a in accounts} == {"CNY"}

    async def test_a_bank_account_opens_its_own_ledger_account(self, client, books):
        bank = await open_bank_account(client, books)
        account = await _account(client, books, "bank")
        assert account["bank_account_id"] == bank["id"] and account["code"] == "1002.001"
        again = await client.post(
            f"{BASE}/bank-accounts",
            json={"name": "x", "bank_name": "y", "account_number": bank["account_number"]},
            headers=books.finance,
        )
        assert is_problem(again, 409)


class TestManualEntries:
    async def test_a_balanced_entry_is_posted_and_read_back(self, client, books):
        bank = await open_bank_account(client, books)
        bank_account, grants = await _account(client, books, "bank"), await _account(client, books, "grant_income")
        response = await _post(
            client, books.finance, _entry([(bank_account, "debit", 5_000_000), (grants, "credit", 5_000_000)])
        )
        assert response.status_code == 201, response.text
        entry = response.json()
        assert entry["source"] == "manual" and len(entry["postings"]) == 2
        assert entry["postings"][0] == {
            "line": 1,
            "account_id": bank_account["id"],
            "side": "debit",
            "amount": {"amount": 5_000_000, "currency": "CNY"},
            "institute_id": None,
            "memo": None,
        }
        assert (await client.get(f"{BASE}/entries/{entry['id']}", headers=books.manager)).json() == entry
        assert bank["id"] == bank_account["bank_account_id"]

    async def test_debits_and_credits_that_differ_are_422(self, client, books):
        receivable, grants = await _account(client, books, "receivable"), await _account(client, books, "grant_income")
        response = await _post(client, books.finance, _entry([(receivable, "debit", 100), (grants, "credit", 99)]))
        assert is_problem(response, 422)
        assert response.json()["type"].endswith("unbalanced-entry")

    async def test_another_centres_account_is_422(self, client, books):
        mine = await _account(client, books, "receivable")
        theirs = (
            await client.get(f"{BASE}/accounts", params={"purpose": "grant_income"}, headers=books.other_finance)
        ).json()["items"][0]
        response = await _post(client, books.finance, _entry([(mine, "debit", 100), (theirs, "credit", 100)]))
        assert is_problem(response, 422)
        assert response.json()["errors"][0]["loc"] == ["body", "postings", 1, "account_id"]

    async def test_the_key_is_required_and_replays_the_first_answer(self, client, books):
        receivable, grants = await _account(client, books, "receivable"), await _account(client, books, "grant_income")
        body = _entry([(receivable, "debit", 100), (grants, "credit", 100)])
        assert is_problem(await client.post(f"{BASE}/entries", json=body, headers=books.finance), 422)
        first, second = await _post(client, books.finance, body, "k1"), await _post(client, books.finance, body, "k1")
        assert first.json() == second.json()
        listed = (await client.get(f"{BASE}/entries", params={"source": "manual"}, headers=books.finance)).json()
        assert len(listed["items"]) == 1

    async def test_a_manual_entry_is_reversed_once(self, client, books):
        receivable, grants = await _account(client, books, "receivable"), await _account(client, books, "grant_income")
        entry = (
            await _post(client, books.finance, _entry([(receivable, "debit", 700), (grants, "credit", 700)]))
        ).json()
        reversal = await client.post(
            f"{BASE}/entries/{entry['id']}/reverse", json={"reason": "重复入账"}, headers=books.finance
        )
        assert reversal.status_code == 201, reversal.text
        assert reversal.json()["reverses_entry_id"] == entry["id"]
        assert [p["side"] for p in reversal.json()["postings"]] == ["credit", "debit"]
        assert await balance(client, books, "grant_income") == 0
        again = await client.post(f"{BASE}/entries/{entry['id']}/reverse", json={"reason": "x"}, headers=books.finance)
        assert is_problem(again, 409)

    async def test_an_accrual_follows_its_source_and_is_not_reversed_directly(self, client, db, books):
        settlement = await owe(db, books, 1_000)
        accruals = (
            await client.get(
                f"{BASE}/entries",
                params={"source": "settlement_accrual", "source_ref": str(settlement.id)},
                headers=books.finance,
            )
        ).json()["items"]
        response = await client.post(
            f"{BASE}/entries/{accruals[0]['id']}/reverse", json={"reason": "x"}, headers=books.finance
        )
        assert is_problem(response, 409)
        assert response.json()["type"].endswith("entry-not-reversible")


class TestBalances:
    async def test_an_accounts_balance_as_of_a_time(self, client, db, books, clock):
        clock.set(service_clock.now() - timedelta(days=3))
        before = clock.now
        clock.advance(hours=1)
        await owe(db, books, 40_000)
        clock.advance(days=1)
        await owe(db, books, 2_000)
        receivable = await _account(client, books, "receivable")
        url = f"{BASE}/accounts/{receivable['id']}"
        assert (await client.get(url, params={"as_of": before.isoformat()}, headers=books.finance)).json()["balance"][
            "amount"
        ] == 0
        middle = (before + timedelta(hours=2)).isoformat()
        assert (await client.get(url, params={"as_of": middle}, headers=books.finance)).json()["balance"][
            "amount"
        ] == 40_000
        assert (await client.get(url, headers=books.finance)).json()["balance"]["amount"] == 42_000

    async def test_the_trial_balance_has_equal_debits_and_credits(self, client, db, books):
        bank = await open_bank_account(client, books)
        settlement = await owe(db, books, 90_000)
        await pay(client, books.finance, settlement.id, bank, 50_000)
        body = (await client.get(f"{BASE}/trial-balance", headers=books.manager)).json()
        assert body["totals"] == [{"currency": "CNY", "debits": 140_000, "credits": 140_000}]
        by_code = {line["code"]: line for line in body["accounts"]}
        assert by_code["1122"]["balance"]["amount"] == 40_000
        assert by_code["6001.04"]["balance"]["amount"] == 90_000


class TestPeriods:
    async def test_a_closed_month_takes_no_entry_until_the_manager_reopens_it(self, client, books, clock):
        clock.set(service_clock.now() - timedelta(days=45))
        month, booked = clock.now.astimezone(SHANGHAI).strftime("%Y-%m"), clock.now
        clock.advance(days=45)
        receivable, grants = await _account(client, books, "receivable"), await _account(client, books, "grant_income")
        body = _entry([(receivable, "debit", 100), (grants, "credit", 100)], booked_at=booked.isoformat())
        closed = await client.post(f"{BASE}/periods/{month}/close", headers=books.finance)
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"
        late = await _post(client, books.finance, body)
        assert is_problem(late, 409) and late.json()["type"].endswith("period-closed")
        assert is_problem(
            await client.post(f"{BASE}/periods/{month}/reopen", json={"reason": "补记"}, headers=books.finance), 403
        )
        reopened = await client.post(
            f"{BASE}/periods/{month}/reopen", json={"reason": "补记课题经费"}, headers=books.manager
        )
        assert reopened.json()["status"] == "open"
        assert (await _post(client, books.finance, body)).status_code == 201

    async def test_a_month_that_has_not_ended_cannot_be_closed(self, client, books):
        month = service_clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
        response = await client.post(f"{BASE}/periods/{month}/close", headers=books.finance)
        assert is_problem(response, 409) and response.json()["type"].endswith("period-not-ended")

    async def test_a_malformed_period_is_422(self, client, books):
        assert is_problem(await client.post(f"{BASE}/periods/2026-13/close", headers=books.finance), 422)


class TestWhoMay:
    async def test_the_manager_reads_and_may_not_write(self, client, books):
        assert (await client.get(f"{BASE}/trial-balance", headers=books.manager)).status_code == 200
        receivable, grants = await _account(client, books, "receivable"), await _account(client, books, "grant_income")
        assert is_problem(
            await _post(client, books.manager, _entry([(receivable, "debit", 1), (grants, "credit", 1)])), 403
        )

    async def test_the_centres_staff_is_403_and_its_evaluator_and_strangers_404(self, client, books):
        assert is_problem(await client.get(f"{BASE}/accounts", headers=books.staff), 403)
        for headers in (books.evaluator, books.sme_member, books.institute_staff):
            assert is_problem(await client.get(f"{BASE}/accounts", headers=headers), 404)
        receivable = await _account(client, books, "receivable")
        assert is_problem(await client.get(f"{BASE}/accounts/{receivable['id']}", headers=books.other_finance), 404)


class TestRevenueAllocation:
    async def test_a_receipt_is_shared_by_the_terms_in_force_to_the_fen(self, client, db, app):
        cast = await make_contract_cast(db, app, client)
        async with build(db, app) as b:
            finance = b.member(cast.provider_staff.org, Role.finance)[1]
        contract = await active_contract(client, cast)  # revenue shares 7000 provider / 3000 co-builder
        milestone_id = uuid.UUID(contract["milestones"][0]["id"])
        async with db.session_scope() as session:
            settlement = await settlements.owe(
                session,
                settlements.Owed(
                    source=SettlementSource.milestone,
                    source_id=milestone_id,
                    provider_org_id=cast.provider_staff.org.id,
                    debtor_org_id=cast.client_signer.org.id,
                    income_kind=IncomeKind.transfer_licensing,
                    amount=100_001,
                    currency="CNY",
                    description="许可费",
                    contract_id=uuid.UUID(contract["id"]),
                ),
            )
        bank = (
            await client.post(
                f"{BASE}/bank-accounts",
                json={"name": "基本户", "bank_name": "工行", "account_number": "6222000011112222"},
                headers=finance,
            )
        ).json()
        payment = await pay(client, finance, settlement.id, bank, 100_001)
        assert payment.status_code == 201, payment.text
        allocation = payment.json()["allocation"]
        team = contract["ip_terms"]["team_reward_bps"]
        assert allocation["contract_version"] == 1 and allocation["base"]["amount"] == 100_001
        lines = {(line["share"], line["organisation_id"]): line for line in allocation["lines"]}
        co = lines[("party", str(cast.co_builder.id))]
        reward = lines[("team_reward", None)]
        kept = lines[("provider", str(cast.provider_staff.org.id))]
        assert (co["bps"], co["of_bps"]) == (3000, 10000)
        assert (reward["bps"], reward["of_bps"]) == (7000, team)
        assert co["amount"]["amount"] + reward["amount"]["amount"] + kept["amount"]["amount"] == 100_001
        assert abs(co["amount"]["amount"] * 10_000 - 100_001 * 3000) < 10_000
        payables = (
            await client.get(f"{BASE}/accounts", params={"purpose": "co_builder_payable"}, headers=finance)
        ).json()["items"]
        assert [p["counterparty_org_id"] for p in payables] == [str(cast.co_builder.id)]
        shown = (await client.get(f"{BASE}/accounts/{payables[0]['id']}", headers=finance)).json()
        assert shown["balance"]["amount"] == co["amount"]["amount"]

        # The co-builder's statement shows the share; finance pays it out with a manual entry.
        month = service_clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
        bank_account = (await client.get(f"{BASE}/accounts", params={"purpose": "bank"}, headers=finance)).json()[
            "items"
        ][0]
        payout = _entry(
            [(payables[0], "debit", co["amount"]["amount"]), (bank_account, "credit", co["amount"]["amount"])]
        )
        assert (await _post(client, finance, payout)).status_code == 201
        statements = await client.get(
            "/api/v1/reports/co-builder-statements", params={"period": month}, headers=cast.co_builder_member.headers
        )
        assert statements.status_code == 200, statements.text
        [statement] = statements.json()
        assert statement["co_builder_id"] == str(cast.co_builder.id)
        assert (statement["opening"]["amount"], statement["allocated"]["amount"]) == (0, co["amount"]["amount"])
        assert (statement["paid_out"]["amount"], statement["closing"]["amount"]) == (co["amount"]["amount"], 0)
        assert [line["source"] for line in statement["lines"]] == ["revenue_allocation", "manual"]
        by_finance = await client.get(
            "/api/v1/reports/co-builder-statements", params={"period": month}, headers=finance
        )
        assert [s["co_builder_id"] for s in by_finance.json()] == [str(cast.co_builder.id)]
        outsider = await client.get(
            "/api/v1/reports/co-builder-statements", params={"period": month}, headers=cast.base.other_sme.headers
        )
        assert outsider.json() == []
