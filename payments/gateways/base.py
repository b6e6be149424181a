"""The one interface every gateway implements, and the plain values that cross it.

A gateway translates its outside system's answers and errors into these values and into
payments.exceptions; nothing above this line sees a vendor type. Every call is network
I/O in principle, so `outside_transaction()` guards the boundary.
"""

import abc
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from core.exceptions import DomainError

# What an authorization (or a later look at one) can come to.
SUCCEEDED = "succeeded"  # captured
AUTHORIZED = "authorized"  # held, awaiting capture
REQUIRES_ACTION = "requires_action"  # 3-D Secure or another redirect
PROCESSING = "processing"  # accepted, answer comes later (webhook)
FAILED = "failed"
CANCELED = "canceled"
NOT_FOUND = "not_found"  # the gateway never saw the call


@dataclass(frozen=True)
class CardDetails:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str


@dataclass(frozen=True)
class TokenizedCard:
    token: str
    card: CardDetails


@dataclass(frozen=True)
class AuthorizeRequest:
    amount: int
    currency: str
    token: str
    capture: bool
    idempotency_key: str
    return_url: str
    metadata: dict


@dataclass(frozen=True)
class GatewayResult:
    status: str
    reference: str = ""
    amount: int | None = None
    action_url: str = ""
    action: dict | None = None
    failure_code: str = ""
    decline_code: str = ""
    message: str = ""
    raw: dict = field(default_factory=dict)


# How a dispute ended, in our words.
DISPUTE_WON = "won"
DISPUTE_LOST = "lost"


@dataclass(frozen=True)
class DisputeInfo:
    """A dispute (chargeback) as the gateway describes it, in our words.

    `outcome` is "" while it is open, DISPUTE_WON or DISPUTE_LOST once it is closed;
    `status` keeps the gateway's own word (needs_response, under_review, …).
    """

    id: str
    amount: int
    currency: str
    reason: str
    status: str
    outcome: str
    evidence_due_by: datetime | None


@dataclass(frozen=True)
class RefundInfo:
    """A refund as the gateway reports it later (Stripe's refund.updated, refund.failed,
    charge.refund.updated): `status` is SUCCEEDED, FAILED or PROCESSING (still pending)."""

    gateway_refund_id: str
    status: str
    amount: int | None = None
    failure_code: str = ""


@dataclass(frozen=True)
class GatewayNotice:
    """An inbound event, verified and normalized.

    `payment_intent` / `attempt` are our ids as the gateway echoes them in metadata;
    `reference` is the gateway's own id for the payment.
    """

    event_id: str
    type: str
    reference: str
    payment_intent: str
    attempt: str
    result: GatewayResult | None
    payload: dict
    dispute: DisputeInfo | None = None
    refund: RefundInfo | None = None


def outside_transaction() -> None:
    """Refuses a gateway call while a database transaction is open (claim → call → record).

    Atomic blocks opened by the test framework itself do not count: they stand for the
    test's isolation, not for a transaction of ours.
    """
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("A gateway call must not run inside a database transaction.")


class Gateway(abc.ABC):
    name: str
    # The request header that carries this gateway's webhook signature.
    signature_header: str
    # Whether card numbers may pass through our server to this gateway's vault. A gateway
    # with its own browser library (Stripe.js) keeps them out of our scope entirely.
    takes_card_numbers: bool = True

    @classmethod
    def is_configured(cls) -> bool:
        """Whether the platform can serve merchants on this gateway (its credentials are set)."""
        return True

    def ping(self) -> None:
        """Raises GatewayUnavailable when the gateway cannot be reached with our
        credentials (GET /health). One that runs in this process reaches itself."""
        return None

    @abc.abstractmethod
    def tokenize(self, *, number: str, exp_month: int, exp_year: int, cvc: str) -> TokenizedCard: ...

    def card_method(self, *, reference: str) -> TokenizedCard:
        """A card the shopper's browser gave the gateway directly (its own payment method
        id): what may be shown of it. Raises NotFound when the gateway has no such card."""
        raise DomainError(
            "This merchant's gateway takes no payment method ids; tokenize the card instead.",
            code="payment_method_unsupported",
            param="payment_method",
        )

    @abc.abstractmethod
    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        """Creates and confirms the payment; the same key must never charge twice."""

    @abc.abstractmethod
    def capture(self, *, reference: str, amount: int, idempotency_key: str) -> GatewayResult: ...

    @abc.abstractmethod
    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult: ...

    @abc.abstractmethod
    def refund(self, *, reference: str, amount: int, idempotency_key: str) -> GatewayResult: ...

    @abc.abstractmethod
    def retrieve(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        """The payment's current outcome; NOT_FOUND when the gateway never saw the key."""

    @abc.abstractmethod
    def verify_webhook(self, *, body: bytes, headers) -> dict:
        """The event's payload once signature and timestamp check out; raises
        WebhookSignatureInvalid otherwise."""

    @abc.abstractmethod
    def notice_from_payload(self, payload: dict) -> GatewayNotice:
        """A stored, already verified payload → what it says about a payment."""
