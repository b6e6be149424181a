"""Confirming a payment: claim → call → record, and asking the gateway how it went.

No database transaction is open while the gateway is called. The claim stores the
outgoing idempotency key on a new PaymentAttempt; every repetition of that call (a
retried confirm, the janitor) uses the same key, so the gateway never charges twice.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition, NotFound
from core.rows import rows_held
from fraud.selectors import review_is_open
from fraud.services import BLOCK as FRAUD_BLOCK
from fraud.services import REVIEW as FRAUD_REVIEW
from fraud.services import payment_assess
from payments import hooks
from payments.exceptions import (
    AttemptsExhausted,
    GatewayUnavailable,
    PayableClosed,
    failure_error,
)
from payments.gateways import base, gateway_named
from payments.locks import lock_payment, lock_payment_by_pk
from payments.models import PaymentAttempt, PaymentTransaction, State
from payments.selectors import (
    attempts_remaining,
    intent_method_types,
    payment_api_status,
    payment_intent_find,
    payment_intent_find_by_reference,
    payment_intent_get,
    payment_method_in_use_get,
    payment_queryset,
)
from payments.services.bank_transfers import METHOD_TYPE, bank_transfer_instructions
from payments.services.intents import method_attach, reopen_if_failed
from payments.services.log import payment_log, payment_transition
from payments.services.outcomes import outcome_apply

logger = logging.getLogger(__name__)
Status = PaymentAttempt.Status


@dataclass(frozen=True)
class _Claim:
    payment_pk: int
    attempt_pk: int | None = None  # set: this request makes the call
    in_flight: bool = False  # another request's call is under way
    split: bool = False  # the intent is paid in parts: its split runs instead
    # What the claim's transaction committed, so the call needs no second read of it.
    attempt: PaymentAttempt | None = None
    held: bool | None = None  # whether fraud scoring held it for review; None: not known here


def redirect_return_url(payment: PaymentTransaction) -> str:
    query = {"payment_intent": payment.public_id}
    if payment.reference:
        # The API document's return carries the checkout id; the payer's reference is it.
        query["checkout_id"] = payment.reference
    return f"{settings.PUBLIC_BASE_URL}/v1/checkout/redirect/return?{urlencode(query)}"


def _fraud_assess(
    payment: PaymentTransaction, attempt: PaymentAttempt, *, ip: str, device_fingerprint: str, actor, facts=None
):
    """Scores the attempt under the payment's lock (the claim's transaction), so the
    assessment, its alert and the attempt commit together. Facts only: the card's
    fingerprint, the IP and device, and what the apps above know of the payer (`facts`,
    when the payable check read them with its lock)."""
    if facts is None:
        facts = hooks.risk_facts_for(merchant_id=payment.merchant_id, reference=payment.reference)
    decision = payment_assess(
        merchant_id=payment.merchant_id,
        amount=payment.amount,
        currency=payment.currency,
        card_fingerprint=attempt.payment_method.fingerprint,
        card_brand=attempt.payment_method.brand,
        card_last4=attempt.payment_method.last4,
        ip=ip,
        device_fingerprint=device_fingerprint,
        email=facts.get("email", ""),
        billing_country=facts.get("billing_country", ""),
        shipping_country=facts.get("shipping_country", ""),
        payment_intent_id=payment.public_id,
        reference=payment.reference,
        actor=actor,
    )
    payment_log(
        payment,
        type="fraud.assessed",
        actor=actor,
        attempt=attempt,
        data={
            "assessment_id": decision.assessment_id,
            "action": decision.action,
            "risk_score": decision.score,
            "reasons": list(decision.reasons),
        },
    )
    return decision


def _fraud_block(payment: PaymentTransaction, attempt: PaymentAttempt, decision, *, actor: str) -> None:
    """A blocked attempt fails here, with what fired logged; the gateway never hears of it."""
    attempt.fail(code="fraud_block", decline_code="fraudulent", at=timezone.now())
    attempt.save()
    payment_transition(
        payment,
        "fail",
        actor=actor,
        attempt=attempt,
        error={"code": "fraud_block", "decline_code": "fraudulent", "message": None},
        data={"source": "fraud", "assessment_id": decision.assessment_id, "risk_score": decision.score},
    )


def call_is_stale(moment) -> bool:
    return moment < timezone.now() - timedelta(seconds=settings.PAYMENTS_CALL_STALE_SECONDS)


def _confirm_claim(
    *,
    merchant_id,
    payment_intent_id,
    payment_method_id,
    actor,
    ip="",
    device_fingerprint="",
    merchant_initiated=False,
    reference=None,
    split_check=False,
) -> _Claim:
    # Its log, audit, assessment and outbox rows go in one statement at the end.
    with transaction.atomic(durable=True), rows_held():
        # The payable's owner locks its row first (house order: session → payment) and
        # says whether it may still be paid; the lock holds until the claim commits, so
        # it cannot start closing in between: either it sees our attempt, or we its close.
        # (A payment's reference never changes: one read before the lock is as good.)
        if reference is None:
            reference = (
                PaymentTransaction.objects.filter(merchant_id=merchant_id, public_id=payment_intent_id)
                .values_list("reference", flat=True)
                .first()
            )
        verdict = hooks.payable_check(
            merchant_id=merchant_id, reference=reference or "", payment_intent_id=payment_intent_id
        )
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        # Asked after the lock, in a statement of its own, so a split set up by whoever
        # held the lock before us is seen; the split's run then takes over, unchanged.
        if split_check and payment.splits.exists():
            return _Claim(payment.pk, split=True)
        method = (
            payment_method_in_use_get(merchant_id=merchant_id, payment_method_id=payment_method_id, payment=payment)
            if payment_method_id
            else None
        )
        if payment.state in (State.CANCELLED, State.EXPIRED):
            raise InvalidStateTransition(f"A {payment.state} payment intent cannot be confirmed.")
        if payment.state in (State.PENDING, State.FAILED) and not verdict.payable:
            if attempts_remaining(payment) <= 0:
                raise AttemptsExhausted()  # the more precise answer: why the session failed
            raise PayableClosed(verdict.message or None)
        if payment.state == State.FAILED:
            reopen_if_failed(payment, actor=actor)
        if payment.state == State.PENDING:
            if method is not None:
                # Saved with the transition below: one UPDATE of the payment, not two.
                method_attach(payment, method, actor=actor, defer_save=True)
            if payment.payment_method_id is None:
                raise DomainError(
                    "Attach a payment method before confirming.",
                    code="payment_method_required",
                    param="payment_method_id",
                )
            if attempts_remaining(payment) <= 0:
                raise AttemptsExhausted()
            attempt = PaymentAttempt(
                transaction=payment,
                number=payment.attempt_count + 1,
                payment_method=payment.payment_method,
                gateway=payment.gateway,
                claimed_at=timezone.now(),
            )
            attempt.idempotency_key = f"{payment.public_id}:{attempt.public_id}"
            attempt.save()
            payment.attempt_count = attempt.number
            payment_transition(payment, "process", actor=actor, attempt=attempt)
            if merchant_initiated:
                # A scheduled charge of a plan the shopper agreed to (and was scored for)
                # at checkout: no shopper, IP or device to score, as Stripe's off-session.
                payment_log(
                    payment, type="fraud.skipped", actor=actor, attempt=attempt, data={"why": "merchant_initiated"}
                )
                return _Claim(payment.pk, attempt.pk, attempt=attempt)
            decision = _fraud_assess(
                payment, attempt, ip=ip, device_fingerprint=device_fingerprint, actor=actor, facts=verdict.facts
            )
            if decision.action == FRAUD_BLOCK:
                _fraud_block(payment, attempt, decision, actor=actor)
                return _Claim(payment.pk)
            # This claim's assessment is the payment's latest: it says whether a review holds it.
            return _Claim(payment.pk, attempt.pk, attempt=attempt, held=decision.action == FRAUD_REVIEW)

        # Confirmed already: answer with where it stands, unless asked to switch methods.
        if method is not None and method.pk != payment.payment_method_id:
            raise InvalidStateTransition(
                "This payment intent is already being paid with another method.",
                explain=f"payment_method_id can change only while 'pending' or 'failed', not '{payment.state}'",
            )
        if payment.state != State.PROCESSING:
            return _Claim(payment.pk)
        attempt = payment.attempts.filter(status__in=[Status.PENDING, Status.UNKNOWN]).first()
        if attempt is None:
            return _Claim(payment.pk)
        if not verdict.payable:
            # No repeat on a payable that closed: the janitor settles the attempt, and
            # money it took is given back.
            return _Claim(payment.pk)
        if attempt.status == Status.UNKNOWN or call_is_stale(attempt.claimed_at):
            # The earlier call ended without an answer (or its process died): repeat it,
            # under the same key, so the gateway answers what it did instead of charging anew.
            attempt.reclaim(at=timezone.now())
            attempt.save()
            payment_log(payment, type="attempt.reclaimed", actor=actor, attempt=attempt)
            return _Claim(payment.pk, attempt.pk)
        return _Claim(payment.pk, in_flight=True)


def _reread(attempt: PaymentAttempt) -> PaymentAttempt:
    """The attempt as stored now. Not refresh_from_db: django-fsm lifts a protected
    field's guard on the (shared) field object while it refreshes, so two threads doing
    it at once make the other's refresh fail."""
    return PaymentAttempt.objects.get(pk=attempt.pk)


