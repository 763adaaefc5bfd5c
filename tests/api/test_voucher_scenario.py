"""The scenario of issue 14's "Done when": an SME pays a contract milestone 30% by innovation voucher and
70% by card; the centre claims the voucher's share; part of the card payment is refunded; Stripe pays
out; the issuer pays the claim. Every clearing account ends at zero, the ledger balances, and the
co-builder's payable is its share of what the centre kept, to the fen."""

from __future__ import annotations

import uuid

import pytest

from models.enums import Role
from services.ledger import verify
from tests.factories.card_payments import deliver, paid_by_card
from tests.factories.contracts import (
    contract_body,
    ip_terms_body,
    make_contract_cast,
    post_contract,
    put_terms,
    sign_all,
)
from tests.factories.organisations import build
from tests.factories.vouchers import create_programme, file_claim, issue, make_issuer, money, pay_claim, redeem

LEDGER = "/api/v1/ledger"
MILESTONE = 100_001  # fen: 30% of it is 30,000.3, so the share cap's rounding shows


@pytest.fixture
async def cast(db, app, client):
    return await make_contract_cast(db, app, client)


async def _balance(client, finance, purpose: str) -> int:
    accounts = (await client.get(f"{LEDGER}/accounts", params={"purpose": purpose}, headers=finance)).json()["items"]
    total = 0
    for a in accounts:
        total += (await client.get(f"{LEDGER}/accounts/{a['id']}", headers=finance)).json()["balance"]["amount"]
    return total


async def test_voucher_and_card_refund_payout_and_claim_paid(client, db, app, cast, stripe):
    async with build(db, app) as b:
        finance = b.member(cast.provider_staff.org, Role.finance)[1]
    issuer = await make_issuer(db, app)
    milestone = {"title": "小试验证", "amount": money(MILESTONE), "due_offset_days": 60}
    contract = await post_contract(client, cast.provider_staff, contract_body(cast, milestones=[milestone]))
    terms = ip_terms_body(cast)  # revenue shares: provider 70%, co-builder (苏州大学) 30%; no team reward on R&D
    contract = await sign_all(
        client, cast, (await put_terms(client, cast.provider_staff, contract["id"], terms)).json()
    )
    url = f"/api/v1/contracts/{contract['id']}/milestones/{contract['milestones'][0]['id']}"
    await client.post(f"{url}/deliver", json={"note": "交付"}, headers=cast.provider_staff.headers)
    assert (await client.post(f"{url}/accept", headers=cast.client_member.headers)).status_code == 200
    [settlement] = (
        await client.get("/api/v1/settlements", params={"contract_id": contract["id"]}, headers=finance)
    ).json()["items"]
    assert settlement["amount"] == money(MILESTONE) and settlement["income_kind"] == "contract_rd"

    bank = await client.post(
        f"{LEDGER}/bank-accounts",
        json={"name": "基本存款账户", "bank_name": "中国工商银行", "account_number": "1102020109000099999"},
        headers=finance,
    )
    assert bank.status_code == 201, bank.text
    programme = await create_programme(
        client, issuer, eligible_income_kinds=["contract_rd"], max_share_bps=3000, face_value=money(100_000)
    )
    [voucher] = await issue(client, issuer, programme, cast.client_signer.org)

    # 30% by voucher: the cap is 100,001 × 3000 // 10000 = 30,000 (rounded down)
    assert (await redeem(client, cast.client_member.headers, settlement["id"], voucher, 30_001)).json()["rule"] == (
        "share_cap"
    )
    redemption = (await redeem(client, cast.client_member.headers, settlement["id"], voucher, 30_000)).json()
    # 70% by card: the intent asks for the remainder; Stripe keeps a 2,000 fen fee
    intent = await paid_by_card(client, stripe, cast.client_member.headers, settlement["id"], fee=2_000)
    assert intent["amount"] == money(70_001)
    # the centre claims the voucher's share (the SME's own share is paid) and the issuer approves it
    claim = (await file_claim(client, finance, [redemption], bank.json())).json()
    assert (
        await client.post(f"/api/v1/voucher-claims/{claim['id']}/approve", headers=issuer.officer)
    ).status_code == 200
    # a partial refund of the card payment
    payments = (await client.get(f"/api/v1/settlements/{settlement['id']}/payments", headers=finance)).json()
    card = next(p for p in payments if p["channel"] == "card")
    refund = await client.post(
        f"/api/v1/payments/{card['id']}/refunds",
        json={"amount": money(10_000), "reason": "部分测试未完成"},
        headers={**finance, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert refund.status_code == 201, refund.text
    # Stripe pays out what it holds; the issuer pays the claim
    assert (await deliver(client, stripe.payout())).json()["status"] == "applied"
    assert (await pay_claim(client, issuer.officer, claim)).status_code == 200

    balances = {
        purpose: await _balance(client, finance, purpose)
        for purpose in (
            "stripe_clearing",
            "voucher_receivable",
            "disputed_funds",
            "receivable",
            "bank",
            "payment_fees",
            "income",
            "subsidy_income",
            "revenue_share_expense",
            "co_builder_payable",
        )
    }
    assert balances == {
        "stripe_clearing": 0,  # clearing accounts are empty
        "voucher_receivable": 0,
        "disputed_funds": 0,
        "receivable": 10_000,  # the refunded amount is owed again
        "bank": 70_001 - 2_000 - 10_000 + 30_000,  # the payout and the issuer's payment
        "payment_fees": 2_000,
        "income": 70_001,  # market-service income: what the SME paid itself
        "subsidy_income": 30_000,  # the voucher's share, reported as a fiscal post-subsidy
        "revenue_share_expense": 27_000,
        # 30% of each receipt: card 21,000 (of 70,001), less 3,000 of the refund, plus 9,000 of the voucher
        "co_builder_payable": 27_000,
    }
    kept = 30_000 + 70_001 - 10_000
    assert balances["co_builder_payable"] == kept * 3000 // 10000
    async with db.session_scope() as session:
        assert await verify.run(session) == []  # balanced per currency, one entry per redemption and claim
