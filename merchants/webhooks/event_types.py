"""The catalogue of event types merchants can subscribe to, and pattern matching.

A subscription names exact types (`payment.succeeded`), a family (`payment.*`) or every
event (`*`). Later features add their types here, next to the one function that emits
them (`merchants.events.event_emit`).
"""

import re

EVENT_TYPES = {
    "checkout.created": "A checkout session was created.",
    "checkout.pending_approval": "A session waits for the merchant to approve it.",
    "checkout.approved": "The merchant approved the session.",
    "checkout.declined": "The merchant declined the session.",
    "checkout.completed": "The session was paid and finalized.",
    "checkout.failed": "Payment failed for good; the session cannot complete.",
    "checkout.canceled": "The session was canceled.",
    "checkout.expired": "The session passed its time limit.",
    "checkout.finalization_failed": "A paid session could not become an order; its payment was given back.",
    "payment.requires_action": "The payment needs the shopper (e.g. 3-D Secure).",
    "payment.authorized": "Funds are authorized and await capture.",
    "payment.succeeded": "Funds are captured.",
    "payment.failed": "The payment attempt failed.",
    "payment.canceled": "The payment was canceled.",
    "payment.returned": "A payment that succeeded after its session closed was given back (voided or refunded).",
    "payment.over_refunded": "The gateway refunded more than was left to refund on a payment; staff were alerted.",
    "refund.created": "A refund was requested.",
    "refund.approved": "A refund was approved (by the merchant's rules or a reviewer).",
    "refund.needs_info": "A reviewer asked for more information about a refund.",
    "refund.rejected": "A reviewer rejected a refund.",
    "refund.completed": "The gateway refunded the money.",
    "refund.failed": "The gateway did not refund the money.",
    "dispute.created": "The cardholder's bank opened a dispute (chargeback).",
    "dispute.won": "A dispute was closed in the merchant's favour.",
    "dispute.lost": "A dispute was lost: the amount was charged back.",
    "payout.created": "The day's available balance was sent to the merchant's bank.",
    "payout.paid": "A payout reached the merchant's bank.",
    "payout.failed": "The bank returned a payout; its amount is back in the balance.",
    "export.completed": "An export file is ready to download.",
    "gift_card.issued": "A gift card was issued.",
    "gift_card.used": "A gift card paid part or all of a payment.",
    "split_payment.completed": "Every part of a split payment succeeded.",
    "split_payment.failed": "A part of a split payment failed; every part taken was given back.",
    "review.opened": "A payment was held for a fraud review (authorized, not captured).",
    "review.closed": "A fraud review was closed: approved (captured) or refused/lapsed (voided).",
    "webhook_endpoint.disabled": "A webhook endpoint was disabled (410 Gone or failing for days).",
    "webhook_endpoint.enabled": "A disabled webhook endpoint was enabled again.",
    "webhook_endpoint.deleted": "A webhook endpoint was deleted.",
}
# Families whose types arrive with later features; their wildcards are accepted today.
EVENT_FAMILIES = {t.split(".", 1)[0] for t in EVENT_TYPES} | {"refund", "fraud", "installment"}
TEST_EVENT_TYPE = "webhook.test"

_PATTERN = re.compile(r"^(\*|[a-z_]+\.\*|[a-z_]+(\.[a-z_]+)+)$")


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be subscribed to, or None when it can."""
    if not isinstance(pattern, str) or not _PATTERN.match(pattern):
        return f"{pattern!r} is not an event type, a family such as 'payment.*', or '*'."
    if pattern == "*":
        return None
    family = pattern.split(".", 1)[0]
    if pattern.endswith(".*"):
        return None if family in EVENT_FAMILIES else f"Unknown event family {family!r}."
    if pattern not in EVENT_TYPES:
        return f"Unknown event type {pattern!r}."
    return None


def pattern_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def subscribed(patterns, event_type: str) -> bool:
    return any(pattern_matches(p, event_type) for p in patterns)
