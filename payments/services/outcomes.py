"""Applying what a gateway said (a call's answer, a webhook, a look-up) to a payment.

Every source of truth goes through `outcome_apply`, under the payment's row lock, so the
answer to a call, its webhook and a later look-up converge on one state whatever order
they arrive in: an outcome the payment has already moved past is logged and ignored.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from payments.gateways import base
from payments.models import PaymentAttempt, PaymentTransaction, State
from payments.services.log import payment_log, payment_transition

Status = PaymentAttempt.Status


def _error(result: base.GatewayResult) -> dict:
    return {
        "code": result.failure_code or "card_declined",
        "decline_code": result.decline_code or None,
        "message": result.message or None,
    }


def _ignored(payment, attempt, result, *, actor, source, why):
    payment_log(
        payment,
        type="outcome.ignored",
        actor=actor,
        attempt=attempt,
        data={"source": source, "gateway_status": result.status, "why": why},
    )


def outcome_apply(
    payment: PaymentTransaction, attempt: PaymentAttempt, result: base.GatewayResult, *, actor: str, source: str
) -> None:
    """Moves a locked payment (and its attempt) to what `result` says, if still ahead.

    The caller holds the payment's lock in an open transaction.
    """
    if result.reference and not attempt.gateway_reference:
        attempt.gateway_reference = result.reference
    # Numbers are handed out as attempt_count + 1 and the count never goes down, so an
    # attempt numbered as the count is the latest without asking.
    if attempt.number == payment.attempt_count:
        latest = attempt.number
    else:
        latest = payment.attempts.order_by("-number").values_list("number", flat=True).first()
    if attempt.number != latest:
        attempt.save()
        return _ignored(payment, attempt, result, actor=actor, source=source, why="a later attempt replaced this one")

    now = timezone.now()
    status, state = result.status, payment.state
    if status == base.REQUIRES_ACTION:
        if state != State.PROCESSING:
            return _ignored(payment, attempt, result, actor=actor, source=source, why=f"payment is {state}")
        attempt.require_action()
        attempt.save()
        action = result.action or {"type": "redirect_to_url", "url": result.action_url}
        expires_at = _action_deadline(action) or now + timedelta(minutes=settings.PAYMENTS_3DS_TIMEOUT_MINUTES)
        payment_transition(
            payment, "require_action", actor=actor, attempt=attempt, next_action=action, expires_at=expires_at
        )
        return None

    if status in (base.SUCCEEDED, base.AUTHORIZED):
        if state == State.AUTHORIZED and status == base.SUCCEEDED:
            # Captured at the gateway: our own capture's webhook, or someone at the gateway.
            amount = result.amount or payment.pending_operation_amount or payment.amount_capturable
            operation_clear(payment)
            payment_transition(payment, "capture", actor=actor, attempt=attempt, amount=amount, at=now)
            return None
        if state == State.REQUIRES_ACTION:
            payment_transition(payment, "resume", actor=actor, attempt=attempt, data={"source": source})
            state = payment.state
        if state != State.PROCESSING:
            return _ignored(payment, attempt, result, actor=actor, source=source, why=f"payment is {state}")
        if status == base.SUCCEEDED:
            attempt.succeed(at=now)
        else:
            attempt.authorize(at=now)
        attempt.save()
        amount = result.amount or payment.amount
        if status == base.SUCCEEDED:
            payment_transition(payment, "complete", actor=actor, attempt=attempt, amount=amount, at=now)
        else:
            validity = timedelta(days=settings.PAYMENTS_AUTHORIZATION_VALIDITY_DAYS)
            payment_transition(
                payment, "authorize", actor=actor, attempt=attempt, amount=amount, at=now, expires_at=now + validity
            )
        return None

    if status in (base.FAILED, base.CANCELED):
        if state == State.AUTHORIZED and status == base.CANCELED:
            operation_clear(payment)
            payment_transition(payment, "void", actor=actor, attempt=attempt, reason="Voided at the gateway.")
            return None
        if state not in (State.PROCESSING, State.REQUIRES_ACTION):
            return _ignored(payment, attempt, result, actor=actor, source=source, why=f"payment is {state}")
        error = _error(result) if status == base.FAILED else {"code": "payment_canceled", "decline_code": None}
        settle = attempt.fail if status == base.FAILED else attempt.cancel
        settle(code=error["code"], decline_code=error["decline_code"] or "", message=result.message or "", at=now)
        attempt.save()
        payment_transition(payment, "fail", actor=actor, attempt=attempt, error=error, data={"source": source})
        return None

    if status == base.PROCESSING and attempt.status in (Status.PENDING, Status.UNKNOWN):
        attempt.mark_processing()
    attempt.save()
    return None


def _action_deadline(action: dict):
    """An action that names its own deadline (a bank transfer's days, not 3-D Secure's minutes)."""
    detail = action.get(action.get("type", ""), {})
    value = detail.get("expires_at") if isinstance(detail, dict) else None
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def attempts_cancel_open(payment: PaymentTransaction, *, at) -> int:
    """Cancels the payment's open attempts (it expired or was released); the caller holds
    the payment's lock. One transition per row, never a bulk update of the status."""
    cancelled = 0
    for attempt in payment.attempts.filter(status__in=PaymentAttempt.OPEN).order_by("number"):
        attempt.cancel(at=at)
        attempt.save()
        cancelled += 1
    return cancelled


def operation_clear(payment: PaymentTransaction) -> None:
    payment.pending_operation = ""
    payment.pending_operation_key = ""
    payment.pending_operation_amount = None
    payment.pending_operation_at = None
