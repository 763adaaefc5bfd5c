"""Innovation vouchers: programmes and issuing, redemptions (every rule, under concurrency), claims
(approve, reject, pay) and what the ledger records at each step."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from models.enums import IncomeKind, OrganisationKind
from models.notifications import Notification
from services.ledger import verify
from tests.factories.card_payments import start_intent
from tests.factories.http import is_problem
from tests.factories.ledger import balance, make_books, open_bank_account, owe, pay
from tests.factories.organisations import build
from tests.factories.vouchers import (
    create_programme,
    file_claim,
    issue,
    make_issuer,
    money,
    pay_claim,
    programme_body,
    redeem,
)

PROGRAMMES = "/api/v1/voucher-programmes"
CLAIMS = "/api/v1/voucher-claims"


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


@pytest.fixture
async def issuer(db, app):
    return await make_issuer(db, app)


async def _verified(db) -> None:
    async with db.session_scope() as session:
        assert await verify.run(session) == []


async def _settlement(client, books, settlement) -> dict:
    return (await client.get(f"/api/v1/settlements/{settlement.id}", headers=books.finance)).json()


async def _voucher(client, headers, voucher_id) -> dict:
    items = (await client.get("/api/v1/vouchers", headers=headers)).json()["items"]
    return next(v for v in items if v["id"] == voucher_id)


async def _kinds(db) -> list[str]:
    async with db.session_scope() as session:
        return list((await session.scalars(select(Notification.kind))).all())


def _refused(response, rule: str) -> bool:
    return is_problem(response, 422) and response.json().get("rule") == rule


class TestProgrammes:
    async def test_an_issuer_admin_sets_up_a_programme_and_everyone_reads_it(self, client, books, issuer):
        programme = await create_programme(client, issuer)
        assert programme["issuer_org_id"] == str(issuer.org.id)
        assert programme["budget_left"] == money(1_000_000) and programme["issued"] == money(0)
        assert set(programme["eligible_income_kinds"]) == {"testing", "instrument_sharing"}
        r = await client.get(f"{PROGRAMMES}/{programme['id']}", headers=books.sme_member)
        assert r.status_code == 200 and r.json()["name"] == programme["name"]

    async def test_only_an_issuer_admin_creates_or_changes_one(self, client, books, issuer):
        for headers in (issuer.officer, issuer.evaluator, books.finance, books.sme_member):
            assert is_problem(await client.post(PROGRAMMES, json=programme_body(), headers=headers), 403)
        programme = await create_programme(client, issuer)
        r = await client.patch(f"{PROGRAMMES}/{programme['id']}", json={"budget": money(5)}, headers=issuer.officer)
        assert is_problem(r, 403)

    async def test_bad_programmes_are_422(self, client, issuer, clock):
        start = clock.now.isoformat()
        for bad in (
            {"valid_until": start, "valid_from": start},
            {"max_share_bps": 10001},
            {"eligible_income_kinds": []},
            {"eligible_income_kinds": ["lottery"]},
            {"budget": money(0)},
            {"face_value": money(1_000, "USD")},
            {"face_value": money(2_000_000)},
        ):
            r = await client.post(PROGRAMMES, json=programme_body(**bad), headers=issuer.admin)
            assert is_problem(r, 422), bad

    async def test_vouchers_are_issued_within_the_budget(self, client, books, issuer, db, app):
        programme = await create_programme(client, issuer)
        vouchers = await issue(client, issuer, programme, books.sme, books.other_sme)
        assert [v["balance"] for v in vouchers] == [money(200_000)] * 2
        r = await client.post(
            f"{PROGRAMMES}/{programme['id']}/vouchers",
            json={"sme_org_ids": [str(books.sme.id), str(books.centre.id)]},
            headers=issuer.admin,
        )
        assert is_problem(r, 422) and r.json()["errors"][0]["loc"] == ["body", "sme_org_ids", 1]
        async with build(db, app) as b:
            smes = [b.org(OrganisationKind.sme) for _ in range(4)]
        # 600,000 of the budget is left: four more vouchers do not fit, three do
        r = await client.post(
            f"{PROGRAMMES}/{programme['id']}/vouchers",
            json={"sme_org_ids": [str(s.id) for s in smes]},
            headers=issuer.admin,
        )
        assert is_problem(r, 409) and r.json()["type"].endswith("voucher-budget-exhausted")
        assert len(await issue(client, issuer, programme, *smes[:3])) == 3
        r = await client.get(f"{PROGRAMMES}/{programme['id']}", headers=issuer.admin)
        assert r.json()["issued"] == money(1_000_000)

    async def test_an_sme_sees_its_vouchers_and_the_issuer_sees_its_programmes(self, client, books, issuer, db, app):
        programme = await create_programme(client, issuer)
        [mine, theirs] = await issue(client, issuer, programme, books.sme, books.other_sme)
        seen = (await client.get("/api/v1/vouchers", headers=books.sme_member)).json()["items"]
        assert [v["id"] for v in seen] == [mine["id"]]
        other_issuer = await make_issuer(db, app, name="无锡市科学技术局")
        assert (await client.get("/api/v1/vouchers", headers=other_issuer.officer)).json()["items"] == []
        by_issuer = (await client.get("/api/v1/vouchers", headers=issuer.officer)).json()["items"]
        assert {v["id"] for v in by_issuer} == {mine["id"], theirs["id"]}
        assert (await client.get("/api/v1/vouchers", headers=books.finance)).json()["items"] == []


class TestRedemption:
    async def _setup(self, client, db, books, issuer, **programme):
        p = await create_programme(client, issuer, **programme)
        [voucher] = await issue(client, issuer, p, books.sme)
        return p, voucher

    async def test_a_voucher_covers_part_of_a_settlement_in_the_ledger(self, client, db, books, issuer):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        r = await redeem(client, books.sme_member, settlement.id, voucher, 30_000)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "redeemed" and body["amount"] == money(30_000)
        after = await _settlement(client, books, settlement)
        assert (after["status"], after["outstanding"]["amount"]) == ("partially_paid", 70_000)
        assert await balance(client, books, "voucher_receivable") == 30_000
        assert await balance(client, books, "receivable") == 70_000
        assert (await _voucher(client, books.sme_member, voucher["id"]))["balance"] == money(170_000)
        [payment] = (await client.get(f"/api/v1/settlements/{settlement.id}/payments", headers=books.finance)).json()
        assert payment["channel"] == "voucher" and payment["id"] == body["payment_id"]
        assert payment["allocation"] is None  # shared when the issuer pays the claim
        listed = await client.get(f"/api/v1/settlements/{settlement.id}/voucher-redemptions", headers=books.finance)
        assert [x["id"] for x in listed.json()] == [body["id"]]
        await _verified(db)

    async def test_every_rule_is_named_when_it_fails(self, client, db, books, issuer, clock, app):
        p, voucher = await self._setup(client, db, books, issuer)
        [other] = await issue(client, issuer, p, books.other_sme)
        settlement = await owe(db, books, 100_000)
        assert _refused(await redeem(client, books.sme_member, settlement.id, other, 1_000), "owner")
        rd = await owe(db, books, 100_000, income_kind=IncomeKind.contract_rd)
        assert _refused(await redeem(client, books.sme_member, rd.id, voucher, 1_000), "eligibility")
        assert _refused(await redeem(client, books.sme_member, settlement.id, voucher, 100_001), "remainder")
        assert _refused(await redeem(client, books.sme_member, settlement.id, voucher, 50_001), "share_cap")
        usd = await owe(db, books, 100_000, currency="USD")
        assert _refused(await redeem(client, books.sme_member, usd.id, voucher, 1_000), "currency")
        clock.set(datetime.fromisoformat(p["valid_until"]))  # the window is half-open
        assert _refused(await redeem(client, books.sme_member, settlement.id, voucher, 1_000), "validity")
        assert (await _settlement(client, books, settlement))["paid"]["amount"] == 0
        assert await balance(client, books, "voucher_receivable") == 0

    async def test_the_share_cap_rounds_down(self, client, db, books, issuer):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 10_005)  # 50% is 5,002.5 fen: the cap is 5,002 (half up would be 5,003)
        assert _refused(await redeem(client, books.sme_member, settlement.id, voucher, 5_003), "share_cap")
        assert (await redeem(client, books.sme_member, settlement.id, voucher, 3_000)).status_code == 201
        assert _refused(await redeem(client, books.sme_member, settlement.id, voucher, 2_003), "share_cap")
        assert (await redeem(client, books.sme_member, settlement.id, voucher, 2_002)).status_code == 201

    async def test_balance_annual_cap_and_budget(self, client, db, books, issuer):
        p, voucher = await self._setup(client, db, books, issuer)
        [second] = await issue(client, issuer, p, books.sme)
        big = [await owe(db, books, 500_000) for _ in range(3)]
        assert _refused(await redeem(client, books.sme_member, big[0].id, voucher, 200_001), "balance")
        assert (await redeem(client, books.sme_member, big[0].id, voucher, 200_000)).status_code == 201
        # the SME's cap is 300,000 a year across the programme's vouchers
        assert _refused(await redeem(client, books.sme_member, big[1].id, second, 100_001), "annual_cap")
        assert (await redeem(client, books.sme_member, big[1].id, second, 50_000)).status_code == 201
        # the issuer cuts the budget to what is redeemed plus 20,000 (never below what is redeemed)
        url = f"{PROGRAMMES}/{p['id']}"
        assert is_problem(await client.patch(url, json={"budget": money(249_999)}, headers=issuer.admin), 422)
        r = await client.patch(url, json={"budget": money(270_000)}, headers=issuer.admin)
        assert r.status_code == 200 and r.json()["budget_left"] == money(20_000)
        assert _refused(await redeem(client, books.sme_member, big[2].id, second, 20_001), "budget")
        assert (await redeem(client, books.sme_member, big[2].id, second, 20_000)).status_code == 201
        await _verified(db)

    async def test_the_annual_cap_follows_the_issuers_calendar_year(self, client, db, books, issuer, clock):
        clock.set(datetime(2026, 12, 31, 15, 0, tzinfo=UTC))  # 23:00 on 31 December in Shanghai
        p, voucher = await self._setup(client, db, books, issuer, annual_cap_per_sme=money(100_000))
        [second] = await issue(client, issuer, p, books.sme)
        owed = [await owe(db, books, 400_000) for _ in range(2)]
        r = await redeem(client, books.sme_member, owed[0].id, voucher, 100_000)
        assert r.status_code == 201 and r.json()["year"] == 2026
        assert _refused(await redeem(client, books.sme_member, owed[1].id, second, 1), "annual_cap")
        clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # midnight in Shanghai: 2027 there
        r = await redeem(client, books.sme_member, owed[1].id, second, 100_000)
        assert r.status_code == 201 and r.json()["year"] == 2027

    async def test_only_the_debtors_members_redeem(self, client, db, books, issuer):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        assert is_problem(await redeem(client, books.finance, settlement.id, voucher, 1_000), 403)
        assert is_problem(await redeem(client, books.other_sme_member, settlement.id, voucher, 1_000), 404)
        assert is_problem(await redeem(client, issuer.admin, settlement.id, voucher, 1_000), 404)
        r = await client.post(
            f"/api/v1/settlements/{settlement.id}/voucher-redemptions",
            json={"voucher_id": voucher["id"], "amount": money(1_000)},
            headers=books.sme_member,
        )
        assert is_problem(r, 422)  # the Idempotency-Key is required

    async def test_a_retry_with_the_same_key_redeems_once(self, client, db, books, issuer):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        first = await redeem(client, books.sme_member, settlement.id, voucher, 10_000, key="v-1")
        again = await redeem(client, books.sme_member, settlement.id, voucher, 10_000, key="v-1")
        assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
        assert is_problem(await redeem(client, books.sme_member, settlement.id, voucher, 9_000, key="v-1"), 409)
        assert (await _voucher(client, books.sme_member, voucher["id"]))["balance"] == money(190_000)

    async def test_a_redemption_cancels_the_open_payment_intent(self, client, db, books, issuer, stripe):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        first = (await start_intent(client, books.sme_member, settlement.id)).json()
        assert first["amount"] == money(100_000)
        assert (await redeem(client, books.sme_member, settlement.id, voucher, 30_000)).status_code == 201
        assert stripe.intents[first["payment_intent_id"]]["status"] == "canceled"
        second = (await start_intent(client, books.sme_member, settlement.id)).json()
        assert second["attempt"] == 2 and second["amount"] == money(70_000)

    async def test_the_sme_withdraws_or_finance_refuses_an_unclaimed_redemption(self, client, db, books, issuer):
        p, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        ids = []
        for amount in (10_000, 20_000):
            ids.append((await redeem(client, books.sme_member, settlement.id, voucher, amount)).json()["id"])
        url = "/api/v1/voucher-redemptions/{}/cancel"
        assert is_problem(await client.post(url.format(ids[0]), json={"reason": "x"}, headers=books.manager), 403)
        assert is_problem(await client.post(url.format(ids[0]), json={"reason": "x"}, headers=books.staff), 404)
        assert is_problem(await client.post(url.format(ids[0]), json={"reason": "x"}, headers=issuer.officer), 403)
        r = await client.post(url.format(ids[0]), json={"reason": "改用银行转账"}, headers=books.sme_member)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        r = await client.post(url.format(ids[1]), json={"reason": "不符合券种要求"}, headers=books.finance)
        assert r.status_code == 200
        again = await client.post(url.format(ids[1]), json={"reason": "again"}, headers=books.finance)
        assert is_problem(again, 409)
        assert (await _settlement(client, books, settlement))["outstanding"]["amount"] == 100_000
        assert (await _voucher(client, books.sme_member, voucher["id"]))["balance"] == money(200_000)
        assert (await client.get(f"{PROGRAMMES}/{p['id']}", headers=issuer.admin)).json()["redeemed"] == money(0)
        assert await balance(client, books, "voucher_receivable") == 0
        await _verified(db)

    async def test_finance_cannot_reverse_a_voucher_payment_in_the_ledger(self, client, db, books, issuer):
        _, voucher = await self._setup(client, db, books, issuer)
        settlement = await owe(db, books, 100_000)
        await redeem(client, books.sme_member, settlement.id, voucher, 10_000)
        [payment] = (await client.get(f"/api/v1/settlements/{settlement.id}/payments", headers=books.finance)).json()
        r = await client.post(
            f"/api/v1/ledger/entries/{payment['entry_id']}/reverse", json={"reason": "错账"}, headers=books.finance
        )
        assert is_problem(r, 409) and r.json()["type"].endswith("entry-not-reversible")


class TestConcurrentRedemptions:
    """The voucher's and the programme's rows are locked: concurrent use beyond a balance or a budget is
    refused (PostgreSQL: SELECT ... FOR UPDATE; SQLite: one write transaction at a time)."""

    async def test_concurrent_use_beyond_the_balance(self, client, db, books, issuer):
        p = await create_programme(client, issuer, annual_cap_per_sme=money(1_000_000))
        [voucher] = await issue(client, issuer, p, books.sme)
        owed = [await owe(db, books, 300_000) for _ in range(4)]
        answers = await asyncio.gather(*(redeem(client, books.sme_member, s.id, voucher, 120_000) for s in owed))
        assert sorted(a.status_code for a in answers) == [201, 422, 422, 422]
        assert {a.json()["rule"] for a in answers if a.status_code == 422} == {"balance"}
        assert (await _voucher(client, books.sme_member, voucher["id"]))["balance"] == money(80_000)
        assert await balance(client, books, "voucher_receivable") == 120_000
        await _verified(db)

    async def test_concurrent_use_beyond_the_budget(self, client, db, books, issuer):
        p = await create_programme(client, issuer)
        vouchers = await issue(client, issuer, p, books.sme, books.other_sme)
        r = await client.patch(f"{PROGRAMMES}/{p['id']}", json={"budget": money(150_000)}, headers=issuer.admin)
        assert r.status_code == 200
        mine = await owe(db, books, 300_000)
        theirs = await owe(db, books, 300_000, debtor=books.other_sme)
        answers = await asyncio.gather(
            redeem(client, books.sme_member, mine.id, vouchers[0], 100_000),
            redeem(client, books.other_sme_member, theirs.id, vouchers[1], 100_000),
        )
        assert sorted(a.status_code for a in answers) == [201, 422]
        assert [a.json()["rule"] for a in answers if a.status_code == 422] == ["budget"]
        assert (await client.get(f"{PROGRAMMES}/{p['id']}", headers=issuer.admin)).json()["redeemed"] == money(100_000)
        await _verified(db)


class TestClaims:
    async def _redeemed(self, client, db, books, issuer, *, amount=100_000, cover=30_000, settle=True):
        """A settlement partly covered by a voucher and, when `settle`, the rest paid by bank transfer."""
        p = await create_programme(client, issuer)
        [voucher] = await issue(client, issuer, p, books.sme)
        bank = await open_bank_account(client, books)
        settlement = await owe(db, books, amount)
        redemption = (await redeem(client, books.sme_member, settlement.id, voucher, cover)).json()
        if settle:
            assert (await pay(client, books.finance, settlement.id, bank, amount - cover)).status_code == 201
        return p, voucher, bank, settlement, redemption

    async def test_a_claim_needs_the_smes_own_share_paid(self, client, db, books, issuer):
        *_, bank, settlement, redemption = await self._redeemed(client, db, books, issuer, settle=False)
        r = await file_claim(client, books.finance, [redemption], bank)
        assert is_problem(r, 422) and r.json()["rule"] == "own_share_unpaid"
        assert (await pay(client, books.finance, settlement.id, bank, 69_999)).status_code == 201
        assert (await file_claim(client, books.finance, [redemption], bank)).json()["rule"] == "own_share_unpaid"
        assert (await pay(client, books.finance, settlement.id, bank, 1)).status_code == 201
        r = await file_claim(client, books.finance, [redemption], bank)
        assert r.status_code == 201, r.text
        claim = r.json()
        assert claim["status"] == "submitted" and claim["amount"] == money(30_000)
        [evidence] = claim["evidence"]
        assert evidence["settlement_number"] == settlement.number and evidence["source"] == "booking"
        assert sum(p["amount"] for p in evidence["own_share_payments"]) == 70_000
        assert "voucher_claim.submitted" in await _kinds(db)
        again = await file_claim(client, books.finance, [redemption], bank)
        assert is_problem(again, 422) and again.json()["rule"] == "not_claimable"

    async def test_who_files_and_who_decides(self, client, db, app, books, issuer):
        *_, bank, _, redemption = await self._redeemed(client, db, books, issuer)
        for headers, status in ((books.manager, 403), (books.sme_member, 422), (books.other_finance, 422)):
            assert is_problem(await file_claim(client, headers, [redemption], bank), status)
        claim = (await file_claim(client, books.finance, [redemption], bank)).json()
        url = f"{CLAIMS}/{claim['id']}"
        assert is_problem(await client.post(f"{url}/approve", headers=books.finance), 403)
        other = await make_issuer(db, app, name="无锡市科学技术局")
        assert is_problem(await client.post(f"{url}/approve", headers=other.officer), 404)
        assert is_problem(await client.get(url, headers=books.sme_member), 404)
        assert (await client.get(CLAIMS, headers=issuer.officer)).json()["items"][0]["id"] == claim["id"]
        assert is_problem(await pay_claim(client, issuer.officer, claim), 409)  # approve first
        approved = await client.post(f"{url}/approve", headers=issuer.officer)
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert is_problem(await client.post(f"{url}/approve", headers=issuer.officer), 409)
        assert "voucher_claim.approved" in await _kinds(db)

    async def test_a_paid_claim_clears_the_voucher_receivable_as_a_post_subsidy(self, client, db, books, issuer):
        *_, bank, settlement, redemption = await self._redeemed(client, db, books, issuer)
        claim = (await file_claim(client, books.finance, [redemption], bank)).json()
        await client.post(f"{CLAIMS}/{claim['id']}/approve", headers=issuer.officer)
        assert await balance(client, books, "voucher_receivable") == 30_000
        paid = await pay_claim(client, issuer.officer, claim, reference="CZ-0001")
        assert paid.status_code == 200, paid.text
        body = paid.json()
        assert body["status"] == "paid" and body["payment_reference"] == "CZ-0001" and body["entry_id"]
        assert await balance(client, books, "voucher_receivable") == 0
        assert await balance(client, books, "bank") == 100_000
        assert await balance(client, books, "subsidy_income") == 30_000  # fiscal post-subsidy income
        assert await balance(client, books, "income") == 70_000  # market-service income: what the SME paid
        listed = await client.get(f"/api/v1/settlements/{settlement.id}/voucher-redemptions", headers=books.finance)
        assert listed.json()[0]["status"] == "paid"
        assert is_problem(await pay_claim(client, issuer.officer, claim), 409)
        assert "voucher_claim.paid" in await _kinds(db)
        await _verified(db)

    async def test_a_rejected_claim_returns_the_amount_to_the_sme_and_the_voucher(self, client, db, books, issuer):
        p, voucher, bank, settlement, redemption = await self._redeemed(client, db, books, issuer)
        claim = (await file_claim(client, books.finance, [redemption], bank)).json()
        url = f"{CLAIMS}/{claim['id']}"
        cancel = await client.post(
            f"/api/v1/voucher-redemptions/{redemption['id']}/cancel", json={"reason": "x"}, headers=books.sme_member
        )
        assert is_problem(cancel, 409)  # claimed: only the issuer's rejection returns it
        assert is_problem(await client.post(f"{url}/reject", json={"reason": ""}, headers=issuer.officer), 422)
        r = await client.post(f"{url}/reject", json={"reason": "缺少检测报告原件"}, headers=issuer.officer)
        assert r.status_code == 200 and r.json()["reject_reason"] == "缺少检测报告原件"
        after = await _settlement(client, books, settlement)
        assert (after["status"], after["outstanding"]["amount"]) == ("partially_paid", 30_000)
        assert await balance(client, books, "voucher_receivable") == 0
        assert await balance(client, books, "receivable") == 30_000
        assert (await _voucher(client, books.sme_member, voucher["id"]))["balance"] == money(200_000)
        assert (await client.get(f"{PROGRAMMES}/{p['id']}", headers=issuer.admin)).json()["redeemed"] == money(0)
        assert {"voucher_claim.rejected", "voucher_redemption.returned"} <= set(await _kinds(db))
        assert is_problem(await pay_claim(client, issuer.officer, claim), 409)
        await _verified(db)
        # the voucher can cover the settlement again
        assert (await redeem(client, books.sme_member, settlement.id, voucher, 30_000)).status_code == 201


class TestLedgerVerify:
    """`ttm ledger-verify` checks one entry per redemption (and its reversal when returned), vouchers'
    balances and programmes' totals, the voucher receivable, and one entry per paid claim."""

    async def _findings(self, db, sql: str, **params) -> set[str]:
        async with db.session_scope() as session:
            await session.execute(text(sql), params)
        async with db.session_scope() as session:
            return {f.check for f in await verify.run(session)}

    async def test_breaches_are_found(self, client, db, books, issuer):
        p = await create_programme(client, issuer)
        [voucher] = await issue(client, issuer, p, books.sme)
        bank = await open_bank_account(client, books)
        settlement = await owe(db, books, 100_000)
        redemption = (await redeem(client, books.sme_member, settlement.id, voucher, 30_000)).json()
        await pay(client, books.finance, settlement.id, bank, 70_000)
        claim = (await file_claim(client, books.finance, [redemption], bank)).json()
        await client.post(f"{CLAIMS}/{claim['id']}/approve", headers=issuer.officer)
        await _verified(db)
        vid, rid, cid = (uuid.UUID(x).hex if not _pg(db) else x for x in (voucher["id"], redemption["id"], claim["id"]))
        assert await self._findings(db, "UPDATE vouchers SET balance = balance + 1 WHERE id = :id", id=vid) == {
            "voucher-balance"
        }
        await self._findings(db, "UPDATE vouchers SET balance = balance - 1 WHERE id = :id", id=vid)
        assert await self._findings(db, "UPDATE voucher_claims SET status = 'paid' WHERE id = :id", id=cid) == {
            "voucher-claim-entry"
        }
        found = await self._findings(db, "UPDATE voucher_redemptions SET status = 'cancelled' WHERE id = :id", id=rid)
        assert {"voucher-redemption-entry", "voucher-balance", "voucher-receivable"} <= found


def _pg(db) -> bool:
    return db.engine.dialect.name == "postgresql"
