"""Stripe behind one adapter: the only module that imports `stripe` (an import-linter contract).

Async calls through a `StripeClient` (httpx), `max_network_retries` explicit, pointed at
`TTM_STRIPE_API_BASE` when set (the tests' local fake). What leaves this module are plain frozen
dataclasses of the few fields the marketplace reads; Stripe objects never do. Amounts stay in
minor units; currencies come back upper-case.

Without `TTM_STRIPE_API_KEY` the service runs and every card call answers 503
`card-payments-not-configured`; without `TTM_STRIPE_WEBHOOK_SECRET` the webhook refuses events.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from services.errors import Conflict, DomainError, Unavailable
from services.settings import Settings

if TYPE_CHECKING:
    # Imported when first used (see StripeGateway.client): the SDK with the HTTP clients it brings
    # along (requests, and httpx's command line with rich and pygments) holds ~15 MB in every worker.
    import stripe

log = logging.getLogger(__name__)

NETWORK_RETRIES = 2
SIGNATURE_TOLERANCE_SECONDS = 300  # as Stripe's library: older signed payloads are refused


class CardPaymentsNotConfigured(Unavailable):
    title = "Card payments are not configured on this deployment; pay by bank transfer"
    slug = "card-payments-not-configured"


class StripeUnavailable(Unavailable):
    title = "The card processor did not answer; retry shortly"
    slug = "card-processor-unavailable"


class StripeRefused(Conflict):
    title = "The card processor refused the request"
    slug = "card-processor-refused"


class WebhookNotConfigured(DomainError):
    status = 400
    title = "Stripe webhooks are not configured on this deployment"
    slug = "stripe-webhook-not-configured"


class InvalidSignature(DomainError):
    status = 400
    title = "The Stripe-Signature header does not verify this payload"
    slug = "invalid-stripe-signature"


@dataclass(frozen=True)
class BalanceTransaction:
    id: str
    type: str  # charge, refund, adjustment (disputes), payout, stripe_fee, ...
    amount: int
    fee: int
    net: int
    currency: str
    source: str | None  # the charge, refund or dispute it belongs to
    payout: str | None
    created: int | None = None  # Unix time


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str
    charge: str | None
    balance_transaction: str | None


@dataclass(frozen=True)
class Charge:
    id: str
    amount: int
    currency: str
    payment_intent: str | None
    amount_refunded: int
    balance_transaction: BalanceTransaction | None
    refunds: tuple[Refund, ...] = ()


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str | None
    status: str
    amount: int
    currency: str
    metadata: dict[str, str]
    charge: Charge | None = None


@dataclass(frozen=True)
class Dispute:
    id: str
    charge: str
    amount: int
    currency: str
    status: str  # needs_response, under_review, won, lost, ...
    balance_transactions: tuple[BalanceTransaction, ...] = ()


@dataclass(frozen=True)
class Payout:
    id: str
    amount: int
    currency: str
    status: str
    arrival_date: int | None


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object_id: str | None
    payload: dict[str, Any] = field(repr=False)


def _plain(obj: Any) -> Any:
    """A Stripe object as plain dicts and lists (Stripe objects are not dicts any more)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else None


def _id(obj: Any) -> str | None:
    return obj if isinstance(obj, str) or obj is None else _get(obj, "id")


def _balance_transaction(obj: Any) -> BalanceTransaction | None:
    if obj is None or isinstance(obj, str):
        return None
    return BalanceTransaction(
        id=_get(obj, "id"),
        type=_get(obj, "type"),
        amount=int(_get(obj, "amount")),
        fee=int(_get(obj, "fee") or 0),
        net=int(_get(obj, "net")),
        currency=str(_get(obj, "currency")).upper(),
        source=_id(_get(obj, "source")),
        payout=_id(_get(obj, "payout")),
        created=_get(obj, "created"),
    )


def _refund(obj: Any) -> Refund:
    return Refund(
        id=_get(obj, "id"),
        amount=int(_get(obj, "amount")),
        currency=str(_get(obj, "currency")).upper(),
        status=_get(obj, "status"),
        charge=_id(_get(obj, "charge")),
        balance_transaction=_id(_get(obj, "balance_transaction")),
    )


def _charge(obj: Any) -> Charge | None:
    if obj is None or isinstance(obj, str):
        return None
    refunds = _get(_get(obj, "refunds"), "data") or []
    return Charge(
        id=_get(obj, "id"),
        amount=int(_get(obj, "amount")),
        currency=str(_get(obj, "currency")).upper(),
        payment_intent=_id(_get(obj, "payment_intent")),
        amount_refunded=int(_get(obj, "amount_refunded") or 0),
        balance_transaction=_balance_transaction(_get(obj, "balance_transaction")),
        refunds=tuple(_refund(r) for r in refunds),
    )


def _intent(obj: Any) -> Intent:
    metadata = _get(obj, "metadata") or {}
    return Intent(
        id=_get(obj, "id"),
        client_secret=_get(obj, "client_secret"),
        status=_get(obj, "status"),
        amount=int(_get(obj, "amount")),
        currency=str(_get(obj, "currency")).upper(),
        metadata={str(k): str(v) for k, v in dict(metadata).items()},
        charge=_charge(_get(obj, "latest_charge")),
    )


