"""How payments tells the apps above it what happened, without importing them.

An app that cares (checkout) registers a listener in its AppConfig.ready(). Payment
listeners run after the payment's transaction commits (`transaction.on_commit`), outside
it, so they take their own locks in their own transaction and never hold the payment row
while they do. They must be idempotent: the same notice may come again (a retried
webhook, a sync from the gateway). An exception in a listener is logged and does not undo
the payment.

Payability checks are the other exception: payments asks the payable's owner, before a
new gateway call could take money (a confirm) and when an intent is created, whether the
payable may still be paid; see `register_payable_check`.

Dispute listeners (refunds keeps the Dispute records) are the exception: they run inside
the payment's transaction, see `register_dispute_listener`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

logger = logging.getLogger(__name__)

REQUIRES_ACTION = "requires_action"
AUTHORIZED = "authorized"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
# Refunds and disputes: the apps above may record them (a timeline); nothing to decide.
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
DISPUTED = "disputed"
DISPUTE_WON = "dispute_won"
DISPUTE_LOST = "dispute_lost"
# A payment its payable could no longer take was given back (voided or refunded).
RETURNED = "returned"
# The reason of a CANCELED notice for an intent that lapsed (3-D Secure never finished, an
# authorization ran out) rather than one somebody canceled.
EXPIRED_REASON = "expired"


@dataclass(frozen=True)
class PaymentNotice:
    type: str
    merchant_id: int
    payment_intent_id: str
    reference: str
    amount: int
    currency: str
    state: str
    # The payment's version after the change: one notice per transition, for dedupe.
    version: int = 0
    # For `failed`: whether another attempt is still allowed.
    retryable: bool = False
    reason: str = ""


_listeners = []
_event_context_providers = []


def register_event_context(provider):
    """`provider(merchant_id, reference) -> dict` names what the payer's reference is, for
    the merchant's events (checkout answers {"checkout_id": ...} for its sessions). Runs
    inside the payment's transaction: it may read, never write or lock."""
    if provider not in _event_context_providers:
        _event_context_providers.append(provider)
    return provider


def event_context(*, merchant_id: int, reference: str) -> dict:
    context = {}
    if reference:
        for provider in _event_context_providers:
            context.update(provider(merchant_id, reference) or {})
    return context


def register_payment_listener(listener):
    """`listener(notice: PaymentNotice)` runs after each notable payment change commits."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_payment_listener(listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _deliver(listener, notice):
    try:
        listener(notice)
    except Exception:
        logger.exception("payment listener %r failed for %s %s", listener, notice.type, notice.payment_intent_id)


def payment_listeners_notify(notice: PaymentNotice) -> None:
    """Called inside the payment's transaction; delivery waits for the commit."""
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: _deliver(listener, notice))


@dataclass(frozen=True)
class DisputeNotice:
    """What a gateway said about a dispute (chargeback) on one of our payments."""

    merchant_id: int
    payment_pk: int
    payment_intent_id: str
    gateway: str
    gateway_dispute_id: str
    amount: int
    currency: str
    reason: str
    gateway_status: str
    # "" while the dispute is open; "won" or "lost" once the gateway closed it.
    outcome: str
    evidence_due_by: datetime | None
    event_id: str


_dispute_listeners = []


def register_dispute_listener(listener):
    """`listener(notice: DisputeNotice)` runs INSIDE the transaction that applies the
    gateway's dispute event, with the payment row locked, right after the payment's own
    state changed: what it writes commits or rolls back with the event (which is then
    retried). It must not do network I/O and must be idempotent (events are redelivered)."""
    if listener not in _dispute_listeners:
        _dispute_listeners.append(listener)
    return listener


def unregister_dispute_listener(listener) -> None:
    if listener in _dispute_listeners:
        _dispute_listeners.remove(listener)


def dispute_listeners_notify(notice: DisputeNotice) -> None:
    # Unlike payment notices, an exception here propagates: a dispute that could not be
    # recorded must not be marked processed.
    for listener in list(_dispute_listeners):
        listener(notice)


