"""Reads behind the hosted pages: the session, its payment, and which page it is on."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checkout.models import CheckoutSession
from checkout.selectors import session_get
from core.exceptions import NotFound
from payments.models import PaymentTransaction
from payments.selectors import (
    attempts_remaining,
    payment_has_failed,
    payment_intent_get,
    payment_is_held,
    payment_is_in_flight,
    payment_is_replaceable,
    payment_review_open,
    payment_took_money,
)

Status = CheckoutSession.Status

# Pages a shopper may move between freely while the session's details may still change.
EDITING_PAGES = ("review", "details", "shipping")

# What the shopper reads when a card fails: never the gateway's words, never "fraud".
DECLINE_MESSAGES = {
    "insufficient_funds": _("Your card has insufficient funds."),
    "expired_card": _("Your card has expired."),
    "incorrect_cvc": _("Your card's security code is incorrect."),
    "incorrect_number": _("Your card number is incorrect."),
    "processing_error": _("An error occurred while processing your card. Please try again."),
    "authentication_failed": _("Your bank could not confirm this payment (3-D Secure authentication failed)."),
    "authentication_required": _("Your bank asked to confirm this payment, and it was not confirmed."),
    "payment_canceled": _("The payment was canceled."),
    "credit_check_failed": _("Pay later isn't available for this order. Please pay by card."),
    "amount_out_of_range": _("Pay later isn't available for this amount. Please pay by card."),
    "checkout_expired": _("The pay later checkout was not completed in time. Please try again or pay by card."),
    "bnpl_declined": _("Pay later isn't available for this order. Please pay by card."),
    "fraud_block": _("Your card was declined. Please use another card or payment method."),
    "transaction_limit_exceeded": _("This payment is above a limit the shop set. Please contact the shop."),
}
DEFAULT_DECLINE = _("Your card was declined.")


def hosted_session_get(*, merchant_id: int, checkout_id: str) -> CheckoutSession | None:
    try:
        return session_get(merchant_id=merchant_id, checkout_id=checkout_id)
    except NotFound:
        return None


def session_payment(session: CheckoutSession) -> PaymentTransaction | None:
    if not session.payment_intent_id:
        return None
    try:
        return payment_intent_get(merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id)
    except NotFound:
        return None


def is_past_expiry(session: CheckoutSession, payment: PaymentTransaction | None) -> bool:
    """Expired in the shopper's eyes before the expiry job gets to it; a session whose
    payment went through is never shown as expired."""
    if session.status == Status.EXPIRED:
        return True
    if session.status in (Status.COMPLETED, Status.FAILED, Status.CANCELED, Status.DECLINED):
        return False
    # A payment that took money (or is taking it) leaves the session to the payment time
    # limit: the pages never call it expired before the jobs do.
    if payment is not None and (payment_took_money(payment) or payment_is_in_flight(payment)):
        return False
    now = timezone.now()
    # The approval and payment time limit ends the wait sooner than the session itself.
    deadline = session.payment_deadline_at
    return session.expires_at <= now or (deadline is not None and deadline <= now)


def hosted_stage(session: CheckoutSession, payment: PaymentTransaction | None) -> str:
    """The page the session belongs on now; editing pages are all "review"."""
    if is_past_expiry(session, payment):
        return "expired"
    status = session.status
    if status in (Status.CREATED, Status.COLLECTING):
        return "review"
    if status == Status.AWAITING_APPROVAL:
        return "waiting"
    if status == Status.DECLINED:
        return "declined"
    if status == Status.COMPLETED:
        return "success"
    if status in (Status.FAILED, Status.CANCELED, Status.CLOSING):
        return "closed"  # closing: its payment is being given back, nothing more to pay
    # approved, reserved, payment_processing: where the payment stands decides.
    if payment is None or (payment_is_replaceable(payment) and not payment_has_failed(payment)):
        return "payment"
    if payment_is_held(payment) and payment_review_open(payment):
        return "processing"  # held for a fraud review: "we're checking your payment"
    if payment_took_money(payment):
        return "success"
    if payment_is_in_flight(payment):
        return "processing"
    return "failed" if attempts_remaining(payment) > 0 else "closed"


def allowed_pages(stage: str) -> tuple[str, ...]:
    if stage == "review":
        return EDITING_PAGES
    if stage == "failed":
        return ("failed", "payment")
    return (stage,)


def decline_message(payment: PaymentTransaction | None, code: str = "") -> str:
    if not code and payment is not None:
        code = (payment.last_error or {}).get("code", "")
        decline = (payment.last_error or {}).get("decline_code") or ""
        code = decline if decline in DECLINE_MESSAGES else code
    return DECLINE_MESSAGES.get(code, DEFAULT_DECLINE)
