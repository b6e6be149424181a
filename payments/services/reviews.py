"""A payment held for a fraud review: the reviewer's decision moves the money.

Post-authorization manual review (as Hyperswitch does it): the held authorization is
captured when the review is approved (automatic capture; a manual-capture merchant
captures it itself), voided when it is refused. Fraud calls in through the decider
registered in PaymentsConfig.ready(), so fraud never imports payments.
"""

from django.db import transaction

from core.exceptions import Conflict
from fraud.selectors import assessment_get, review_is_open
from fraud.services import review_close
from payments.locks import lock_payment
from payments.models import PaymentTransaction, State
from payments.services.operations import CAPTURE, VOID, operation_claim, operation_run


def payment_review_decide(*, merchant_id: int, assessment_id: str, approve: bool, actor: str, reason: str = ""):
    """Closes the review of a payment and captures (approved) or voids (refused) it.

    Locks the payment, then the assessment (the confirm's order), closes the review and
    claims the capture or void in one transaction; the gateway is called after it
    commits, under the claimed key (a retry or the janitor reuses it). A payment still
    being authorized (3-D Secure) is refused 409 payment_in_progress; one that failed or
    was canceled meanwhile just has its review closed.
    Raises NotFound (404), InvalidStateTransition (409) for a closed review,
    OperationInProgress (409), GatewayUnavailable (502/503: the janitor finishes it).
    """
    assessment = assessment_get(merchant_id=merchant_id, assessment_id=assessment_id)
    operation = None
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=assessment.payment_intent_id)
        if payment.state in (State.PROCESSING, State.REQUIRES_ACTION):
            # The authorization is not known yet (3-D Secure, a call under way): deciding now
            # would leave it for no one to capture or void when it lands.
            raise Conflict(
                "The payment is still being authorized; decide the review once it is.",
                code="payment_in_progress",
                explain=f"payment intent {payment.public_id} is {payment.state}",
            )
        was_open = review_is_open(merchant_id=merchant_id, payment_intent_id=payment.public_id)
        review_close(merchant_id=merchant_id, assessment_id=assessment_id, approve=approve, actor=actor, reason=reason)
        if was_open and payment.state == State.AUTHORIZED:
            if not approve:
                operation = operation_claim(payment, VOID, None, actor=actor)
            elif payment.capture_mode == PaymentTransaction.CaptureMode.AUTOMATIC:
                operation = operation_claim(payment, CAPTURE, payment.amount_capturable, actor=actor)
    if operation is not None:
        operation_run(operation, actor=actor)
    return assessment


def payment_fraud_void(*, merchant_id: int, payment_intent_id: str, actor: str) -> bool:
    """A fraud provider blocked a payment after it was allowed: void it if it is still
    only authorized (returns True), else leave it (a captured one is refunded by a person)."""
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        if payment.state != State.AUTHORIZED or payment.pending_operation:
            return False
        operation = operation_claim(payment, VOID, None, actor=actor)
    operation_run(operation, actor=actor)
    return True
