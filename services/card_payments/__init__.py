"""Card payments with Stripe (issue 14; docs/card_payments.md): PaymentIntents for what a settlement
still owes (`intents`), the webhook (`events`), card money as Stripe reports it (`charges`:
payments, fees, refunds, disputes, payouts), and refunds finance asks for (`refunds`)."""

from services.card_payments import charges, events, intents, refunds
from services.card_payments.intents import StartedIntent, cancel_at_stripe, remainder_changed, start

__all__ = ["StartedIntent", "cancel_at_stripe", "charges", "events", "intents", "refunds", "remainder_changed", "start"]
