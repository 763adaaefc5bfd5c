"""Card payments with Stripe: PaymentIntents, the signed webhook, refunds, disputes and payouts, and
the faults MONEY.md names (duplicates, bad signatures, any order, crashes around the Stripe call).
The real `stripe` library talks to a local fake (tests/stripe_fake.py); the database is real."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import pytest
from sqlalchemy import func, select

from models.card_payments import StripeEvent
from models.notifications import Notification
from services import stripe_gateway
from services.ledger import verify
from tests.factories.card_payments import deliver, paid_by_card, start_intent
from tests.factories.http import is_problem
from tests.factories.ledger import balance, make_books, open_bank_account, owe, pay

SETTLEMENTS = "/api/v1/settlements"


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


async def _count(db, model) -> int:
    async with db.session_scope() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _settlement(client, books, settlement) -> dict:
    return (await client.get(f"{SETTLEMENTS}/{settlement.id}", headers=books.finance)).json()


async def _verified(db) -> None:
    async with db.session_scope() as session:
        assert await verify.run(session) == []


class TestPaymentIntent:
    async def test_without_keys_card_payments_answer_503(self, client, db, books):
        settlement = await owe(db, books, 10_000)
        response = await start_intent(client, books.sme_member, settlement.id)
        assert is_problem(response, 503)
        assert response.json()["type"].endswith("card-payments-not-configured")

    async def test_an_intent_asks_for_what_is_owed_and_a_retry_returns_it(self, client, db, books, stripe):
        settlement = await owe(db, books, 12_345)
        first = await start_intent(client, books.sme_member, settlement.id)
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["amount"] == {"amount": 12_345, "currency": "CNY"} and body["attempt"] == 1
        assert body["client_secret"].startswith(body["payment_intent_id"])
        intent = stripe.intents[body["payment_intent_id"]]
        assert intent["metadata"]["settlement_id"] == str(settlement.id)
        assert intent["metadata"]["settlement_number"] == settlement.number
        again = await start_intent(client, books.sme_member, settlement.id)
        assert again.json()["payment_intent_id"] == body["payment_intent_id"]
        assert len(stripe.intents) == 1

    async def test_only_the_debtor_pays_by_card(self, client, db, books, stripe):
        settlement = await owe(db, books, 12_345)
        assert is_problem(await start_intent(client, books.finance, settlement.id), 403)
        assert is_problem(await start_intent(client, books.other_sme_member, settlement.id), 404)

    async def test_a_changed_amount_cancels_the_open_intent_and_asks_anew(self, client, db, books, stripe):
        settlement = await owe(db, books, 10_000)
        bank = await open_bank_account(client, books)
        first = (await start_intent(client, books.sme_member, settlement.id)).json()
        assert (await pay(client, books.finance, settlement.id, bank, 4_000)).status_code == 201
        second = (await start_intent(client, books.sme_member, settlement.id)).json()
        assert second["attempt"] == 2 and second["amount"]["amount"] == 6_000
        assert stripe.intents[first["payment_intent_id"]]["status"] == "canceled"

    async def test_a_crash_before_stripe_answered_is_retried_with_the_same_key(self, client, db, books, stripe):
        settlement = await owe(db, books, 10_000)
        stripe.down = True
        assert is_problem(await start_intent(client, books.sme_member, settlement.id), 503)
        stripe.down = False
        retried = await start_intent(client, books.sme_member, settlement.id)
        assert retried.status_code == 201 and retried.json()["attempt"] == 1
        assert len(stripe.intents) == 1

    async def test_a_crash_after_stripe_answered_yields_one_intent(self, client, db, books, stripe, app, monkeypatch):
        settlement = await owe(db, books, 10_000)
        real = stripe_gateway.StripeGateway.create_intent
        crashed = []

        async def answered_then_crash(self, **kw):
            intent = await real(self, **kw)
            if not crashed:
                crashed.append(intent.id)
                raise RuntimeError("the process died before saving Stripe's answer")
            return intent

        monkeypatch.setattr(stripe_gateway.StripeGateway, "create_intent", answered_then_crash)
        with pytest.raises(RuntimeError):
            await start_intent(client, books.sme_member, settlement.id)
        retried = (await start_intent(client, books.sme_member, settlement.id)).json()
        assert retried["payment_intent_id"] == crashed[0]
        assert len(stripe.intents) == 1
        paid = await deliver(client, stripe.succeed(retried["payment_intent_id"]))
        assert paid.json()["status"] == "applied"
        assert (await _settlement(client, books, settlement))["status"] == "paid"


class TestWebhook:
    async def test_a_succeeded_payment_is_recorded_with_stripes_fee(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id, fee=1_490)
        body = await _settlement(client, books, settlement)
        assert body["status"] == "paid" and body["paid"]["amount"] == 50_000
        assert await balance(client, books, "receivable") == 0
        assert await balance(client, books, "stripe_clearing") == 50_000 - 1_490
        assert await balance(client, books, "payment_fees") == 1_490
        await _verified(db)

    async def test_a_duplicate_event_moves_money_once(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        intent = (await start_intent(client, books.sme_member, settlement.id)).json()
        event = stripe.succeed(intent["payment_intent_id"])
        first, second = await deliver(client, event), await deliver(client, event)
        assert first.json()["status"] == second.json()["status"] == "applied"
        assert await _count(db, StripeEvent) == 1
        assert (await _settlement(client, books, settlement))["paid"]["amount"] == 50_000

    async def test_concurrent_duplicates_move_money_once(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        intent = (await start_intent(client, books.sme_member, settlement.id)).json()
        event = stripe.succeed(intent["payment_intent_id"])
        answers = await asyncio.gather(*(deliver(client, event) for _ in range(5)))
        assert {a.status_code for a in answers} == {200}
        assert await _count(db, StripeEvent) == 1
        assert (await _settlement(client, books, settlement))["paid"]["amount"] == 50_000
        await _verified(db)

    @pytest.mark.parametrize(
        ("case", "sign_with"),
        [
            ("bad signature", {"secret": "whsec_someone_else"}),
            ("stale timestamp", {"timestamp": int(time.time()) - 301}),
        ],
    )
    async def test_an_unverified_event_is_400_and_stores_nothing(self, client, db, books, stripe, case, sign_with):
        settlement = await owe(db, books, 50_000)
        intent = (await start_intent(client, books.sme_member, settlement.id)).json()
        answer = await deliver(client, stripe.succeed(intent["payment_intent_id"]), **sign_with)
        assert is_problem(answer, 400), case
        assert await _count(db, StripeEvent) == 0
        assert (await _settlement(client, books, settlement))["status"] == "open"

    async def test_a_missing_signature_is_400(self, client, db, books, stripe):
        answer = await client.post("/api/v1/webhooks/stripe", content=b'{"id": "evt_x"}')
        assert is_problem(answer, 400)
        assert await _count(db, StripeEvent) == 0

    async def test_without_a_webhook_secret_every_event_is_refused(self, client, db, books):
        answer = await deliver(client, {"id": "evt_1", "type": "payout.paid", "data": {"object": {"id": "po_1"}}})
        assert is_problem(answer, 400) and answer.json()["type"].endswith("stripe-webhook-not-configured")
        assert await _count(db, StripeEvent) == 0

    async def test_a_payment_that_disagrees_is_flagged_not_applied_and_finance_is_told(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        intent = (await start_intent(client, books.sme_member, settlement.id)).json()
        answer = await deliver(client, stripe.succeed(intent["payment_intent_id"], amount=49_000))
        assert answer.json()["status"] == "flagged"
        assert (await _settlement(client, books, settlement))["paid"]["amount"] == 0
        async with db.session_scope() as session:
            kinds = (await session.scalars(select(Notification.kind))).all()
        assert "payment.flagged" in kinds


class TestRefunds:
    async def _paid(self, client, db, books, stripe, amount=50_000):
        settlement = await owe(db, books, amount)
        await paid_by_card(client, stripe, books.sme_member, settlement.id)
        payment = (await client.get(f"{SETTLEMENTS}/{settlement.id}/payments", headers=books.finance)).json()[0]
        return settlement, payment

    async def _refund(self, client, books, payment, amount, key=None):
        return await client.post(
            f"/api/v1/payments/{payment['id']}/refunds",
            json={"amount": {"amount": amount, "currency": "CNY"}, "reason": "部分服务未提供"},
            headers={**books.finance, "Idempotency-Key": key or uuid.uuid4().hex},
        )

    async def test_a_partial_refund_goes_through_stripe_and_the_settlement_owes_it_again(
        self, client, db, books, stripe
    ):
        settlement, payment = await self._paid(client, db, books, stripe)
        response = await self._refund(client, books, payment, 20_000)
        assert response.status_code == 201, response.text
        assert response.json()["external_ref"] in stripe.refunds
        body = await _settlement(client, books, settlement)
        assert (body["status"], body["outstanding"]["amount"]) == ("partially_paid", 20_000)
        assert await balance(client, books, "stripe_clearing") == 30_000
        event = stripe.event("charge.refunded", stripe._charge_view(stripe.charges[payment["external_ref"]], set()))
        assert (await deliver(client, event)).status_code == 200  # Stripe's own notice of it changes nothing
        assert (await _settlement(client, books, settlement))["outstanding"]["amount"] == 20_000
        await _verified(db)

    async def test_never_beyond_what_was_captured_also_concurrently(self, client, db, books, stripe):
        _, payment = await self._paid(client, db, books, stripe)
        assert is_problem(await self._refund(client, books, payment, 50_001), 409)
        answers = await asyncio.gather(*(self._refund(client, books, payment, 30_000) for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [201, 409]
        assert sum(r["amount"] for r in stripe.refunds.values()) == 30_000

    async def test_a_refund_made_in_stripes_dashboard_is_recorded_from_its_event(self, client, db, books, stripe):
        settlement, payment = await self._paid(client, db, books, stripe)
        answer = await deliver(client, stripe.refund_from_dashboard(payment["external_ref"], 5_000))
        assert answer.json()["status"] == "applied"
        assert (await _settlement(client, books, settlement))["outstanding"]["amount"] == 5_000
        await _verified(db)

    async def test_a_reused_key_with_another_body_is_409(self, client, db, books, stripe):
        _, payment = await self._paid(client, db, books, stripe)
        assert (await self._refund(client, books, payment, 1_000, key="r-1")).status_code == 201
        assert is_problem(await self._refund(client, books, payment, 2_000, key="r-1"), 409)


class TestDisputesAndPayouts:
    async def test_a_lost_dispute_means_the_settlement_is_owed_again(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id)
        charge_id = next(iter(stripe.charges))
        opened = stripe.dispute(charge_id, fee=1_500)
        assert (await deliver(client, opened)).json()["status"] == "applied"
        assert await balance(client, books, "disputed_funds") == 50_000
        dispute_id = opened["data"]["object"]["id"]
        assert (await deliver(client, stripe.close_dispute(dispute_id, won=False))).status_code == 200
        assert await balance(client, books, "disputed_funds") == 0
        assert (await _settlement(client, books, settlement))["outstanding"]["amount"] == 50_000
        await _verified(db)

    async def test_a_won_dispute_reinstates_the_funds(self, client, db, books, stripe):
        settlement = await owe(db, books, 50_000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id)
        opened = stripe.dispute(next(iter(stripe.charges)), fee=1_500)
        await deliver(client, opened)
        await deliver(client, stripe.close_dispute(opened["data"]["object"]["id"], won=True))
        assert await balance(client, books, "disputed_funds") == 0
        assert await balance(client, books, "stripe_clearing") == 50_000 - 1_500
        assert (await _settlement(client, books, settlement))["status"] == "paid"

    async def test_a_payout_empties_stripe_clearing_into_the_bank_and_a_failed_one_reverses(
        self, client, db, books, stripe
    ):
        await open_bank_account(client, books)
        settlement = await owe(db, books, 50_000)
        await paid_by_card(client, stripe, books.sme_member, settlement.id, fee=1_490)
        paid = stripe.payout()
        assert (await deliver(client, paid)).json()["status"] == "applied"
        assert await balance(client, books, "stripe_clearing") == 0
        assert await balance(client, books, "bank") == 50_000 - 1_490
        await deliver(client, stripe.fail_payout(paid["data"]["object"]["id"]))
        assert await balance(client, books, "bank") == 0
        assert await balance(client, books, "stripe_clearing") == 50_000 - 1_490
        await _verified(db)


async def _final_balances(client, books) -> dict[str, int]:
    return {p: await balance(client, books, p) for p in ("receivable", "stripe_clearing", "bank", "payment_fees")}


class TestAnyOrder:
    @pytest.mark.parametrize("order", list(itertools.permutations(("succeeded", "refunded", "payout"))))
    async def test_the_same_ledger_whatever_order_the_events_arrive_in(self, client, db, app, stripe, order):
        books = await make_books(db, app)
        await open_bank_account(client, books)
        settlement = await owe(db, books, 80_000)
        intent = (await start_intent(client, books.sme_member, settlement.id)).json()
        events = {"succeeded": stripe.succeed(intent["payment_intent_id"], fee=2_000)}
        charge_id = next(iter(stripe.charges))
        events["refunded"] = stripe.refund_from_dashboard(charge_id, 10_000)
        events["payout"] = stripe.payout()
        for name in order:
            answer = await deliver(client, events[name])
            assert answer.status_code == 200, (name, answer.text)
        assert await _final_balances(client, books) == {
            "receivable": 10_000,
            "stripe_clearing": 0,
            "bank": 80_000 - 2_000 - 10_000,
            "payment_fees": 2_000,
        }
        await _verified(db)