@dataclass(frozen=True)
class Payability:
    payable: bool
    code: str = ""
    message: str = ""
    # What the payable's owner read of the payer with its lock (as its risk-facts provider
    # answers: email, countries, locale), so a confirm's scoring need not ask again.
    facts: dict | None = None


PAYABLE = Payability(payable=True)
_payable_checks = []


def register_payable_check(check):
    """`check(*, merchant_id, reference, payment_intent_id) -> Payability | None` runs
    INSIDE the payment's transaction, before payments locks the payment: it locks the
    payable's own row (house order: the payable first, then the payment) and keeps it
    locked until the transaction ends, so the payable cannot start closing between the
    answer and the claim. `payment_intent_id` is None at creation. None: not its payable."""
    if check not in _payable_checks:
        _payable_checks.append(check)
    return check


def unregister_payable_check(check) -> None:
    if check in _payable_checks:
        _payable_checks.remove(check)


def payable_check(*, merchant_id: int, reference: str, payment_intent_id: str | None) -> Payability:
    """Asks every owner; the first that refuses decides. No reference: nobody owns it.
    A payable verdict carries the payer's facts its owner read (None: not read)."""
    if not reference:
        return PAYABLE
    facts = None
    for check in list(_payable_checks):
        verdict = check(merchant_id=merchant_id, reference=reference, payment_intent_id=payment_intent_id)
        if verdict is not None and not verdict.payable:
            return verdict
        if verdict is not None and verdict.facts is not None:
            facts = {**(facts or {}), **_known(verdict.facts)}
    return PAYABLE if facts is None else Payability(payable=True, facts=facts)


_refund_reservations = []


def register_refund_reservations(reserved):
    """`reserved(*, payment_pk, exclude) -> int`: what an app above payments holds of the
    payment's captured money in refunds not yet recorded (refund requests under review,
    approved, at the gateway). Called with the payment locked, inside its transaction;
    `exclude` is the caller's own reservation (opaque to payments) or None. Payments adds
    them up in the one place that says what may still be refunded."""
    if reserved not in _refund_reservations:
        _refund_reservations.append(reserved)
    return reserved


def unregister_refund_reservations(reserved) -> None:
    if reserved in _refund_reservations:
        _refund_reservations.remove(reserved)


def refund_reservations_total(*, payment_pk: int, exclude=None) -> int:
    return sum(reserved(payment_pk=payment_pk, exclude=exclude) for reserved in list(_refund_reservations))


@dataclass(frozen=True)
class RefundUpdate:
    """The gateway settled a refund it had answered `pending` (Stripe's refund.updated,
    refund.failed): `status` is "succeeded" or "failed"."""

    merchant_id: int
    payment_pk: int
    payment_intent_id: str
    gateway_refund_id: str
    status: str
    amount: int | None
    failure_code: str
    actor: str


_refund_listeners = []


def register_refund_listener(listener):
    """`listener(update: RefundUpdate) -> bool` runs INSIDE the transaction that applies
    the gateway's refund event, with the payment row locked; it returns True when the
    refund was one of its own (and recorded it). No network I/O; idempotent."""
    if listener not in _refund_listeners:
        _refund_listeners.append(listener)
    return listener


def refund_listeners_notify(update: RefundUpdate) -> bool:
    return any([listener(update) for listener in list(_refund_listeners)])


# --- What a payment paid for, line by line --------------------------------------------
# Payments knows amounts, not carts. The app that owns the payable (checkout: the session
# and its order) registers one provider in its AppConfig.ready(); refunds asks it, through
# payments, which lines a payment paid for, so a refund by lines can be checked and priced.


@dataclass(frozen=True)
class PaidLine:
    line_id: str
    quantity: int
    unit_amount: int
    # The line's own share of the cart's discount, and the tax added on top of the price
    # (0 where prices include tax); total_amount = quantity × unit_amount − discount + tax.
    discount_amount: int
    tax_amount: int
    total_amount: int


_paid_lines_provider = None


def register_paid_lines_provider(provider):
    """`provider(*, merchant_id, reference, payment_intent_id) -> list[PaidLine] | None`:
    the lines the payment paid for, None when it paid for no lines the provider knows.
    It only reads, in the caller's transaction."""
    global _paid_lines_provider
    _paid_lines_provider = provider
    return provider


