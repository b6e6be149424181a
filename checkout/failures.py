"""One vocabulary for why a checkout failed or is stuck, used by GET /failures, the
remediation service and the session's stored `failure_code`."""

from checkout.models import CheckoutSession

Status = CheckoutSession.Status

PAYMENT_DECLINED = "payment_declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
INVENTORY_SHORTFALL = "inventory_shortfall"
FRAUD_BLOCK = "fraud_block"
VALIDATION = "validation"
FINALIZATION_FAILED = "finalization_failed"
EXPIRED_UNPAID = "expired_unpaid"
APPROVAL_DECLINED = "approval_declined"

REASONS = [
    PAYMENT_DECLINED,
    INSUFFICIENT_FUNDS,
    INVENTORY_SHORTFALL,
    FRAUD_BLOCK,
    VALIDATION,
    FINALIZATION_FAILED,
    EXPIRED_UNPAID,
    APPROVAL_DECLINED,
]
# Failures a new payment method can fix.
PAYMENT_REASONS = frozenset({PAYMENT_DECLINED, INSUFFICIENT_FUNDS})

# Error codes of a finalization that did not go through → the reason it is listed under.
# A promotion used up by other orders between calculation and order is the cart's data
# no longer holding, as much as stale totals are.
_VALIDATION_CODES = frozenset(
    {"session_not_ready", "amount_mismatch", "missing_billing_address", "cart_empty", "invalid_promotion"}
)

FAILURE_STATUSES = frozenset({Status.FAILED, Status.EXPIRED, Status.DECLINED})


def reason_for_payment_failure(code: str) -> str:
    """A payment's failure code (payments.exceptions.FAILURE_ERRORS) → our reason."""
    if code in (INSUFFICIENT_FUNDS, FRAUD_BLOCK):
        return code
    return PAYMENT_DECLINED


def reason_for_finalization_error(code: str) -> str:
    if code == INVENTORY_SHORTFALL:
        return INVENTORY_SHORTFALL
    if code in _VALIDATION_CODES:
        return VALIDATION
    return FINALIZATION_FAILED


def default_reason(status: str) -> str:
    """The reason of a session entering `status` when its caller named none."""
    return {Status.EXPIRED: EXPIRED_UNPAID, Status.DECLINED: APPROVAL_DECLINED}.get(status, FINALIZATION_FAILED)
