"""Creating payment intents and choosing how they will be paid."""

from django.db import transaction

from core.exceptions import Conflict, DomainError, InvalidStateTransition
from core.money import is_currency
from merchants.cached import active_merchant
from merchants.models import Merchant
from payments import hooks
from payments.exceptions import AttemptsExhausted, PayableClosed
from payments.locks import lock_payment
from payments.models import PaymentMethod, PaymentTransaction, State
from payments.selectors import attempts_remaining, payment_method_get
from payments.services.log import payment_log, payment_transition


def payment_intent_create(
    *,
    merchant_id: int,
    amount: int,
    currency: str,
    reference: str = "",
    capture_mode: str | None = None,
    return_url: str = "",
    metadata: dict | None = None,
    actor: str,
    method_types: list[str] | None = None,
    gateway: str | None = None,
    payable_checked: bool = False,
) -> PaymentTransaction:
    """A PENDING intent for any payable amount; `reference` is the payer's own (a checkout id).

    Writes the intent and its first event in one transaction (a savepoint when the caller
    already holds one, e.g. checkout under its session lock). `method_types`: what it
    accepts (none: card); `gateway`: another than the merchant's (an installment charged
    to a card another gateway vaulted); `payable_checked`: the payable's owner calls
    with its row locked in this transaction and has refused a closed one itself, so it
    is not asked again. Raises DomainError (400) for
    a non-positive amount or a currency the merchant does not take, PayableClosed (409
    session_not_payable) when the payable's owner says it can no longer be paid.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("amount must be a positive integer in minor units.", param="amount")
    merchant = active_merchant(merchant_id) or Merchant.objects.get(pk=merchant_id)
    if not is_currency(currency) or currency not in merchant.supported_currencies:
        raise DomainError(
            f"{currency} is not a currency this merchant takes.", code="currency_not_supported", param="currency"
        )
    capture_mode = capture_mode or merchant.capture_mode
    if capture_mode not in PaymentTransaction.CaptureMode.values:
        raise DomainError("capture_mode must be automatic or manual.", param="capture_mode")
    # Called by the payable's owner inside its own transaction (payable_checked), no
    # savepoint: a failure here fails that transaction anyway, and the intent's log rows
    # can then wait for the end of the owner's block with its own (core.rows.rows_held).
    with transaction.atomic(savepoint=not payable_checked):
        if not payable_checked:
            verdict = hooks.payable_check(merchant_id=merchant_id, reference=reference, payment_intent_id=None)
            if not verdict.payable:
                raise PayableClosed(verdict.message or None)
        payment = PaymentTransaction.objects.create(
            merchant=merchant,
            amount=amount,
            currency=currency,
            reference=reference,
            capture_mode=capture_mode,
            return_url=return_url,
            metadata=metadata or {},
            gateway=gateway or merchant.gateway,
            method_types=list(method_types or []),
        )
        payment_log(
            payment,
            type="state.pending",
            actor=actor,
            to_state=payment.state,
            data={
                "amount": amount,
                "currency": currency,
                "capture_mode": capture_mode,
                "gateway": payment.gateway,
                **({"method_types": payment.method_types} if payment.method_types else {}),
            },
            audit="created",
            audit_data={},
        )
    return payment


def payment_intent_resize(*, merchant_id: int, payment_intent_id: str, amount: int, actor: str) -> PaymentTransaction:
    """The payer's amount changed before anything reached the gateway (a gift card applied
    to the session after its intent was created): the intent now asks for `amount`.

    Runs in the caller's transaction (the payer holds its own lock first); locks the
    payment. Only an unpaid intent (pending, or failed with nothing held) may change;
    anything else raises Conflict 409 payment_in_progress, and nothing is written.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("amount must be a positive integer in minor units.", param="amount")
    payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    if payment.state not in (State.PENDING, State.FAILED):
        raise Conflict("This payment is already under way; its amount cannot change.", code="payment_in_progress")
    if payment.amount != amount:
        payment_log(payment, type="amount.changed", actor=actor, data={"from": payment.amount, "to": amount})
        payment.amount = amount
        payment.version += 1
        payment.save(update_fields=["amount", "version", "updated_at"])
    return payment


