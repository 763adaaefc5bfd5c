"""Settlements through the API: who sees them, offline payments, write-offs, reversals."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from models.enums import IncomeKind, SettlementSource
from services import clock as service_clock
from services import settlements
from tests.factories.http import is_problem
from tests.factories.ledger import balance, make_books, open_bank_account, owe, pay

BASE = "/api/v1/settlements"


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


@pytest.fixture
async def bank(client, books):
    return await open_bank_account(client, books)


class TestSettlement:
    async def test_an_owed_amount_is_numbered_dated_and_accrued(self, client, db, books):
        settlement = await owe(db, books, 128_050)
        body = (await client.get(f"{BASE}/{settlement.id}", headers=books.finance)).json()
        year = service_clock.now().year
        assert body["number"] == f"JS-{year}-000001"
        assert body["amount"] == {"amount": 128_050, "currency": "CNY"}
        assert body["outstanding"] == {"amount": 128_050, "currency": "CNY"}
        assert body["status"] == "open"
        assert body["vat"] == {"rate_bps": 0, "amount": {"amount": 0, "currency": "CNY"}}
        assert body["provider_org_id"] == str(books.institute.id)
        assert body["due_on"] > body["owed_at"][:10]
        assert await balance(client, books, "receivable") == 128_050
        assert await balance(client, books, "income") == 128_050
        second = await owe(db, books, 1)
        assert second.number == f"JS-{year}-000002"

    async def test_the_debtor_provider_and_finance_see_it_and_nobody_else(self, client, db, books):
        settlement = await owe(db, books, 10_000)
        url = f"{BASE}/{settlement.id}"
        for headers in (books.sme_member, books.institute_staff, books.staff, books.finance, books.manager):
            assert (await client.get(url, headers=headers)).status_code == 200
        for headers in (books.other_sme_member, books.other_finance, books.evaluator):
            assert is_problem(await client.get(url, headers=headers), 404)
        mine = (await client.get(BASE, headers=books.other_sme_member)).json()["items"]
        assert mine == []


class TestNothingOwed:
    async def test_the_centre_owes_itself_nothing(self, db, books):
        async with db.session_scope() as session:
            for amount, debtor in ((5_000, books.centre), (5_000, books.institute), (0, books.sme)):
                owed = settlements.Owed(
                    source=SettlementSource.booking,
                    source_id=uuid.uuid4(),
                    provider_org_id=books.institute.id,
                    debtor_org_id=debtor.id,
                    income_kind=IncomeKind.instrument_sharing,
                    amount=amount,
                    currency="CNY",
                    description="内部使用",
                )
                assert await settlements.owe(session, owed) is None

    async def test_owing_again_for_the_same_source_returns_the_first_settlement(self, db, books):
        source_id = uuid.uuid4()
        first = await owe(db, books, 7_000, source_id=source_id)
        again = await owe(db, books, 7_000, source_id=source_id)
        assert again.id == first.id


class TestOfflinePayment:
    async def test_a_partial_then_a_final_payment_settle_it(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        first = await pay(client, books.finance, settlement.id, bank, 30_000)
        assert first.status_code == 201, first.text
        assert first.json()["settlement"]["status"] == "partially_paid"
        assert first.json()["settlement"]["outstanding"]["amount"] == 70_000
        final = await pay(client, books.finance, settlement.id, bank, 70_000)
        assert final.json()["settlement"]["status"] == "paid"
        assert await balance(client, books, "receivable") == 0
        assert await balance(client, books, "bank") == 100_000

    async def test_paying_more_than_is_owed_is_409(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        response = await pay(client, books.finance, settlement.id, bank, 100_001)
        assert is_problem(response, 409)
        assert response.json()["type"].endswith("overpayment")
        assert response.json()["outstanding"] == {"amount": 100_000, "currency": "CNY"}

    async def test_a_bank_reference_is_recorded_once_per_account(self, client, db, books, bank):
        first, second = await owe(db, books, 100_000), await owe(db, books, 50_000)
        assert (await pay(client, books.finance, first.id, bank, 10_000, reference="HX001")).status_code == 201
        again = await pay(client, books.finance, second.id, bank, 10_000, reference="HX001")
        assert is_problem(again, 409)
        assert again.json()["type"].endswith("duplicate-bank-reference")

    async def test_the_idempotency_key_is_required(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        response = await client.post(
            f"{BASE}/{settlement.id}/offline-payments",
            json={
                "bank_account_id": bank["id"],
                "amount": {"amount": 1, "currency": "CNY"},
                "reference": "HX1",
                "value_date": service_clock.now().date().isoformat(),
            },
            headers=books.finance,
        )
        assert is_problem(response, 422)

    async def test_a_retry_with_the_same_key_pays_once(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        first = await pay(client, books.finance, settlement.id, bank, 40_000, reference="HX9", key="pay-1")
        retry = await pay(client, books.finance, settlement.id, bank, 40_000, reference="HX9", key="pay-1")
        assert retry.status_code == 201 and retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        other = await pay(client, books.finance, settlement.id, bank, 41_000, reference="HX9", key="pay-1")
        assert is_problem(other, 409)
        assert (await client.get(f"{BASE}/{settlement.id}", headers=books.finance)).json()["paid"]["amount"] == 40_000

    @pytest.mark.parametrize("who", ["manager", "staff"])
    async def test_the_centres_other_roles_may_not_record_it(self, client, db, books, bank, who):
        settlement = await owe(db, books, 100_000)
        assert is_problem(await pay(client, getattr(books, who), settlement.id, bank, 1), 403)

    async def test_another_centres_finance_finds_nothing(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        assert is_problem(await pay(client, books.other_finance, settlement.id, bank, 1), 404)

    async def test_a_future_value_date_is_422(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        later = service_clock.now().date() + timedelta(days=3)
        response = await pay(client, books.finance, settlement.id, bank, 1, value_date=later)
        assert is_problem(response, 422)
        assert response.json()["errors"][0]["loc"] == ["body", "value_date"]

    async def test_a_reversed_payment_is_owed_again(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        payment = (await pay(client, books.finance, settlement.id, bank, 100_000)).json()
        reversal = await client.post(
            f"/api/v1/ledger/entries/{payment['entry_id']}/reverse", json={"reason": "记错账户"}, headers=books.finance
        )
        assert reversal.status_code == 201, reversal.text
        after = (await client.get(f"{BASE}/{settlement.id}", headers=books.finance)).json()
        assert after["status"] == "open" and after["outstanding"]["amount"] == 100_000
        assert await balance(client, books, "bank") == 0
        twice = await client.post(
            f"/api/v1/ledger/entries/{payment['entry_id']}/reverse", json={"reason": "again"}, headers=books.finance
        )
        assert is_problem(twice, 409)


class TestWriteOff:
    async def test_what_is_left_is_written_off_with_a_reason(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        await pay(client, books.finance, settlement.id, bank, 60_000)
        response = await client.post(
            f"{BASE}/{settlement.id}/write-off", json={"reason": "企业已注销"}, headers=books.finance
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "written_off" and body["written_off"]["amount"] == 40_000
        assert body["write_off_reason"] == "企业已注销"
        assert await balance(client, books, "receivable") == 0
        assert await balance(client, books, "write_off_expense") == 40_000
        again = await client.post(f"{BASE}/{settlement.id}/write-off", json={"reason": "x"}, headers=books.finance)
        assert is_problem(again, 409)


class TestRaces:
    """Concurrent requests (truly parallel on PostgreSQL; serialised by SQLite's write lock)."""

    async def test_two_payments_for_the_last_fen_one_409(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        await pay(client, books.finance, settlement.id, bank, 99_999)
        results = await asyncio.gather(
            *(pay(client, books.finance, settlement.id, bank, 1) for _ in range(2)), return_exceptions=True
        )
        assert sorted(r.status_code for r in results) == [201, 409]

    async def test_twenty_retries_with_one_key_record_one_payment(self, client, db, books, bank):
        settlement = await owe(db, books, 100_000)
        key, reference = uuid.uuid4().hex, "HX-RETRY"
        results = await asyncio.gather(
            *(pay(client, books.finance, settlement.id, bank, 5_000, reference=reference, key=key) for _ in range(20))
        )
        assert {r.status_code for r in results} <= {201, 409}
        assert sum(r.status_code == 201 for r in results) >= 1
        ids = {r.json()["id"] for r in results if r.status_code == 201}
        assert len(ids) == 1
        paid = (await client.get(f"{BASE}/{settlement.id}", headers=books.finance)).json()["paid"]["amount"]
        assert paid == 5_000


class TestPlatformAdministrators:
    async def test_a_platform_admin_reads_no_settlement_redemption_or_claim(self, client, db, app, books):
        """Platform administrators have no reach over money (docs/security.md, "Roles' reach"):
        a settlement, its payments and its voucher redemptions are 404 to them, and the list is empty."""
        from tests.factories.organisations import auth_headers, create_user

        admin = await auth_headers(db, app, await create_user(db, app, platform_admin=True))
        settlement = await owe(db, books, 100_000)
        assert (await client.get(f"{BASE}/{settlement.id}", headers=books.finance)).status_code == 200
        for url in (
            f"{BASE}/{settlement.id}",
            f"{BASE}/{settlement.id}/payments",
            f"{BASE}/{settlement.id}/voucher-redemptions",
        ):
            assert (await client.get(url, headers=admin)).status_code == 404, url
        listed = await client.get(BASE, headers=admin)
        assert listed.status_code == 200 and listed.json()["items"] == []
