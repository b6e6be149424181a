"""The BNPL provider interface, beside the card gateways, and the values that cross it.

A provider decides an application (credit check), hosts the shopper's checkout, and
later tells us, by a signed webhook, that the shopper completed it. Every call is network
I/O in principle: `outside_transaction()` guards the boundary, as for card gateways.
"""

import abc
from dataclasses import dataclass

from payments.gateways.base import CardDetails, outside_transaction  # noqa: F401 (re-exported)

APPROVED = "approved"
DECLINED = "declined"

OPEN = "open"
COMPLETED = "completed"
CANCELED = "canceled"


@dataclass(frozen=True)
class ApplicationRequest:
    idempotency_key: str
    amount: int
    currency: str
    plan_code: str
    plan_name: str
    installment_count: int
    interval_unit: str
    interval_count: int
    min_amount: int
    max_amount: int
    email: str
    return_url: str
    metadata: dict


@dataclass(frozen=True)
class Decision:
    status: str  # APPROVED or DECLINED
    reference: str
    redirect_url: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CheckoutState:
    """The shopper's checkout at the provider: still open, completed (with the card the
    installments are to be charged to, as the card vault tokenized it) or canceled."""

    reference: str
    status: str
    gateway: str = ""
    token: str = ""
    card: CardDetails | None = None


class BNPLProvider(abc.ABC):
    name: str
    # The card gateway whose vault holds the tokens this provider hands back.
    card_gateway: str

    @classmethod
    def is_configured(cls) -> bool:
        return True

    @abc.abstractmethod
    def apply(self, request: ApplicationRequest) -> Decision:
        """Submits the application; the same key must answer the same decision."""

    @abc.abstractmethod
    def retrieve(self, *, reference: str) -> CheckoutState: ...

    @abc.abstractmethod
    def cancel(self, *, reference: str) -> CheckoutState:
        """Releases an unfinished checkout (its session expired on our side)."""

    @abc.abstractmethod
    def checkout_from_payload(self, payload: dict) -> tuple[str, CheckoutState, dict]:
        """A verified webhook payload → (event type, the checkout, its metadata)."""
