from core.exceptions import Conflict, DomainError


class FraudBlocked(DomainError):
    """Shopper-safe: never says which rule fired."""

    status_code = 402
    error_type = "card_error"
    code = "fraud_block"
    default_message = "The payment was declined."


class ReviewPending(Conflict):
    code = "fraud_review_pending"
    default_message = "The payment is being reviewed; it can be finalized once the review approves it."


class TransactionLimitExceeded(DomainError):
    status_code = 402
    error_type = "card_error"
    code = "transaction_limit_exceeded"
    default_message = "This payment is above a limit the merchant set."
