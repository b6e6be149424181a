"""How payments tells the apps above it what happened, without importing them.

An app that cares (checkout) registers a listener in its AppConfig.ready(). Listeners run
after the payment's transaction commits (`transaction.on_commit`), outside it, so they
take their own locks in their own transaction and never hold the payment row while they
do. They must be idempotent: the same notice may come again (a retried webhook, a sync
from the gateway). An exception in a listener is logged and does not undo the payment.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)

REQUIRES_ACTION = "requires_action"
AUTHORIZED = "authorized"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"


@dataclass(frozen=True)
class PaymentNotice:
    type: str
    merchant_id: int
    payment_intent_id: str
    reference: str
    amount: int
    currency: str
    state: str
    # The payment's version after the change: one notice per transition, for dedupe.
    version: int = 0
    # For `failed`: whether another attempt is still allowed.
    retryable: bool = False
    reason: str = ""


_listeners = []


def register_payment_listener(listener):
    """`listener(notice: PaymentNotice)` runs after each notable payment change commits."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_payment_listener(listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _deliver(listener, notice):
    try:
        listener(notice)
    except Exception:
        logger.exception("payment listener %r failed for %s %s", listener, notice.type, notice.payment_intent_id)


def payment_listeners_notify(notice: PaymentNotice) -> None:
    """Called inside the payment's transaction; delivery waits for the commit."""
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: _deliver(listener, notice))