class StripeGateway:
    """The marketplace's few Stripe calls; one per process (app.state.stripe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.configured = bool(settings.stripe_api_key)
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        """The SDK's client, made (and the SDK imported) on the first call to Stripe."""
        if not self.configured:
            raise CardPaymentsNotConfigured()
        if self._client is None:
            import stripe

            base = {"api": self.settings.stripe_api_base} if self.settings.stripe_api_base else None
            self._client = stripe.StripeClient(
                self.settings.stripe_api_key or "",
                base_addresses=base,  # type: ignore[arg-type]  # stripe types a TypedDict; a dict with "api" is one
                http_client=stripe.HTTPXClient(),
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    async def _call(self, what: str, coro: Any) -> Any:
        import stripe

        try:
            return _plain(await coro)
        except stripe.APIConnectionError as exc:
            log.warning("stripe unreachable during %s: %s", what, exc)
            raise StripeUnavailable(f"{what}: {exc.user_message or 'no answer'}") from exc
        except stripe.RateLimitError as exc:
            raise StripeUnavailable(f"{what}: rate limited") from exc
        except stripe.StripeError as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                raise StripeUnavailable(f"{what}: {exc.user_message or 'server error'}") from exc
            raise StripeRefused(f"{what}: {exc.user_message or exc}", stripe_code=exc.code) from exc

    async def create_intent(
        self, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str, description: str
    ) -> Intent:
        """A PaymentIntent for `amount` (the same key returns the same intent, also after a crash)."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": metadata,
            "description": description[:1000],
            "automatic_payment_methods": {"enabled": True},
        }
        created = await self._call(
            "create payment intent",
            self.client.v1.payment_intents.create_async(params=params, options={"idempotency_key": idempotency_key}),  # type: ignore[arg-type]  # plain dicts for stripe's TypedDicts
        )
        return _intent(created)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        """The intent now, with its latest charge and that charge's balance transaction."""
        found = await self._call(
            "retrieve payment intent",
            self.client.v1.payment_intents.retrieve_async(
                intent_id, params={"expand": ["latest_charge.balance_transaction"]}
            ),
        )
        return _intent(found)

    async def cancel_intent(self, intent_id: str) -> Intent:
        cancelled = await self._call("cancel payment intent", self.client.v1.payment_intents.cancel_async(intent_id))
        return _intent(cancelled)

    async def retrieve_charge(self, charge_id: str) -> Charge:
        found = await self._call(
            "retrieve charge",
            self.client.v1.charges.retrieve_async(charge_id, params={"expand": ["balance_transaction", "refunds"]}),
        )
        charge = _charge(found)
        assert charge is not None
        return charge

    async def create_refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]
    ) -> Refund:
        created = await self._call(
            "create refund",
            self.client.v1.refunds.create_async(
                params={"charge": charge_id, "amount": amount, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            ),
        )
        return _refund(created)

    async def retrieve_dispute(self, dispute_id: str) -> Dispute:
        found = await self._call(
            "retrieve dispute",
            self.client.v1.disputes.retrieve_async(dispute_id, params={"expand": ["balance_transactions"]}),
        )
        return Dispute(
            id=_get(found, "id"),
            charge=_id(_get(found, "charge")) or "",
            amount=int(_get(found, "amount")),
            currency=str(_get(found, "currency")).upper(),
            status=_get(found, "status"),
            balance_transactions=tuple(
                bt for bt in (_balance_transaction(b) for b in _get(found, "balance_transactions") or []) if bt
            ),
        )

    async def retrieve_payout(self, payout_id: str) -> Payout:
        found = await self._call("retrieve payout", self.client.v1.payouts.retrieve_async(payout_id))
        return Payout(
            id=_get(found, "id"),
            amount=int(_get(found, "amount")),
            currency=str(_get(found, "currency")).upper(),
            status=_get(found, "status"),
            arrival_date=_get(found, "arrival_date"),
        )

    async def balance_transactions(self, **filters: Any) -> AsyncIterator[BalanceTransaction]:
        """Every balance transaction matching the filters (e.g. `payout=`, `created={"gte": ...}`),
        page after page."""
        params = {"limit": 100, **filters}
        while True:
            page = await self._call(
                "list balance transactions", self.client.v1.balance_transactions.list_async(params=cast(Any, params))
            )
            rows = _get(page, "data") or []
            for row in rows:
                bt = _balance_transaction(row)
                if bt is not None:
                    yield bt
            if not _get(page, "has_more") or not rows:
                return
            params["starting_after"] = _get(rows[-1], "id")

    async def payouts(self, **filters: Any) -> AsyncIterator[Payout]:
        """Every payout matching the filters, page after page."""
        params = {"limit": 100, **filters}
        while True:
            page = await self._call("list payouts", self.client.v1.payouts.list_async(params=cast(Any, params)))
            rows = _get(page, "data") or []
            for row in rows:
                yield Payout(
                    id=_get(row, "id"),
                    amount=int(_get(row, "amount")),
                    currency=str(_get(row, "currency")).upper(),
                    status=_get(row, "status"),
                    arrival_date=_get(row, "arrival_date"),
                )
            if not _get(page, "has_more") or not rows:
                return
            params["starting_after"] = _get(rows[-1], "id")

    def parse_event(self, payload: bytes, signature: str | None) -> Event:
        """A webhook event whose signature verifies (HMAC-SHA256 of `t.payload` with the endpoint
        secret, within 300 s), else 400; an unset secret refuses every event."""
        secret = self.settings.stripe_webhook_secret
        if not secret:
            raise WebhookNotConfigured()
        if not signature:
            raise InvalidSignature("the Stripe-Signature header is missing")
        import stripe

        try:
            event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(str(exc.user_message or exc)) from exc
        except ValueError as exc:
            raise InvalidSignature("the payload is not a Stripe event") from exc
        raw = event.to_dict()
        obj = (raw.get("data") or {}).get("object") or {}
        return Event(id=raw["id"], type=raw["type"], object_id=obj.get("id"), payload=raw)
