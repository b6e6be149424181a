"""Capturing, voiding and cancelling: the same claim → call → record as confirm.

A capture or void is claimed on the payment row (`pending_operation` and its key) before
the gateway is called; a repeated request, or the janitor, reuses that key.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition
from core.ids import random_token
from fraud.exceptions import ReviewPending
from fraud.selectors import review_is_open
from merchants.audit.services import audit_record
from payments.exceptions import GatewayUnavailable, OperationInProgress
from payments.gateways import base, gateway_named
from payments.locks import lock_payment, lock_payment_by_pk
from payments.models import PaymentTransaction, State
from payments.selectors import payment_queryset
from payments.services.confirm import call_is_stale
from payments.services.log import payment_log, payment_transition
from payments.services.outcomes import attempts_cancel_open, operation_clear
from payments.services.refunds import (
    payment_gateway_refund,
    payment_refund_check,
    payment_refund_record,
    payment_refundable_amount,
)

logger = logging.getLogger(__name__)

CAPTURE = "capture"
VOID = "void"
REFUND = "refund"


@dataclass(frozen=True)
class _Operation:
    payment_pk: int
    kind: str
    key: str
    amount: int | None
    reference: str
    gateway: str


def _gateway_reference(payment: PaymentTransaction) -> str:
    attempt = payment.attempts.exclude(gateway_reference="").order_by("-number").first()
    return attempt.gateway_reference if attempt else ""


def operation_claim(payment: PaymentTransaction, kind: str, amount: int | None, *, actor: str) -> _Operation:
    """The caller holds the payment's lock in an open transaction."""
    if payment.pending_operation:
        resumable = payment.pending_operation_at is None or call_is_stale(payment.pending_operation_at)
        if payment.pending_operation != kind or payment.pending_operation_amount != amount or not resumable:
            raise OperationInProgress()
        payment_log(payment, type=f"{kind}.reclaimed", actor=actor)
    else:
        payment.pending_operation = kind
        payment.pending_operation_key = f"{payment.public_id}:{kind}:{random_token(12)}"
        payment.pending_operation_amount = amount
        payment_log(payment, type=f"{kind}.claimed", actor=actor, data={"amount": amount})
    payment.pending_operation_at = timezone.now()
    payment.save()
    return _Operation(
        payment_pk=payment.pk,
        kind=kind,
        key=payment.pending_operation_key,
        amount=amount,
        reference=_gateway_reference(payment),
        gateway=payment.gateway,
    )


def operation_run(operation: _Operation, *, actor: str) -> PaymentTransaction:
    gateway = gateway_named(operation.gateway)
    try:
        if operation.kind == CAPTURE:
            result = gateway.capture(
                reference=operation.reference, amount=operation.amount, idempotency_key=operation.key
            )
        elif operation.kind == REFUND:
            result = payment_gateway_refund(
                payment_pk=operation.payment_pk, amount=operation.amount, idempotency_key=operation.key
            )
        else:
            result = gateway.void(reference=operation.reference, idempotency_key=operation.key)
    except GatewayUnavailable as exc:
        with transaction.atomic(durable=True):
            payment = lock_payment_by_pk(operation.payment_pk)
            if payment.pending_operation_key == operation.key:
                # No answer: free it for an immediate retry, which reuses the key.
                payment.pending_operation_at = None
                payment.save()
            payment_log(payment, type=f"gateway.{operation.kind}", actor=actor, data={"status": "no_answer"})
        raise exc
    except DomainError as exc:
        with transaction.atomic(durable=True):
            payment = lock_payment_by_pk(operation.payment_pk)
            if payment.pending_operation_key == operation.key:
                operation_clear(payment)
                payment.save()
            payment_log(
                payment, type=f"gateway.{operation.kind}", actor=actor, data={"status": "refused", "code": exc.code}
            )
        raise
    return _record(operation, result, actor=actor)


def _record(operation: _Operation, result: base.GatewayResult, *, actor: str) -> PaymentTransaction:
    with transaction.atomic(durable=True):
        payment = lock_payment_by_pk(operation.payment_pk)
        payment_log(
            payment,
            type=f"gateway.{operation.kind}",
            actor=actor,
            data={"status": result.status, "amount": result.amount, "reference": result.reference},
        )
        mine = payment.pending_operation_key == operation.key
        # A refund the gateway answered `pending` keeps its claim (nothing else may move
        # the money meanwhile) until the gateway's refund event settles it.
        refund_pending = mine and operation.kind == REFUND and result.status == base.PROCESSING
        if mine and not refund_pending:
            operation_clear(payment)
        now = timezone.now()
        if payment.state == State.AUTHORIZED and operation.kind == CAPTURE and result.status == base.SUCCEEDED:
            payment_transition(payment, "capture", actor=actor, amount=result.amount or operation.amount, at=now)
        elif payment.state == State.AUTHORIZED and operation.kind == VOID and result.status == base.CANCELED:
            payment_transition(payment, "void", actor=actor, reason="Voided on request.")
        elif refund_pending:
            payment_log(
                payment,
                type="refund.pending",
                actor=actor,
                data={"gateway_reference": result.reference, "amount": operation.amount, "key": operation.key},
            )
            payment.save()
        elif mine and operation.kind == REFUND and result.status == base.SUCCEEDED:
            # Only the run that still holds the key records the refund: a second run that
            # repeated the call under the same key must not add the amount twice.
            payment_refund_record(
                payment,
                refund_id=operation.key,
                amount=operation.amount,
                gateway_reference=result.reference,
                actor=actor,
            )
        elif mine:
            # A webhook already moved it, or the gateway said something unexpected: keep
            # the state, keep the record.
            payment.save()
    return payment_queryset().get(pk=operation.payment_pk)


