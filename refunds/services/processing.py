"""Sending an approved refund to the gateway: claim → call → record.

The claim (payment then refund locked) moves the refund to PROCESSING with its outgoing
idempotency key already stored and marks the call in flight; the gateway is called with
no transaction open; the answer is recorded under the locks again, with the state and the
key re-checked, so a late or repeated answer changes nothing. No answer leaves the
refund PROCESSING with the same key for the task's next try; a refusal fails it.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import DomainError
from payments import hooks
from payments.exceptions import GatewayUnavailable
from payments.gateways import base
from payments.services.confirm import call_is_stale
from payments.services.log import payment_log
from payments.services.refunds import (
    payment_gateway_refund,
    payment_refund_check,
    payment_refund_claimed,
    payment_refund_failed,
    payment_refund_record,
)
from payments.wallet.refunds import split_refund_settle
from payments.wallet.services import store_credit_grant
from payments.wallet.split import payment_refund_status
from refunds.exceptions import RefundCallInFlight
from refunds.locks import lock_refund_and_payment
from refunds.models import RefundRequest
from refunds.selectors import refund_queryset
from refunds.services.log import refund_emit, refund_log, refund_snapshot, refund_transition, refund_transition_check
from refunds.services.queue import queue_processing, queue_receipt
from refunds.services.requests import refund_room_check
from refunds.services.review import reviewer_check, staff_actor

logger = logging.getLogger(__name__)
State = RefundRequest.State
SYSTEM_ACTOR = "system:refunds"
# Longer than the task's longest wait between tries: older work has no task coming.
SWEEP_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class _Claim:
    refund_pk: int
    payment_pk: int
    refund_id: str
    amount: int
    key: str


def fail_locked(refund, payment, *, code: str, message: str, definite: bool, actor: str, user=None) -> None:
    """PROCESSING → FAILED in the caller's transaction (payment and refund locked)."""
    refund_transition(
        refund, "fail", actor=actor, user=user, error={"code": code, "message": message}, outcome_unknown=not definite
    )
    payment_refund_failed(payment, refund_id=refund.public_id, code=code, definite=definite, actor=actor)


def _claim(refund_pk: int, *, actor: str) -> _Claim | None:
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        if refund.state == State.APPROVED:
            refund_transition(refund, "start_processing", actor=actor)
            try:
                # A fresh key has never reached the gateway: a chargeback or dispute since
                # the approval can still stop it here.
                payment_refund_check(payment)
                refund_room_check(payment, refund.amount, exclude_pk=refund.pk)
            except DomainError as exc:
                fail_locked(refund, payment, code=exc.code, message=exc.message, definite=True, actor=actor)
                return None
            if refund.by_transfer:
                _await_transfer(refund, payment, actor=actor)
                return None
        elif refund.transfer_to_send:
            return None  # finance sends the transfer and marks it sent (refund_transfer_mark_sent)
        elif refund.state == State.PROCESSING:
            if refund.call_started_at is not None and not call_is_stale(refund.call_started_at):
                raise RefundCallInFlight()
        else:
            return None
        refund.call_started_at = timezone.now()
        refund.call_count += 1
        refund.save()
        refund_log(
            refund,
            type="gateway.claimed",
            actor=actor,
            data={"key": refund.gateway_idempotency_key, "call": refund.call_count},
        )
        amount = gateway_amount(refund)
        if amount:
            payment_refund_claimed(
                payment, refund_id=refund.public_id, amount=amount, key=refund.gateway_idempotency_key, actor=actor
            )
        return _Claim(refund.pk, payment.pk, refund.public_id, amount, refund.gateway_idempotency_key)


def _await_transfer(refund: RefundRequest, payment, *, actor: str) -> None:
    """No gateway holds a bank transfer's money: the refund stays PROCESSING, its amount
    reserved, until finance has sent the transfer to the payer's account and says so."""
    data = {"amount": refund.card_amount, "iban_last4": refund.transfer_iban[-4:], "reference": refund.public_id}
    refund_log(refund, type="transfer.awaited", actor=actor, data=data)
    payment_log(payment, type="refund.transfer_awaited", actor=actor, data={"refund": refund.public_id, **data})


def gateway_amount(refund: RefundRequest) -> int:
    """What the gateway is asked to give back: the card's share, unless the refund goes to
    store credit (then no one outside is called)."""
    return 0 if refund.refund_to == RefundRequest.Destination.STORE_CREDIT else refund.card_amount


def _current(claim: _Claim, *, actor: str):
    """(payment, refund) locked, or None when the answer is no longer this claim's."""
    payment, refund = lock_refund_and_payment(refund_pk=claim.refund_pk)
    refund.payment = payment
    if refund.state != State.PROCESSING or refund.gateway_idempotency_key != claim.key:
        refund_log(refund, type="gateway.answer_ignored", actor=actor, data={"key": claim.key, "state": refund.state})
        return None
    return payment, refund