def _record_answer(
    *, attempt_pk: int, result: base.GatewayResult, duration_ms: int, actor: str, payment_pk: int | None = None
) -> PaymentTransaction:
    """Records the gateway's answer under the payment's lock; returns the payment as committed.
    Its log, audit, ledger and outbox rows go in one statement at the end."""
    with transaction.atomic(durable=True), rows_held():
        if payment_pk is None:
            payment_pk = PaymentAttempt.objects.filter(pk=attempt_pk).values_list("transaction_id", flat=True).get()
        payment = lock_payment_by_pk(payment_pk)
        attempt = PaymentAttempt.objects.get(pk=attempt_pk)  # read under the lock: as stored now
        attempt.call_count += 1
        attempt.answered_at = timezone.now()
        attempt.duration_ms = duration_ms
        payment_log(
            payment,
            type="gateway.authorize",
            actor=actor,
            attempt=attempt,
            data={
                "status": result.status,
                "reference": result.reference,
                "failure_code": result.failure_code,
                "decline_code": result.decline_code,
                "duration_ms": duration_ms,
            },
        )
        if attempt.status in (Status.PENDING, Status.UNKNOWN, Status.PROCESSING):
            outcome_apply(payment, attempt, result, actor=actor, source="answer")
        else:
            # A webhook got here first and settled it; the answer is only logged.
            attempt.save()
    return payment