def paid_lines(*, merchant_id: int, reference: str, payment_intent_id: str) -> list[PaidLine] | None:
    if _paid_lines_provider is None:
        return None
    return _paid_lines_provider(merchant_id=merchant_id, reference=reference, payment_intent_id=payment_intent_id)


# What the apps above know of the payer of a payment (by its reference), for fraud
# scoring and for writing to them: {"email", "billing_country", "shipping_country",
# "locale"}. Read inside the confirm's claim transaction: providers only read, never
# lock or write.
_risk_facts_providers = []


def register_risk_facts_provider(provider):
    """`provider(merchant_id=, reference=) -> dict` of the facts it knows ({} if none)."""
    if provider not in _risk_facts_providers:
        _risk_facts_providers.append(provider)
    return provider


def _known(facts: dict) -> dict:
    return {key: value for key, value in facts.items() if value}


def risk_facts_for(*, merchant_id: int, reference: str) -> dict:
    facts = {}
    for provider in list(_risk_facts_providers):
        facts.update(_known(provider(merchant_id=merchant_id, reference=reference) or {}))
    return facts


# Which of the merchant's customers paid (by the payment's reference), for refunds issued
# as store credit: the payable's owner knows (checkout: a session owned by a user).
_customer_provider = None


def register_customer_provider(provider):
    """`provider(*, merchant_id, reference) -> str | None`: the customer id, None for a guest."""
    global _customer_provider
    _customer_provider = provider
    return provider


def payer_customer_id(*, merchant_id: int, reference: str) -> str | None:
    if _customer_provider is None or not reference:
        return None
    return _customer_provider(merchant_id=merchant_id, reference=reference)


# Whose account a bank transfer came from, for a refund sent back there: the statement
# line that paid it knows (reconciliation, above payments, registers the provider).


@dataclass(frozen=True)
class TransferPayer:
    """The account a bank transfer was paid from, as the bank booked it (either may be
    blank: statements do not always say)."""

    iban: str
    name: str


_transfer_payer_provider = None


def register_transfer_payer_provider(provider):
    """`provider(*, payment_pk) -> TransferPayer | None`: the payer's account of a payment
    completed by a bank transfer's credit. A read; runs in the caller's transaction."""
    global _transfer_payer_provider
    _transfer_payer_provider = provider
    return provider


def transfer_payer(*, payment_pk: int) -> TransferPayer | None:
    if _transfer_payer_provider is None:
        return None
    return _transfer_payer_provider(payment_pk=payment_pk)


# --- Money movements, for the balance ledger -------------------------------------------
# Every movement of money payments makes (a charge captured, a refund, a dispute, a gift
# card or store credit part) is told to the registered money listeners INSIDE the
# transaction that moves it, so the ledger's row commits or rolls back with the movement.

CHARGE = "charge"
REFUND = "refund"
DISPUTE = "dispute"
DISPUTE_REVERSAL = "dispute_reversal"
GIFT_CARD = "gift_card"
STORE_CREDIT = "store_credit"
INSTALLMENT = "installment"
# A charge the shopper paid by bank transfer straight into the merchant's own account:
# it counts as the merchant's revenue, but the platform never held the money, so it
# carries no processor fee and is never paid out.
BANK_TRANSFER = "bank_transfer"
# Its refund: an outgoing transfer from that same account, so it never leaves the
# platform's balance either.
BANK_TRANSFER_REFUND = "bank_transfer_refund"


@dataclass(frozen=True)
class MoneyMovement:
    """One movement, signed from the merchant's side: money in is positive.

    `key` names it uniquely for the merchant ("refund:<id>"), so a redelivered event or a
    repeated call records nothing twice. `fee` is what the gateway reported it charged,
    None to let the ledger price it from the merchant's pricing."""

    kind: str
    merchant_id: int
    amount: int
    currency: str
    key: str
    source_type: str
    source_id: str
    payment_pk: int | None = None
    gateway: str = ""
    fee: int | None = None
    description: str = ""


_money_listeners = []