def payment_intent_capture(
    *, merchant_id: int, payment_intent_id: str, amount: int | None = None, actor: str
) -> PaymentTransaction:
    """Captures an AUTHORIZED intent, all of it or `amount` of it (the rest is released).

    Locks the payment to claim, calls the gateway with no lock held, locks to record.
    Raises InvalidStateTransition (409) unless AUTHORIZED, DomainError (400) for an amount
    above what is capturable, OperationInProgress (409) while another capture or void runs,
    GatewayUnavailable (502/503): retrying reuses the claimed key.
    """
    with transaction.atomic(durable=True):
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        if payment.state != State.AUTHORIZED:
            raise InvalidStateTransition(
                f"Only an authorized payment intent can be captured; this one is {payment.state}.",
                explain=f"capture needs 'authorized', not '{payment.state}'",
            )
        if review_is_open(merchant_id=merchant_id, payment_intent_id=payment.public_id):
            raise ReviewPending("This payment is held for a fraud review; approve the review to capture it.")
        amount = payment.amount_capturable if amount is None else amount
        if not 0 < amount <= payment.amount_capturable:
            raise DomainError(
                f"amount must be between 1 and {payment.amount_capturable}.", code="amount_too_large", param="amount"
            )
        operation = operation_claim(payment, CAPTURE, amount, actor=actor)
    return operation_run(operation, actor=actor)


def payment_intent_cancel(*, merchant_id: int, payment_intent_id: str, actor: str, reason: str = ""):
    """Cancels a PENDING (or FAILED) intent, or voids an AUTHORIZED one at the gateway.

    Locks the payment. Raises InvalidStateTransition (409) for an intent being paid or
    already closed, and for a void: OperationInProgress / GatewayUnavailable like capture.
    """
    reason = reason or "Canceled on request."
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        if payment.state == State.FAILED:
            # Nothing is held at the gateway after a failure: reopen, then close.
            payment_transition(payment, "retry", actor=actor, data={"reason": "cancel"})
        if payment.state == State.PENDING:
            payment_transition(payment, "cancel", actor=actor, reason=reason)
            return payment
        if payment.state != State.AUTHORIZED:
            raise InvalidStateTransition(
                f"A {payment.state} payment intent cannot be canceled.",
                explain=f"cancel needs 'pending', 'failed' or 'authorized', not '{payment.state}'",
            )
        operation = operation_claim(payment, VOID, None, actor=actor)
    return operation_run(operation, actor=actor)


def payment_intent_refund(
    *, merchant_id: int, payment_intent_id: str, actor: str, amount: int | None = None
) -> PaymentTransaction:
    """Gives captured money straight back, with no refund request: for an app above
    payments compensating a sale it could not complete (checkout failing to finalize a
    paid session). All that is left to refund, or `amount` of it.

    Claim → call → record like capture, the key kept on the payment. Raises
    PaymentNotCaptured / PaymentDisputed (409) per payment_refund_check, DomainError
    (400) for more than is refundable, OperationInProgress (409) while another operation
    runs, GatewayUnavailable (502/503): retrying reuses the claimed key.
    """
    with transaction.atomic(durable=True):
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        payment_refund_check(payment)
        refundable = payment_refundable_amount(payment)
        amount = refundable if amount is None else amount
        if not 0 < amount <= refundable:
            raise DomainError(
                f"amount must be between 1 and {max(refundable, 0)}.", code="amount_too_large", param="amount"
            )
        operation = operation_claim(payment, REFUND, amount, actor=actor)
    return operation_run(operation, actor=actor)


def payment_intent_lock(*, merchant_id: int, payment_intent_id: str) -> PaymentTransaction:
    """Locks the payment in the caller's open transaction, for an app above payments that
    decides on the payment's state and needs it to stay put until it commits (checkout
    turning a paid session into an order). The caller takes its own locks first, in the
    house order session → order → payment. Raises NotFound (404)."""
    return lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)


def payment_release(*, payment_pk: int, actor: str) -> bool:
    """Voids at the gateway what an expired intent still holds there (retried by the
    janitor until it works). Returns whether nothing is left to release."""
    payment = payment_queryset().get(pk=payment_pk)
    if not payment.release_pending:
        return True
    reference = _gateway_reference(payment)
    result_data = {"status": "nothing_held"}
    if reference:
        try:
            result = gateway_named(payment.gateway).void(
                reference=reference, idempotency_key=f"{payment.public_id}:release"
            )
            result_data = {"status": result.status}
        except GatewayUnavailable:
            logger.warning("could not release %s at the gateway yet", payment.public_id)
            return False
        except DomainError as exc:
            # Already settled or canceled there: nothing of ours is held any more.
            result_data = {"status": "refused", "code": exc.code}
    with transaction.atomic(durable=True):
        payment = lock_payment_by_pk(payment_pk)
        payment.release_pending = False
        payment.save()
        payment_log(payment, type="gateway.release", actor=actor, data=result_data)
        attempts_cancel_open(payment, at=timezone.now())
    return True


def payment_support_note_add(*, merchant_id: int, payment_intent_id: str, note: str, author: str, actor: str):
    """A note for support teams on the payment's timeline and in the audit trail, in the
    shape the session's support notes have ({"note", "author"}). Any state: a refunded
    payment may need a note too. Locks the payment; raises NotFound (404)."""
    data = {"note": note, "author": author}
    with transaction.atomic(durable=True):
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        event = payment_log(payment, type="support_note", actor=actor, data=data)
        audit_record(
            merchant_id=merchant_id, object_type="payment_intent", object_id=payment.public_id,
            action="support_note", actor=actor, data=data,
        )  # fmt: skip
    return event