def _record_no_answer(*, attempt_pk: int, error: Exception, duration_ms: int, actor: str) -> bool:
    """Marks the attempt `unknown`; returns False when a webhook has settled it meanwhile."""
    with transaction.atomic(durable=True), rows_held():
        attempt = PaymentAttempt.objects.get(pk=attempt_pk)
        payment = lock_payment_by_pk(attempt.transaction_id)
        attempt = _reread(attempt)
        attempt.call_count += 1
        attempt.duration_ms = duration_ms
        if attempt.status == Status.PENDING:
            attempt.lose_answer()
        attempt.save()
        payment_log(
            payment,
            type="gateway.authorize",
            actor=actor,
            attempt=attempt,
            data={"status": "no_answer", "error": getattr(error, "code", type(error).__name__)},
        )
    return attempt.status == Status.UNKNOWN


def attempt_authorize(
    *, attempt_pk: int, actor: str, attempt: PaymentAttempt | None = None, held: bool | None = None
) -> PaymentTransaction | None:
    """Calls the gateway for a claimed attempt (no transaction open) and records the answer.

    `attempt` (with its payment and method) and `held` are what the claim just committed,
    when the caller has them. Returns the payment as recorded, or None when no answer was.
    Re-raises GatewayUnavailable (and anything unexpected) after marking the attempt
    `unknown`, so whoever repeats it uses the same idempotency key; a missing answer is
    not an error when the gateway's webhook has settled the attempt meanwhile.
    """
    if attempt is None:
        attempt = PaymentAttempt.objects.select_related("transaction", "payment_method").get(pk=attempt_pk)
    payment = attempt.transaction
    if attempt.payment_method.type == METHOD_TYPE:
        # Paid by the shopper's own transfer: the instructions are the answer, no gateway call.
        return _record_answer(
            attempt_pk=attempt_pk,
            result=bank_transfer_instructions(payment),
            duration_ms=0,
            actor=actor,
            payment_pk=payment.pk,
        )
    # A payment held for review is authorized only, even under automatic capture: the
    # reviewer's approval captures it, a refusal voids it.
    if held is None:
        held = review_is_open(merchant_id=payment.merchant_id, payment_intent_id=payment.public_id)
    request = base.AuthorizeRequest(
        amount=payment.amount,
        currency=payment.currency,
        token=attempt.payment_method.token,
        capture=payment.capture_mode == PaymentTransaction.CaptureMode.AUTOMATIC and not held,
        idempotency_key=attempt.idempotency_key,
        return_url=redirect_return_url(payment),
        metadata={"payment_intent": payment.public_id, "attempt": attempt.public_id, "reference": payment.reference},
    )
    started = time.monotonic()
    try:
        result = gateway_named(attempt.gateway).authorize(request)
    except DomainError as exc:
        if isinstance(exc, GatewayUnavailable):
            _authorize_unanswered(attempt_pk, exc, started, actor)
            return None
        # A definite refusal (the gateway rejected the request itself): the attempt failed.
        # Recorded as unknown it would be repeated with the same key, refused again, forever.
        logger.warning("gateway %s refused %s: %s", attempt.gateway, attempt.public_id, exc.code)
        refused = base.GatewayResult(status=base.FAILED, failure_code=exc.code, message=exc.message)
        _record_answer(
            attempt_pk=attempt_pk,
            result=refused,
            duration_ms=int((time.monotonic() - started) * 1000),
            actor=actor,
            payment_pk=payment.pk,
        )
        raise
    except Exception as exc:
        _authorize_unanswered(attempt_pk, exc, started, actor)
        return None
    return _record_answer(
        attempt_pk=attempt_pk,
        result=result,
        duration_ms=int((time.monotonic() - started) * 1000),
        actor=actor,
        payment_pk=payment.pk,
    )


