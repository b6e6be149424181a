"""Giving a payment's money back, whichever state it is in.

Two callers: an owner closing what the payment paid for (checkout expiring a session,
compensating a finalization that failed, rolling one back), and the belt and braces for a
payment that succeeded when its owner could no longer take it (a late webhook, 3-D Secure
completed after the deadline): `payment_return_request` marks it, and it is given back as
soon as its attempt settles, by whoever runs `payment_return_run` first (the notice's
listener right away, the janitor otherwise).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition
from merchants.events import event_emit
from payments import hooks
from payments.exceptions import GatewayUnavailable, OperationInProgress
from payments.locks import lock_payment, lock_payment_by_pk
from payments.selectors import (
    payment_has_captured_funds,
    payment_intent_get,
    payment_is_held,
    payment_is_in_flight,
    payment_is_unpaid,
    payment_queryset,
)
from payments.services.log import payment_listeners_tell, payment_log, payment_snapshot
from payments.services.operations import payment_intent_cancel, payment_intent_refund

logger = logging.getLogger(__name__)

# What happened to the money.
VOIDED = "voided"
REFUNDED = "refunded"
CANCELED = "canceled"
NOTHING_HELD = "nothing_held"
PENDING = "pending"  # the gateway did not answer: a later run asks again with the same key
IN_FLIGHT = "in_flight"  # a payment attempt is running: nothing can be given back yet
REFUSED = "refused"  # payments or the gateway said no (a dispute, say): staff must look
# Outcomes after which nothing of the payment's money is held any more (or staff own it).
FINISHED = (VOIDED, REFUNDED, CANCELED, NOTHING_HELD, REFUSED)
STAFF_PERMISSION = ("payments", "void_paymenttransaction")


def _split_give_back(*, merchant_id: int, payment_intent_id: str, actor: str) -> None:
    from payments.wallet.split import split_payment_give_back_parts

    split_payment_give_back_parts(merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor)


def payment_intent_give_back(*, merchant_id: int, payment_intent_id: str, actor: str, reason: str) -> str:
    """Voids, cancels or refunds the payment, whichever its state needs; returns what the
    money did (one of the outcomes above).

    Must run outside any transaction (the gateway is called). Safe to repeat: a claimed
    void or refund is repeated with its stored key, and a closed payment is nothing_held.
    """
    if not payment_intent_id:
        return NOTHING_HELD
    payment = payment_intent_get(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    try:
        if payment_has_captured_funds(payment) or payment_is_held(payment):
            # Paid in parts: its gift cards, store credit and other cards go back too.
            _split_give_back(merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor)
        if payment_has_captured_funds(payment):
            refunded = payment_intent_refund(merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor)
            # Answered `pending`: not back yet; the gateway's refund event settles it.
            return PENDING if refunded.pending_operation else REFUNDED
        if payment_is_held(payment) or payment_is_unpaid(payment):
            held = payment_is_held(payment)
            payment_intent_cancel(
                merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor, reason=reason
            )
            return VOIDED if held else CANCELED
    except (GatewayUnavailable, OperationInProgress) as exc:
        logger.warning("could not give back payment %s yet: %s", payment_intent_id, exc.code)
        return PENDING
    except InvalidStateTransition:
        # It moved under us (an attempt started, a webhook settled it): look again.
        payment = payment_intent_get(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    except DomainError as exc:
        logger.error("payment %s could not be given back: %s", payment_intent_id, exc.code)
        return REFUSED
    if payment_is_in_flight(payment):
        return IN_FLIGHT
    if payment_has_captured_funds(payment) or payment_is_held(payment):
        return PENDING
    return NOTHING_HELD


def _staff_emails() -> list[str]:
    app_label, codename = STAFF_PERMISSION
    has_permission = (
        Q(is_superuser=True)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
        | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    )
    users = get_user_model().objects.filter(has_permission, is_active=True, is_staff=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _alert_staff(payment_intent_id: str, reason: str) -> None:
    recipients = _staff_emails()
    if recipients:
        send_mail(
            subject=f"Payment {payment_intent_id} is being given back automatically",
            message=(
                f"Payment {payment_intent_id} succeeded after what it paid for could no longer take it.\n"
                f"Why: {reason}\nIt is voided or refunded automatically; its event log shows how.\n"
                f"{settings.PUBLIC_BASE_URL}/admin/payments/paymenttransaction/?q={payment_intent_id}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )


def payment_return_request(*, merchant_id: int, payment_intent_id: str, actor: str, reason: str) -> bool:
    """Marks the payment to be given back once its attempt settles, and alerts staff.

    Runs in the caller's open transaction; the caller has locked its own payable first
    (house order), this locks the payment. Idempotent: returns False when already marked.
    """
    payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    if payment.return_requested_at is not None:
        return False
    payment.return_requested_at = timezone.now()
    payment.return_reason = reason[:500]
    payment.save()
    payment_log(payment, type="return.requested", actor=actor, data={"reason": reason, "state": payment.state})
    # The staff alert: a log line at error level (monitoring pages on it), the event row
    # and the admin's "to give back" filter, and an email to who may void payments.
    logger.error("payment %s must be given back: %s (state %s)", payment.public_id, reason, payment.state)
    transaction.on_commit(lambda: _alert_staff(payment_intent_id, reason), robust=True)
    return True


def payment_return_run(*, payment_pk: int, actor: str) -> bool:
    """Gives back a payment marked for return, once its attempt settled; True when
    nothing is left to do. No transaction may be open (the gateway is called)."""
    payment = payment_queryset().get(pk=payment_pk)
    if payment.return_requested_at is None:
        return True
    if payment_is_in_flight(payment):
        return False
    outcome = payment_intent_give_back(
        merchant_id=payment.merchant_id, payment_intent_id=payment.public_id, actor=actor, reason=payment.return_reason
    )
    if outcome not in FINISHED:
        return False
    with transaction.atomic(durable=True):
        payment = lock_payment_by_pk(payment_pk)
        if payment.return_requested_at is None:
            return True
        reason = payment.return_reason
        payment.return_requested_at = None
        payment.save()
        payment_log(payment, type="return.completed", actor=actor, data={"outcome": outcome, "reason": reason})
        if outcome == REFUSED:
            # Payments or the gateway would not give it back (a dispute opened, say):
            # the money is now staff's to sort out, and they are told so.
            logger.error("payment %s could not be given back automatically: %s", payment.public_id, reason)
            transaction.on_commit(lambda: _alert_staff(payment.public_id, f"REFUSED, act by hand: {reason}"))
        elif outcome != NOTHING_HELD:
            event_emit(
                merchant_id=payment.merchant_id,
                type="payment.returned",
                payment_intent_id=payment.public_id,
                correlation_id=payment.reference,
                data={"outcome": outcome, "reason": reason, "payment": payment_snapshot(payment)},
            )
        payment_listeners_tell(payment, hooks.RETURNED, reason=outcome)
    return True
