"""A local stand-in for the few Stripe endpoints the marketplace calls, for the real `stripe` library
(pointed at it with `TTM_STRIPE_API_BASE`). It keeps Stripe's idempotency behaviour (the same key and
parameters return the first answer; the same key with other parameters is a 400
`idempotency_error`), expands what is asked for, and lets a test act as the card holder and as
Stripe: succeed or fail an intent, refund from the dashboard, open and close a dispute, pay out.
Each of those returns the event Stripe would send, for `sign` and the webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"
WEBHOOK_SECRET = "whsec_test_marketplace"  # the tests' webhook endpoint secret
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):08d}"


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload` (HMAC-SHA256 of "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[k]=v`, `expand[]=x`, `a[b][c]=v`) back into dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                if part == "":
                    node.append(value)
                elif isinstance(node, dict) and part in node and isinstance(node[part], list):
                    node[part].append(value)
                else:
                    node[part] = value
            else:
                nxt = parts[i + 1]
                default: Any = [] if nxt == "" else {}
                node = node.setdefault(part, default)
    return _lists(out)


def _lists(node: Any) -> Any:
    """`expand[0]=a&expand[1]=b` nests as {"0": a, "1": b}: make such dicts lists, in index order."""
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class FakeStripe:
    """The state of the fake account, and the test-side verbs that change it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.balance: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.payouts: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) in order, for tests to count
        self.down = False  # answer 503 to everything (the processor is unreachable)
        self.page_limit: int | None = None  # serve lists in pages this small (to prove paging)

    # What the API serves.

    def _bt(self, kind: str, amount: int, fee: int, currency: str, source: str) -> dict[str, Any]:
        bt = {
            "id": new_id("txn"),
            "object": "balance_transaction",
            "type": kind,
            "amount": amount,
            "fee": fee,
            "net": amount - fee,
            "currency": currency,
            "source": source,
            "payout": None,
            "created": int(time.time()),
        }
        self.balance[bt["id"]] = bt
        return bt

    def _charge_view(self, charge: dict[str, Any], expand: set[str], prefix: str = "") -> dict[str, Any]:
        out = dict(charge)
        if f"{prefix}balance_transaction" in expand and charge["balance_transaction"]:
            out["balance_transaction"] = self.balance[charge["balance_transaction"]]
        refunds = [r for r in self.refunds.values() if r["charge"] == charge["id"]]
        out["refunds"] = {"object": "list", "data": refunds, "has_more": False}
        return out

    def _intent_view(self, intent: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        out = dict(intent)
        if intent["latest_charge"] and any(e.startswith("latest_charge") for e in expand):
            out["latest_charge"] = self._charge_view(self.charges[intent["latest_charge"]], expand, "latest_charge.")
        return out

    def handle(self, method: str, path: str, params: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path))
        if self.down:
            return 503, {"error": {"type": "api_error", "message": "unavailable"}}
        if method == "POST" and key is not None:
            signature = json.dumps([path, params], sort_keys=True)
            seen = self.idempotency.get(key)
            if seen is not None:
                if seen[0] != signature:
                    return 400, {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the same parameters",
                        }
                    }
                return seen[1], seen[2]
            status, body = self._route(method, path, params)
            self.idempotency[key] = (signature, status, body)
            return status, body
        return self._route(method, path, params)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        expand = set(params.get("expand", []))
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        missing = (404, {"error": {"type": "invalid_request_error", "message": f"No such object: {path}"}})
        if parts == ["payment_intents"] and method == "POST":
            intent_id = new_id("pi")
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "currency": params["currency"],
                "metadata": params.get("metadata", {}),
                "description": params.get("description"),
                "status": "requires_payment_method",
                "client_secret": f"{intent_id}_secret_{new_id('s')}",
                "latest_charge": None,
                "created": int(time.time()),
            }
            self.intents[intent_id] = intent
            return 200, intent
        if len(parts) >= 2 and parts[0] == "payment_intents":
            intent = self.intents.get(parts[1])
            if intent is None:
                return missing
            if len(parts) == 3 and parts[2] == "cancel":
                if intent["status"] == "succeeded":
                    return 400, {"error": {"type": "invalid_request_error", "message": "already succeeded"}}
                intent["status"] = "canceled"
            return 200, self._intent_view(intent, expand)
        if len(parts) == 2 and parts[0] == "charges":
            charge = self.charges.get(parts[1])
            return (200, self._charge_view(charge, expand)) if charge else missing
        if parts == ["refunds"] and method == "POST":
            return self._refund(params.get("charge") or "", int(params["amount"]), params.get("metadata", {}))
        if len(parts) == 2 and parts[0] == "refunds":
            refund = self.refunds.get(parts[1])
            return (200, refund) if refund else missing
        if len(parts) == 2 and parts[0] == "disputes":
            dispute = self.disputes.get(parts[1])
            if dispute is None:
                return missing
            out = dict(dispute)
            out["balance_transactions"] = [self.balance[b] for b in dispute["balance_transactions"]]
            return 200, out
        if parts == ["balance_transactions"]:
            rows = sorted(self.balance.values(), key=lambda b: b["id"])
            if "payout" in params:
                rows = [b for b in rows if b["payout"] == params["payout"]]
            return 200, self._page(rows, params)
        if len(parts) == 2 and parts[0] == "balance_transactions":
            bt = self.balance.get(parts[1])
            return (200, bt) if bt else missing
        if parts == ["payouts"]:
            return 200, self._page(sorted(self.payouts.values(), key=lambda p: p["id"]), params)
        if len(parts) == 2 and parts[0] == "payouts":
            payout = self.payouts.get(parts[1])
            return (200, payout) if payout else missing
        return missing

    def _page(self, rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        limit = min(int(params.get("limit", 10)), self.page_limit or 100)
        created = params.get("created")
        if isinstance(created, dict) and "gte" in created:
            rows = [r for r in rows if r.get("created", 0) >= int(created["gte"])]
        after = params.get("starting_after")
        if after:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(after) + 1 :] if after in ids else []
        return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit}

    def _refund(self, charge_id: str, amount: int, metadata: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        charge = self.charges.get(charge_id)
        if charge is None:
            return 404, {"error": {"type": "invalid_request_error", "message": f"No such charge: {charge_id}"}}
        if amount > charge["amount"] - charge["amount_refunded"]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "amount_too_large",
                    "message": "Refund amount is greater than the unrefunded amount",
                }
            }
        refund_id = new_id("re")
        bt = self._bt("refund", -amount, 0, charge["currency"], refund_id)
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge_id,
            "payment_intent": charge["payment_intent"],
            "status": "succeeded",
            "metadata": metadata,
            "balance_transaction": bt["id"],
        }
        self.refunds[refund_id] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return 200, refund

    # What a test does as the card holder, or as Stripe.

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "livemode": False,
            "type": kind,
            "data": {"object": obj},
        }

    def succeed(self, intent_id: str, *, fee: int = 0, amount: int | None = None) -> dict[str, Any]:
        """The card holder pays (`amount` to simulate a charge that disagrees with the intent)."""
        with self.lock:
            intent = self.intents[intent_id]
            charge_id = new_id("ch")
            charged = intent["amount"] if amount is None else amount
            bt = self._bt("charge", charged, fee, intent["currency"], charge_id)
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": charged,
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "amount_refunded": 0,
                "refunded": False,
                "balance_transaction": bt["id"],
                "metadata": intent["metadata"],
            }
            intent["status"], intent["latest_charge"] = "succeeded", charge_id
            intent["amount_received"] = charged
            return self.event("payment_intent.succeeded", dict(intent))

    def fail(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        intent["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}
        return self.event("payment_intent.payment_failed", dict(intent))

    def refund_from_dashboard(self, charge_id: str, amount: int) -> dict[str, Any]:
        with self.lock:
            status, refund = self._refund(charge_id, amount, {})
            assert status == 200, refund
            return self.event("charge.refunded", self._charge_view(self.charges[charge_id], set()))

    def dispute(self, charge_id: str, *, fee: int = 1500) -> dict[str, Any]:
        with self.lock:
            charge = self.charges[charge_id]
            dispute_id = new_id("dp")
            bt = self._bt("adjustment", -charge["amount"], fee, charge["currency"], dispute_id)
            self.disputes[dispute_id] = {
                "id": dispute_id,
                "object": "dispute",
                "charge": charge_id,
                "payment_intent": charge["payment_intent"],
                "amount": charge["amount"],
                "currency": charge["currency"],
                "status": "needs_response",
                "balance_transactions": [bt["id"]],
            }
            return self.event("charge.dispute.created", dict(self.disputes[dispute_id], balance_transactions=[]))

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        with self.lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = "won" if won else "lost"
            if won:
                bt = self._bt("adjustment", dispute["amount"], 0, dispute["currency"], dispute_id)
                dispute["balance_transactions"].append(bt["id"])
            return self.event("charge.dispute.closed", dict(dispute, balance_transactions=[]))

    def payout(self, currency: str = "cny") -> dict[str, Any]:
        """Pay out everything not paid out yet in `currency`."""
        with self.lock:
            pending = [b for b in self.balance.values() if b["payout"] is None and b["currency"] == currency]
            payout_id = new_id("po")
            amount = sum(b["net"] for b in pending)
            for b in pending:
                b["payout"] = payout_id
            bt = self._bt("payout", -amount, 0, currency, payout_id)
            bt["payout"] = payout_id
            self.payouts[payout_id] = {
                "id": payout_id,
                "object": "payout",
                "amount": amount,
                "currency": currency,
                "status": "paid",
                "arrival_date": int(time.time()),
                "created": int(time.time()),
                "balance_transaction": bt["id"],
            }
            return self.event("payout.paid", dict(self.payouts[payout_id]))

    def fail_payout(self, payout_id: str) -> dict[str, Any]:
        with self.lock:
            payout = self.payouts[payout_id]
            payout["status"] = "failed"
            back = self._bt("payout_failure", payout["amount"], 0, payout["currency"], payout_id)
            back["payout"] = payout_id
            return self.event("payout.failed", dict(payout))


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            pairs = parse_qsl(url.query, keep_blank_values=True)
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                pairs += parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
            with fake.lock:
                status, body = fake.handle(method, url.path, _nest(pairs), self.headers.get("Idempotency-Key"))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", new_id("req"))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve() -> Iterator[tuple[FakeStripe, str]]:
    """The fake on 127.0.0.1 (a free port), and its base URL, for the length of the block."""
    fake = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
