"""Card payments in tests: ask for an intent as the SME, and deliver Stripe's events signed."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.stripe_fake import WEBHOOK_SECRET, sign

WEBHOOK = "/api/v1/webhooks/stripe"


async def start_intent(client: httpx.AsyncClient, headers: dict[str, str], settlement_id) -> httpx.Response:
    return await client.post(f"/api/v1/settlements/{settlement_id}/payment-intents", headers=headers)


async def deliver(
    client: httpx.AsyncClient, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **sign_kw: Any
) -> httpx.Response:
    """POST a Stripe event to the webhook, signed as Stripe signs it."""
    payload = json.dumps(event).encode()
    return await client.post(
        WEBHOOK,
        content=payload,
        headers={"Stripe-Signature": sign(payload, secret, **sign_kw), "Content-Type": "application/json"},
    )


async def paid_by_card(
    client: httpx.AsyncClient, fake, headers: dict[str, str], settlement_id, *, fee: int = 0
) -> dict:
    """The SME pays the settlement's remainder by card and Stripe tells the marketplace."""
    intent = (await start_intent(client, headers, settlement_id)).json()
    answer = await deliver(client, fake.succeed(intent["payment_intent_id"], fee=fee))
    assert answer.status_code == 200, answer.text
    return intent