def _authorize_unanswered(attempt_pk: int, exc: Exception, started: float, actor: str) -> None:
    """No answer (or an unexpected error): the attempt is unknown, to be repeated with its
    key. Called from the except block; re-raises unless a webhook settled it meanwhile."""
    attempt = PaymentAttempt.objects.get(pk=attempt_pk)
    if isinstance(exc, GatewayUnavailable):
        logger.warning("gateway %s gave no answer for %s", attempt.gateway, attempt.public_id)
    else:
        logger.exception("authorize failed for %s", attempt.public_id)
    duration = int((time.monotonic() - started) * 1000)
    still_open = _record_no_answer(attempt_pk=attempt_pk, error=exc, duration_ms=duration, actor=actor)
    if still_open or not isinstance(exc, GatewayUnavailable):
        raise exc


def _wait_while_in_flight(payment_pk: int) -> None:
    """Bounded wait for another request's call to be recorded, so every concurrent
    confirm answers with the outcome rather than a momentary `processing`."""
    deadline = time.monotonic() + settings.PAYMENTS_CONFIRM_WAIT_SECONDS
    interval = 0.02
    while time.monotonic() < deadline:
        if not PaymentAttempt.objects.filter(transaction_id=payment_pk, status=Status.PENDING).exists():
            return
        time.sleep(interval)
        interval = min(interval * 2, 0.25)


def raise_if_failed(payment: PaymentTransaction) -> PaymentTransaction:
    """A failed payment answers with its decline (402 and the decline code), Stripe-like."""
    if payment.state == State.FAILED:
        error = payment.last_error or {}
        raise failure_error(
            failure_code=error.get("code", ""),
            decline_code=error.get("decline_code") or "",
            extra={"payment_intent": {"id": payment.public_id, "status": payment_api_status(payment)}},
        )
    return payment