def check_method_fits(payment: PaymentTransaction, method: PaymentMethod) -> None:
    if method.gateway != payment.gateway:
        raise DomainError(
            "This payment method was tokenized for another gateway.",
            code="payment_method_unusable",
            param="payment_method_id",
        )


def reopen_if_failed(payment: PaymentTransaction, *, actor: str) -> None:
    """FAILED → PENDING for another try, within the merchant's attempt limit (else 409)."""
    if payment.state != State.FAILED:
        return
    if attempts_remaining(payment) <= 0:
        raise AttemptsExhausted()
    payment_transition(payment, "retry", actor=actor, data={"after_attempt": payment.attempt_count})


def check_method_unused_elsewhere(payment: PaymentTransaction, method: PaymentMethod) -> None:
    """An unsaved token pays for one payment intent only (see PaymentMethod.saved)."""
    if method.saved:
        return
    # `used_elsewhere`: asked already with the method (payment_method_in_use_get).
    used = getattr(method, "used_elsewhere", None)
    if used is None:
        used = PaymentTransaction.objects.filter(payment_method=method).exclude(pk=payment.pk).exists()
    if used:
        raise DomainError(
            "This payment method was used for another payment and was not saved for reuse.",
            code="payment_method_used",
            param="payment_method_id",
            explain="tokenize the card again, or attach it with save_method: true the first time",
            status_code=409,
        )


def method_attach(
    payment: PaymentTransaction, method: PaymentMethod, *, actor: str, save: bool = False, defer_save: bool = False
) -> None:
    """The caller holds the payment's lock; the payment is PENDING. `defer_save`: the
    caller saves the payment itself before its transaction ends (with its transition)."""
    check_method_fits(payment, method)
    check_method_unused_elsewhere(payment, method)
    if save and not method.saved:
        # Rows are only ever flipped to saved, never back: no lock needed on the method.
        PaymentMethod.objects.filter(pk=method.pk).update(saved=True)
        method.saved = True
        payment_log(payment, type="payment_method.saved", actor=actor, data={"payment_method_id": method.public_id})
    if payment.payment_method_id == method.pk:
        return
    payment.payment_method = method
    payment.version += 1
    if not defer_save:
        payment.save()
    payment_log(
        payment,
        type="payment_method.attached",
        actor=actor,
        data={"payment_method_id": method.public_id, "brand": method.brand, "last4": method.last4},
    )


def payment_intent_attach_method(
    *, merchant_id: int, payment_intent_id: str, payment_method_id: str, actor: str, save_method: bool = False
) -> PaymentTransaction:
    """Sets the method the next confirm will use; `save_method` keeps it on file for the
    merchant's later payments. Locks the payment. A FAILED intent reopens for another
    attempt (409 attempts_exhausted past the limit); one already being paid is 409
    invalid_state_transition; an unsaved method another intent used is 409
    payment_method_used."""
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        method = payment_method_get(merchant_id=merchant_id, payment_method_id=payment_method_id)
        reopen_if_failed(payment, actor=actor)
        if payment.state != State.PENDING:
            raise InvalidStateTransition(
                f"A payment method cannot be attached to a {payment.state} payment intent.",
                explain=f"attach-method needs 'pending' or 'failed', not '{payment.state}'",
            )
        method_attach(payment, method, actor=actor, save=save_method)
    return payment


def payment_intent_set_method_types(*, merchant_id: int, payment_intent_id: str, method_types, actor: str):
    """Changes what an unpaid intent accepts (a session asked again with another list).
    Locks the payment; one being paid keeps its list (409 invalid_state_transition)."""
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        method_types = list(method_types or [])
        if payment.method_types == method_types:
            return payment
        if payment.state not in (State.PENDING, State.FAILED):
            raise InvalidStateTransition("The methods of a payment under way cannot change.")
        payment_log(
            payment, type="method_types.changed", actor=actor, data={"from": payment.method_types, "to": method_types}
        )
        payment.method_types = method_types
        payment.version += 1
        payment.save()
    return payment
