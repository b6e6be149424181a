"""Card failure codes as Stripe (and so the simulator) say them → our failure codes.

Returns (failure_code, decline_code); the failure code picks the domain error callers see
(payments.exceptions.FAILURE_ERRORS) and the decline code travels with it.
"""

# A decline code that deserves its own error, whatever the top-level code said.
_SPECIFIC = {
    "insufficient_funds": "insufficient_funds",
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "processing_error": "processing_error",
    "authentication_required": "authentication_required",
    "authentication_failed": "authentication_failed",
    "incorrect_number": "incorrect_number",
}
_AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"


def translate_failure(code: str | None, decline_code: str | None) -> tuple[str, str]:
    code, decline_code = code or "", decline_code or ""
    if decline_code in _SPECIFIC:
        return _SPECIFIC[decline_code], decline_code
    if code == _AUTHENTICATION_FAILURE:
        return "authentication_failed", "authentication_failed"
    if code in _SPECIFIC:
        return _SPECIFIC[code], decline_code or code
    return "card_declined", decline_code or "generic_decline"