def payment_intent_confirm(
    *,
    merchant_id: int,
    payment_intent_id: str,
    payment_method_id: str | None = None,
    actor: str,
    ip: str = "",
    as_split_part: bool = False,
    device_fingerprint: str = "",
    merchant_initiated: bool = False,
    payment_method_data: dict | None = None,
    intent: PaymentTransaction | None = None,
) -> PaymentTransaction:
    """Confirms the intent (optionally with a method): claim → call → record.

    Locks the payment twice, briefly (claim, record), never across the gateway call.
    Idempotent: a confirmed intent answers with its state; concurrent confirms make one
    gateway call between them and all answer with its outcome. A FAILED intent is tried
    again, within the merchant's attempt limit (409 attempts_exhausted past it).
    Raises the decline (402 payment_declined, insufficient_funds, …) once it is recorded,
    GatewayUnavailable (502/503) when the gateway gave no answer (retry: same key).
    Every new attempt is scored in the claim (fraud): a block fails it (402 fraud_block)
    without calling the gateway; a review authorizes without capturing.
    An intent paid in parts (gift cards, store credit, cards) runs its split instead,
    which confirms each card part back through here with `as_split_part`.
    `payment_method_data` of another method type (buy_now_pay_later) goes to that type's
    registered confirmer; `merchant_initiated` (a scheduled charge) skips fraud scoring.
    `intent`: the caller's unlocked read of this intent (its methods and reference, which
    the claim need not read again); everything that changes is read under the lock.
    """
    method_type = (payment_method_data or {}).get("type") or "card"
    method_types_check(
        merchant_id=merchant_id,
        payment_intent_id=payment_intent_id,
        method_type=method_type,
        method_types=intent.method_types if intent is not None else None,
    )
    if method_type != "card":
        return raise_if_failed(
            hooks.method_confirmer(method_type)(
                merchant_id=merchant_id,
                payment_intent_id=payment_intent_id,
                data=payment_method_data,
                actor=actor,
                ip=ip,
            )
        )
    claim_args = dict(
        merchant_id=merchant_id,
        payment_intent_id=payment_intent_id,
        payment_method_id=payment_method_id,
        actor=actor,
        ip=ip,
        device_fingerprint=device_fingerprint,
        merchant_initiated=merchant_initiated,
        reference=intent.reference if intent is not None else None,
    )
    # The claim finds out whether the intent is paid in parts (rare) under its lock, so
    # an ordinary confirm takes its locks once.
    claim = _confirm_claim(**claim_args, split_check=not as_split_part)
    if claim.split:
        from payments.wallet.split import split_payment_confirm

        split_payment = split_payment_confirm(
            merchant_id=merchant_id,
            payment_intent_id=payment_intent_id,
            payment_method_id=payment_method_id,
            actor=actor,
            ip=ip,
        )
        if split_payment is not None:
            return raise_if_failed(split_payment)
        claim = _confirm_claim(**claim_args)
    recorded = None
    if claim.attempt_pk is not None:
        recorded = attempt_authorize(attempt_pk=claim.attempt_pk, actor=actor, attempt=claim.attempt, held=claim.held)
        if recorded is not None and claim.held is False and recorded.attempt_count == 1:
            # Its only assessment is the claim's, which allowed it: there is no review to show.
            recorded.known_without_review = True
    elif claim.in_flight:
        _wait_while_in_flight(claim.payment_pk)
    return raise_if_failed(recorded if recorded is not None else payment_queryset().get(pk=claim.payment_pk))


def method_types_check(
    *, merchant_id: int, payment_intent_id: str, method_type: str, method_types: list | None = None
) -> None:
    """Refuses (400 payment_method_unavailable) a method the intent was not made to accept.
    `method_types`: the intent's, when the caller has just read it."""
    row = method_types
    if row is None:
        row = (
            PaymentTransaction.objects.filter(merchant_id=merchant_id, public_id=payment_intent_id)
            .values_list("method_types", flat=True)
            .first()
        )
    accepted = intent_method_types(row or [])
    if row is not None and method_type not in accepted:
        raise DomainError(
            f"This payment intent does not accept {method_type}. Accepted: {', '.join(accepted)}.",
            code="payment_method_unavailable",
            param="payment_method_data.type",
            explain={"unavailable": [method_type], "accepted": accepted},
        )
    if method_type != "card" and hooks.method_confirmer(method_type) is None:
        raise DomainError(
            f"{method_type} is not offered.", code="payment_method_unavailable", param="payment_method_data.type"
        )