def _record_success(claim: _Claim, result: base.GatewayResult, *, actor: str) -> None:
    with transaction.atomic(durable=True):
        current = _current(claim, actor=actor)
        if current is None:
            return
        payment, refund = current
        data = {"status": result.status, "reference": result.reference, "amount": result.amount, "key": claim.key}
        refund_log(refund, type="gateway.refund", actor=actor, data=data)
        complete_locked(refund, payment, gateway_reference=result.reference, actor=actor)


def complete_locked(
    refund: RefundRequest, payment, *, gateway_reference: str, actor: str, sent_by=None, data=None
) -> None:
    """PROCESSING → COMPLETED with every share landed, in the caller's transaction (the
    payment and refund locked): the card's share on the payment, a split's gift card and
    store credit shares back in their ledgers, or everything on the customer's store
    credit. Then the shopper's receipt is queued. refund.completed is emitted once every
    share landed, with where the payment as a whole stands (`payment_status`: a split's
    card refunded whole while a gift card part keeps money is partially_refunded). A bank
    transfer's refund completes by finance's mark (`sent_by`, the bank's reference as
    `gateway_reference`), any other by the gateway's answer."""
    before = refund_snapshot(refund)
    now = timezone.now()
    if refund.by_transfer:
        refund_transition(
            refund, "mark_transfer_sent", actor=actor, user=sent_by, data=data,
            sent_by=sent_by, at=now, bank_reference=gateway_reference, announce=False,
        )  # fmt: skip
    else:
        refund_transition(
            refund, "complete", actor=actor, gateway_reference=gateway_reference, at=now, announce=False
        )
    to_store_credit = refund.refund_to == RefundRequest.Destination.STORE_CREDIT
    if to_store_credit:
        # No money left the processor: the charge keeps what it captured (and the cash
        # ledger is untouched); the card's share stays reserved by this refund for good.
        payment_log(
            payment,
            type="refund.store_credit",
            actor=actor,
            data={"refund": refund.public_id, "amount": refund.amount, "card_amount": refund.card_amount},
        )
    elif refund.card_amount:
        payment_refund_record(
            payment,
            refund_id=refund.public_id,
            amount=refund.card_amount,
            gateway_reference=gateway_reference,
            actor=actor,
        )
    split_refund_settle(
        payment,
        shares=refund.allocations,
        refund_id=refund.public_id,
        actor=actor,
        back_to_instruments=not to_store_credit,
    )
    if to_store_credit:
        account = store_credit_grant(
            merchant_id=payment.merchant_id,
            customer_id=refund.store_credit_customer_id,
            amount=refund.amount,
            currency=payment.currency,
            reason=f"refund {refund.public_id}",
            actor=actor,
            reference=refund.public_id,
        )
        refund_log(
            refund,
            type="store_credit.credited",
            actor=actor,
            data={"account": account.public_id, "amount": refund.amount, "balance": account.balance},
        )
    refund_emit(refund, "refund.completed", before=before, extra={"payment_status": payment_refund_status(payment)})
    if refund.receipt_email:
        queue_receipt(refund.pk)


def _record_pending(claim: _Claim, result: base.GatewayResult, *, actor: str) -> None:
    """The gateway took the refund but has not paid it yet (Stripe's `pending`): the
    refund stays PROCESSING, its amount reserved, until the gateway's refund event
    settles it (refund_gateway_update). A repeat of the call replays the same answer."""
    with transaction.atomic(durable=True):
        current = _current(claim, actor=actor)
        if current is None:
            return
        _, refund = current
        refund.gateway_reference = result.reference
        refund.call_started_at = None
        refund.save()
        data = {"status": "pending", "reference": result.reference, "key": claim.key}
        refund_log(refund, type="gateway.refund", actor=actor, data=data)


def refund_gateway_update(update: hooks.RefundUpdate) -> bool:
    """Payments' refund listener (RefundsConfig.ready): the gateway settled a refund it
    had answered `pending`. Runs inside payments' transaction, the payment locked; locks
    the refund (house order payment → refund). Returns whether the refund was ours."""
    found = RefundRequest.objects.filter(payment_id=update.payment_pk, gateway_reference=update.gateway_refund_id)
    refund_pk = found.values_list("pk", flat=True).first()
    if refund_pk is None:
        return False
    payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
    refund.payment = payment
    if refund.state != State.PROCESSING:
        return True  # settled already (a redelivered event)
    data = {"status": update.status, "reference": update.gateway_refund_id, "amount": update.amount}
    refund_log(refund, type="gateway.refund_updated", actor=update.actor, data=data)
    if update.status == base.SUCCEEDED:
        complete_locked(refund, payment, gateway_reference=update.gateway_refund_id, actor=update.actor)
    else:
        code = update.failure_code or "refund_failed"
        fail_locked(
            refund,
            payment,
            code=code,
            message="The gateway could not pay the refund.",
            definite=True,
            actor=update.actor,
        )
    return True


