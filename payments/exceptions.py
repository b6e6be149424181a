"""Payment errors: what gateways' failures become at the boundary, with code and status.

Declines carry shopper-safe text only; the gateway's own words stay in the event log.
"""

from core.exceptions import Conflict, DomainError
from fraud.exceptions import FraudBlocked, ReviewPending

__all__ = ["FraudBlocked", "ReviewPending"]  # re-exported: the apps above see payment errors here


class CardError(DomainError):
    status_code = 402
    error_type = "card_error"
    code = "payment_declined"
    default_message = "The card was declined."


class PaymentDeclined(CardError):
    code = "payment_declined"


class InsufficientFunds(CardError):
    # The API document names this `payment_declined:insufficient_funds`: the code says the
    # card was declined, decline_code (and explain.reason) says why.
    code = "payment_declined"
    default_message = "The card has insufficient funds."


class ExpiredCard(CardError):
    code = "expired_card"
    default_message = "The card has expired."


class IncorrectCvc(CardError):
    code = "incorrect_cvc"
    default_message = "The card's security code is incorrect."


class ProcessingError(CardError):
    code = "processing_error"
    default_message = "An error occurred while processing the card; try again."


class AuthenticationRequired(CardError):
    code = "authentication_required"
    default_message = "The card requires authentication."


class AuthenticationFailed(CardError):
    code = "authentication_failed"
    default_message = "The card's 3-D Secure authentication failed."


class IncorrectNumber(CardError):
    code = "incorrect_number"
    default_message = "The card number is incorrect."


class CardNumbersRefused(DomainError):
    """A card number sent to us for a merchant whose gateway collects cards in the
    browser (Stripe): the number must go to Stripe.js, never through our server."""

    status_code = 400
    code = "card_numbers_refused"
    default_message = (
        "This merchant's payments run on Stripe: collect the card in the browser with Stripe.js "
        "(https://js.stripe.com/v3/, a card Element) and send the PaymentMethod id it creates "
        'as {"type": "card", "payment_method": "pm_..."}. Card numbers are not accepted here.'
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("param", "card")
        kwargs.setdefault("explain", "https://docs.stripe.com/js/payment_methods/create_payment_method")
        super().__init__(**kwargs)


class GatewayUnavailable(DomainError):
    """The gateway did not answer (502) or said it cannot now (503); safe to retry."""

    status_code = 502
    error_type = "api_error"
    code = "gateway_unavailable"
    default_message = "The payment gateway is unavailable; retry later."


class WebhookSignatureInvalid(DomainError):
    status_code = 400
    code = "webhook_signature_invalid"
    default_message = "The signature is missing, invalid or too old."


class AttemptsExhausted(Conflict):
    code = "attempts_exhausted"
    default_message = "This payment has used all the attempts its merchant allows."


class OperationInProgress(Conflict):
    code = "operation_in_progress"
    default_message = "Another request is working on this payment; retry shortly."


class PaymentNotCaptured(Conflict):
    code = "payment_not_captured"
    default_message = "This payment intent has captured no funds to refund."


class PaymentDisputed(Conflict):
    code = "payment_disputed"
    default_message = "This payment is disputed: it cannot be refunded until the dispute is closed."


class PaymentPaidByTransfer(Conflict):
    """A gateway refund asked of a payment the shopper made by bank transfer."""

    code = "refund_needs_transfer"
    default_message = (
        "This payment was made by bank transfer: it is refunded by a transfer back to the payer's account, "
        "not through the card gateway."
    )


class BNPLDeclined(CardError):
    """The buy now, pay later provider turned the application down; `decline_code` says why
    (credit_check_failed, amount_out_of_range). The shopper may pay another way."""

    code = "bnpl_declined"
    default_message = "Buy now, pay later is not available for this purchase. Please choose another way to pay."


# Our failure codes (as gateways translate them) → the error a caller sees.
FAILURE_ERRORS = {
    "card_declined": PaymentDeclined,
    "insufficient_funds": InsufficientFunds,
    "expired_card": ExpiredCard,
    "incorrect_cvc": IncorrectCvc,
    "processing_error": ProcessingError,
    "authentication_required": AuthenticationRequired,
    "authentication_failed": AuthenticationFailed,
    "incorrect_number": IncorrectNumber,
    "fraud_block": FraudBlocked,
    "bnpl_declined": BNPLDeclined,
}

RETRYABLE_FAILURES = frozenset({"processing_error"})


# What the shopper can do next, by failure code: the frontend's guidance in `explain`.
NEXT_STEPS = {
    "insufficient_funds": "use_another_payment_method",
    "expired_card": "use_another_payment_method",
    "incorrect_cvc": "correct_card_details",
    "incorrect_number": "correct_card_details",
    "processing_error": "retry",
    "authentication_required": "retry_with_authentication",
    "authentication_failed": "use_another_payment_method",
    "bnpl_declined": "use_another_payment_method",
}


def decline_explain(*, code: str, decline_code: str, message: str, failure_code: str) -> dict:
    """The `explain` payload of a card error: one readable reason and what to do next."""
    return {
        "reason": f"{code}:{decline_code}" if decline_code and decline_code != code else code,
        "decline_code": decline_code or None,
        "shopper_message": message,
        "retryable": failure_code in RETRYABLE_FAILURES,
        "next_step": NEXT_STEPS.get(failure_code, "use_another_payment_method"),
    }


def card_error(error_class, *, failure_code: str, decline_code: str = "", message: str = "", extra=None):
    error = error_class(message or None, extra={"decline_code": decline_code or None, **(extra or {})})
    error.explain = decline_explain(
        code=error.code, decline_code=decline_code, message=error.message, failure_code=failure_code
    )
    return error


def failure_error(*, failure_code: str, decline_code: str = "", message: str = "", extra=None) -> CardError:
    """The domain error for a recorded failure; decline_code and explain travel in the envelope."""
    error_class = FAILURE_ERRORS.get(failure_code, PaymentDeclined)
    return card_error(error_class, failure_code=failure_code, decline_code=decline_code, message=message, extra=extra)


class PayableClosed(Conflict):
    """The payable's owner says it can no longer take money (a session closing or closed)."""

    code = "session_not_payable"
    default_message = "This payment can no longer be made: what it pays for is closing or closed."