def payment_sync(*, payment_pk: int, actor: str, source: str, claimed: bool = False) -> PaymentTransaction:
    """Asks the gateway how the current attempt stands and records it (no lock held
    during the call). An attempt without a gateway reference is repeated with its key;
    `claimed` says the caller has taken it over, so a fresh claim time is not a call
    still under way."""
    payment = payment_queryset().get(pk=payment_pk)
    attempt = payment.attempts.order_by("-number").first()
    if attempt is None and hooks.payment_sync_elsewhere(payment_pk=payment_pk, actor=actor, source=source):
        return payment_queryset().get(pk=payment_pk)
    if attempt is None or attempt.status not in PaymentAttempt.OPEN:
        return payment
    if not attempt.gateway_reference:
        if attempt.status == Status.PENDING and not claimed and not call_is_stale(attempt.claimed_at):
            return payment  # its call is still under way
        attempt_authorize(attempt_pk=attempt.pk, actor=actor)
        return payment_queryset().get(pk=payment_pk)
    result = gateway_named(attempt.gateway).retrieve(
        reference=attempt.gateway_reference, idempotency_key=attempt.idempotency_key
    )
    with transaction.atomic(durable=True):
        payment = lock_payment_by_pk(payment_pk)
        attempt = _reread(attempt)
        payment_log(payment, type="gateway.retrieve", actor=actor, attempt=attempt, data={"status": result.status})
        if attempt.status in PaymentAttempt.OPEN and result.status != base.NOT_FOUND:
            outcome_apply(payment, attempt, result, actor=actor, source=source)
    return payment_queryset().get(pk=payment_pk)


def payment_intent_authentication_complete(*, merchant_id: int, payment_intent_id: str, actor: str):
    """The client says 3-D Secure is done: ask the gateway and record what it says.

    Idempotent (an intent past REQUIRES_ACTION answers as it is); one not yet confirmed is
    InvalidStateTransition (409). Raises the failure
    (402 authentication_failed, payment_declined…) once recorded.
    """
    payment = payment_intent_get(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    if payment.state == State.PENDING:
        # Not confirmed yet: answering 200 would read as if authentication had been handled.
        raise InvalidStateTransition(
            "This payment intent has not been confirmed; there is no 3-D Secure to complete.",
            explain="confirm it first (POST /payment-intents/{id}/confirm)",
        )
    if payment.state == State.REQUIRES_ACTION:
        payment = payment_sync(payment_pk=payment.pk, actor=actor, source="3ds_complete")
        _split_advance(payment, actor=actor)
    return raise_if_failed(payment)


def _split_advance(payment: PaymentTransaction, *, actor: str) -> None:
    from payments.wallet.split import split_payment_advance

    split_payment_advance(payment, actor=actor)


def payment_redirect_return(*, payment_intent_id: str = "", reference: str = "") -> tuple[PaymentTransaction, str]:
    """A shopper's browser back from 3-D Secure: settle with the gateway if still waiting,
    then the address to send the browser on to (the intent's return_url, with the
    intent's id and status, like Stripe's `redirect_status`), or "" when it has none.

    The intent is named by id, or by the payer's reference alone (its newest intent); both
    given must agree, else NotFound. Whatever status the redirecting party claimed is not
    an input: the state comes from the gateway.
    """
    if payment_intent_id:
        payment = payment_intent_find(payment_intent_id=payment_intent_id)
        if payment is not None and reference and payment.reference != reference:
            payment = None
    elif reference:
        payment = payment_intent_find_by_reference(reference=reference)
    else:
        payment = None
    if payment is None:
        raise NotFound("No such payment intent.", param="payment_intent")
    if payment.state == State.REQUIRES_ACTION:
        payment = payment_sync(payment_pk=payment.pk, actor="shopper", source="redirect_return")
        _split_advance(payment, actor="shopper")
    if not payment.return_url:
        return payment, ""
    query = urlencode({"payment_intent": payment.public_id, "redirect_status": payment_api_status(payment)})
    separator = "&" if "?" in payment.return_url else "?"
    return payment, f"{payment.return_url}{separator}{query}"
