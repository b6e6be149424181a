"""Every write to payments, one module per area; the main entry points are re-exported."""

from payments.selectors import payment_review_open
from payments.services.confirm import payment_intent_authentication_complete, payment_intent_confirm, payment_sync
from payments.services.intents import payment_intent_attach_method, payment_intent_create, payment_intent_resize
from payments.services.methods import (
    card_setup_create,
    card_setup_method,
    payment_action_client_secret,
    payment_method_import,
    payment_method_tokenize,
)
from payments.services.operations import (
    payment_intent_cancel,
    payment_intent_capture,
    payment_intent_lock,
    payment_intent_refund,
)

__all__ = [
    "payment_intent_attach_method",
    "payment_intent_authentication_complete",
    "payment_intent_cancel",
    "payment_intent_capture",
    "payment_intent_confirm",
    "payment_intent_create",
    "payment_intent_lock",
    "payment_intent_refund",
    "payment_intent_resize",
    "card_setup_create",
    "card_setup_method",
    "payment_action_client_secret",
    "payment_method_import",
    "payment_method_tokenize",
    "payment_review_open",
    "payment_sync",
]