def _record_refusal(claim: _Claim, *, code: str, message: str, actor: str) -> None:
    with transaction.atomic(durable=True):
        current = _current(claim, actor=actor)
        if current is None:
            return
        payment, refund = current
        refund_log(refund, type="gateway.refund", actor=actor, data={"status": "refused", "code": code})
        fail_locked(refund, payment, code=code, message=message, definite=True, actor=actor)


def _release(claim: _Claim, *, actor: str) -> None:
    with transaction.atomic(durable=True):
        current = _current(claim, actor=actor)
        if current is None:
            return
        _, refund = current
        # Not in flight any more: the next try may repeat the call at once, same key.
        refund.call_started_at = None
        refund.last_error = {"code": "gateway_unavailable", "message": "The gateway did not answer."}
        refund.save()
        refund_log(refund, type="gateway.refund", actor=actor, data={"status": "no_answer", "key": claim.key})


def refund_process(*, refund_pk: int, actor: str = SYSTEM_ACTOR) -> RefundRequest:
    """Sends an APPROVED (or interrupted PROCESSING) refund to the gateway and records
    the answer: COMPLETED (the payment becomes partially or fully refunded, the shopper's
    receipt is queued) or FAILED when the gateway refused.

    Safe to run twice: anything else than APPROVED or PROCESSING is left alone.
    Raises GatewayUnavailable when the gateway did not answer (the refund stays
    PROCESSING; try again later, with the same key) and RefundCallInFlight while
    another worker's call has not answered yet.
    """
    claim = _claim(refund_pk, actor=actor)
    if claim is not None and claim.amount == 0:
        # Nothing for the gateway: the shares are balances or store credit, all in the database.
        _record_success(claim, base.GatewayResult(status=base.SUCCEEDED, reference="", amount=0), actor=actor)
    elif claim is not None:
        try:
            result = payment_gateway_refund(payment_pk=claim.payment_pk, amount=claim.amount, idempotency_key=claim.key)
        except GatewayUnavailable:
            _release(claim, actor=actor)
            raise
        except DomainError as exc:
            _record_refusal(claim, code=exc.code, message=exc.message, actor=actor)
        else:
            if result.status == base.SUCCEEDED:
                _record_success(claim, result, actor=actor)
            elif result.status == base.PROCESSING:
                _record_pending(claim, result, actor=actor)
            else:
                code = result.failure_code or "refund_failed"
                _record_refusal(
                    claim, code=code, message=result.message or "The gateway refused the refund.", actor=actor
                )
    return refund_queryset().get(pk=refund_pk)


def refund_give_up(*, refund_pk: int, actor: str = SYSTEM_ACTOR) -> RefundRequest:
    """After the task's last try without an answer: PROCESSING → FAILED, outcome unknown.

    The amount stays reserved (the gateway may have paid) and a retry repeats the call
    with the same key, so it can never pay twice. A call still in flight is left alone.
    """
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        if refund.state == State.PROCESSING and refund.call_started_at is None:
            fail_locked(
                refund,
                payment,
                code="gateway_unavailable",
                message="The gateway did not answer; a retry repeats the same request.",
                definite=False,
                actor=actor,
            )
    return refund


def refund_retry(*, refund_pk: int, user) -> RefundRequest:
    """Staff's retry of a FAILED refund: FAILED → PROCESSING, queued for the gateway.

    After a refusal it takes a new key and must still fit in what is left to refund;
    after no answer it repeats the call with the same key. Locks payment then refund.
    Raises ReviewerNotAllowed (403), InvalidStateTransition (409), PaymentDisputed (409),
    RefundExceedsCaptured (400).
    """
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        reviewer_check(refund, user)
        refund_transition_check(refund, "retry")
        if not refund.outcome_unknown:
            payment_refund_check(payment)
            refund_room_check(payment, refund.amount, exclude_pk=refund.pk)
        refund_transition(
            refund, "retry", actor=staff_actor(user), user=user, data={"after": (refund.last_error or {}).get("code")}
        )
        queue_processing(refund.pk)
    return refund


def refunds_resume_stuck(*, now=None, limit: int = 200) -> int:
    """Queues refunds whose task was lost (approved or interrupted, untouched for a
    while); returns how many. Safe with several sweepers: the claim is exclusive."""
    now = now or timezone.now()
    quiet = Q(updated_at__lt=now - SWEEP_AFTER)
    # A bank transfer's refund in PROCESSING is not stuck: it waits for finance, for days.
    stuck = (
        RefundRequest.objects.filter(quiet)
        .filter(Q(state=State.APPROVED) | Q(state=State.PROCESSING, transfer_iban=""))
        .values_list("pk", flat=True)[:limit]
    )
    pks = list(stuck)
    for pk in pks:
        queue_processing(pk)
    if pks:
        logger.info("re-queued %s refunds", len(pks))
    return len(pks)