def register_money_listener(listener):
    """`listener(movement: MoneyMovement)` runs inside the moving transaction; an
    exception propagates and undoes the movement. No network I/O; idempotent by `key`."""
    if listener not in _money_listeners:
        _money_listeners.append(listener)
    return listener


def money_moved(movement: MoneyMovement) -> None:
    for listener in list(_money_listeners):
        listener(movement)


# --- Other ways to pay, beside cards --------------------------------------------------
# A payment method family that is not a card (buy now, pay later) lives in its own app
# and plugs into the same endpoints here: confirm, the gateway's webhooks, a sync on the
# shopper's return, refunds and the methods offered. Payments never imports it.

_confirmers = {}


def register_method_confirmer(method_type: str, confirmer):
    """`confirmer(*, merchant_id, payment_intent_id, data, actor, ip) -> PaymentTransaction`
    confirms an intent with `payment_method_data` of `method_type` (claim → call → record,
    like a card) and answers the intent as it then is."""
    _confirmers[method_type] = confirmer
    return confirmer


def method_confirmer(method_type: str):
    return _confirmers.get(method_type)


_gateway_event_handlers = {}


def register_gateway_event_handler(object_type: str, handler):
    """`handler(*, payload, event_id, gateway)` applies a verified gateway event whose
    `data.object.object` is `object_type`. Runs INSIDE the event's transaction (it takes
    its own row locks, in the house order); no network I/O; idempotent (redeliveries)."""
    _gateway_event_handlers[object_type] = handler
    return handler


def gateway_event_handler(payload: dict):
    data = payload.get("data") if isinstance(payload, dict) else None
    item = data.get("object") if isinstance(data, dict) else None
    kind = item.get("object") if isinstance(item, dict) else None
    return _gateway_event_handlers.get(kind) if isinstance(kind, str) else None


_refunders = []


def register_payment_refunder(refunder):
    """`refunder(*, payment_pk, amount, idempotency_key) -> GatewayResult | None` refunds
    a payment that is not one card charge (None: not one of its payments). Same contract
    as payments.services.refunds.payment_gateway_refund: outside any transaction, the
    caller's key makes a repeat refund nothing twice."""
    if refunder not in _refunders:
        _refunders.append(refunder)
    return refunder


def payment_refund_elsewhere(*, payment_pk: int, amount: int, idempotency_key: str):
    """The first registered refunder's result, or None when the payment is a card charge."""
    for refunder in list(_refunders):
        result = refunder(payment_pk=payment_pk, amount=amount, idempotency_key=idempotency_key)
        if result is not None:
            return result
    return None


_syncers = []


def register_payment_syncer(syncer):
    """`syncer(*, payment_pk, actor, source) -> bool`: asks the outside party of a
    payment that is not a card charge how it stands and records it (no transaction open);
    False when the payment is not one of its own."""
    if syncer not in _syncers:
        _syncers.append(syncer)
    return syncer


def payment_sync_elsewhere(*, payment_pk: int, actor: str, source: str) -> bool:
    return any(syncer(payment_pk=payment_pk, actor=actor, source=source) for syncer in list(_syncers))


_method_offers = []


def register_method_offers(offers):
    """`offers(*, merchant, country, currency, amount, channel) -> list[dict]`: the
    options of a method family for GET /payment-methods (read only)."""
    if offers not in _method_offers:
        _method_offers.append(offers)
    return offers


def method_offers(**query) -> list[dict]:
    return [option for offers in list(_method_offers) for option in offers(**query)]


_intent_details_providers = []


def register_intent_details(provider):
    """`provider(payment, *, with_secret: bool) -> dict` adds what the payer's owner knows
    of an intent to its representation (checkout answers checkout_id, calculation_id and,
    for secret-key callers only, client_secret), so retrieving an intent answers what
    creating it did. Read only."""
    if provider not in _intent_details_providers:
        _intent_details_providers.append(provider)
    return provider


def intent_details(payment, *, with_secret: bool) -> dict:
    details = {}
    for provider in list(_intent_details_providers):
        details.update(provider(payment, with_secret=with_secret) or {})
    return details
