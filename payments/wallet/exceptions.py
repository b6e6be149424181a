"""Gift card, store credit and split payment errors: each its own code and status."""

from core.exceptions import Conflict, DomainError, NotFound


class GiftCardNotFound(NotFound):
    # Another merchant's card answers exactly like a wrong code: nothing tells them apart.
    code = "gift_card_not_found"
    default_message = "No gift card matches this code."


class GiftCardExpired(DomainError):
    status_code = 422
    code = "gift_card_expired"
    default_message = "This gift card has expired."


class GiftCardDisabled(DomainError):
    status_code = 422
    code = "gift_card_disabled"
    default_message = "This gift card is disabled."


class GiftCardCurrencyMismatch(DomainError):
    status_code = 422
    code = "gift_card_currency_mismatch"
    default_message = "This gift card is in another currency."


class GiftCardEmpty(DomainError):
    status_code = 422
    code = "gift_card_empty"
    default_message = "This gift card has no balance left."


class InsufficientBalance(DomainError):
    """At the moment of paying, the instrument holds less than its part (spent elsewhere)."""

    status_code = 402
    error_type = "card_error"
    code = "insufficient_balance"
    default_message = "The gift card or store credit no longer covers its part."


class StoreCreditUnavailable(DomainError):
    status_code = 422
    code = "store_credit_unavailable"
    default_message = "There is no store credit for this customer in this currency."


class GiftCardCodeTaken(Conflict):
    code = "gift_card_code_taken"
    default_message = "A gift card with this code already exists."


class TooManyAttempts(DomainError):
    status_code = 429
    error_type = "rate_limit_error"
    code = "too_many_attempts"
    default_message = "Too many wrong gift card codes; wait a few minutes and try again."

    def __init__(self, message=None, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds, sent as Retry-After


class SplitInvalid(DomainError):
    code = "split_invalid"
    default_message = "The split's allocations are invalid."
