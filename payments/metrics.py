"""What a payment's transition adds to the Prometheus counters (core.metrics).

Called by `payment_transition`, the one path of every state change, so no outcome can be
missed or counted twice; counted on commit.
"""

from core import metrics
from payments.models import PaymentTransaction, State

# The attempt's end, seen from the state the payment entered.
_OUTCOMES = {State.AUTHORIZED: "authorized", State.COMPLETED: "succeeded", State.FAILED: "failed"}
_ATTEMPTING = (State.PROCESSING, State.REQUIRES_ACTION)


def payment_transition_count(payment: PaymentTransaction, *, name: str, from_state: str) -> None:
    to_state = payment.state
    if from_state in _ATTEMPTING and to_state in _OUTCOMES:
        error = (payment.last_error or {}) if to_state == State.FAILED else {}
        decline = error.get("decline_code") or error.get("code") or ""
        metrics.count(metrics.PAYMENTS, outcome=_OUTCOMES[to_state], decline_code=decline)
    elif from_state == State.REQUIRES_ACTION and to_state == State.EXPIRED:
        metrics.count(metrics.PAYMENTS, outcome="expired", decline_code="authentication_timeout")
    if to_state == State.REQUIRES_ACTION and from_state != State.REQUIRES_ACTION:
        metrics.count(metrics.THREE_DS, result="challenged")
    elif from_state == State.REQUIRES_ACTION:
        metrics.count(metrics.THREE_DS, result="passed" if name == "resume" else "failed")
