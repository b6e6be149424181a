"""Refund errors, each with its stable code and HTTP status."""

from core.exceptions import Conflict, DomainError


class RefundExceedsCaptured(DomainError):
    """More than is left to refund: captured minus refunded minus refunds in flight."""

    status_code = 400
    code = "refund_exceeds_captured"
    default_message = "The refund would exceed what is left of the captured amount."


class ReviewerNotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "Only refund approvers may review refunds."


class FourEyesRequired(DomainError):
    """The person who asked for a refund cannot also approve it."""

    status_code = 403
    code = "four_eyes_required"
    default_message = "A refund must be approved by someone other than its requester."


class RefundCallInFlight(Conflict):
    """Another worker's gateway call for this refund has not answered yet."""

    code = "refund_in_progress"
    default_message = "This refund is being sent to the gateway; retry shortly."
