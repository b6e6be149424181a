"""Reads of payment state; never write."""

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum

from core.exceptions import NotFound
from fraud.selectors import review_is_open
from merchants.models import Merchant
from payments import hooks
from payments.models import GatewayEvent, PaymentAttempt, PaymentMethod, PaymentTransaction, State

# Our states → the status merchants know from Stripe. FAILED reads as
# requires_payment_method while another attempt is allowed, as Stripe's would.
API_STATUS = {
    State.PROCESSING: "processing",
    State.REQUIRES_ACTION: "requires_action",
    State.AUTHORIZED: "requires_capture",
    State.COMPLETED: "succeeded",
    State.CANCELLED: "canceled",
    State.EXPIRED: "expired",
    State.PARTIALLY_REFUNDED: "partially_refunded",
    State.REFUNDED: "refunded",
    State.DISPUTED: "disputed",
}

# What an order says of its payment: finalize writes it once, but a manual capture, refunds
# and disputes move the payment afterwards, so the order reads it from the payment's state.
ORDER_PAYMENT_STATUS = {
    State.AUTHORIZED: "authorized",
    State.COMPLETED: "captured",
    State.PARTIALLY_REFUNDED: "partially_refunded",
    State.REFUNDED: "refunded",
    State.DISPUTED: "disputed",
    State.CANCELLED: "canceled",
    State.EXPIRED: "expired",
}

CARD_BRANDS = ["visa", "mastercard", "amex", "discover"]
# What a payment intent can be paid with today, and the names the API document uses for
# the others, so a request naming them is answered with what was left out, by name.
ACCEPTED_METHOD_TYPES = ("card", "buy_now_pay_later")
DOCUMENTED_METHOD_TYPES = ("card", "paypal", "apple_pay", "bank_transfer", "buy_now_pay_later")


# Named predicates: the apps above payments ask these, never compare state strings.
def payment_is_settled(payment: PaymentTransaction) -> bool:
    """Captured, untouched by refunds or disputes: it can still become an order."""
    return payment.state == State.COMPLETED


def payment_is_held(payment: PaymentTransaction) -> bool:
    """Authorized and not captured: an authorization can be voided."""
    return payment.state == State.AUTHORIZED


def payment_is_in_flight(payment: PaymentTransaction) -> bool:
    """An attempt is running at the gateway (or waits for 3-D Secure): nothing can be
    given back until it settles."""
    return payment.state in (State.PROCESSING, State.REQUIRES_ACTION)


def payment_is_unpaid(payment: PaymentTransaction) -> bool:
    """Open with nothing at the gateway: cancelling it calls no one."""
    return payment.state in (State.PENDING, State.FAILED)


def payment_has_captured_funds(payment: PaymentTransaction) -> bool:
    """Captured money not all given back (a refund may draw on it; a dispute may not)."""
    return payment.state in (State.COMPLETED, State.PARTIALLY_REFUNDED)


def payment_is_closed(payment: PaymentTransaction) -> bool:
    return payment.state in (State.CANCELLED, State.EXPIRED, State.REFUNDED)


def payment_needs_action(payment: PaymentTransaction) -> bool:
    """Waiting for the shopper (3-D Secure): the next_action says where to send them."""
    return payment.state == State.REQUIRES_ACTION


def payment_has_failed(payment: PaymentTransaction) -> bool:
    """The last attempt was refused; another may be made within the attempt limit."""
    return payment.state == State.FAILED


def payment_is_replaceable(payment: PaymentTransaction) -> bool:
    """Nothing at the gateway and nothing taken: a new intent may stand in for it."""
    return payment.state in (State.PENDING, State.FAILED, State.CANCELLED, State.EXPIRED)


def payment_took_money(payment: PaymentTransaction) -> bool:
    """Authorized or captured at some point, whatever happened after (refund, dispute)."""
    return payment.state in (
        State.AUTHORIZED, State.COMPLETED, State.PARTIALLY_REFUNDED, State.REFUNDED, State.DISPUTED
    )  # fmt: skip


def payment_is_manual_capture(payment: PaymentTransaction) -> bool:
    return payment.capture_mode == PaymentTransaction.CaptureMode.MANUAL


def payments_orderable():
    """Intents an order can be made from: captured, or authorized for manual capture."""
    manual = PaymentTransaction.CaptureMode.MANUAL
    return payment_queryset().filter(Q(state=State.COMPLETED) | Q(state=State.AUTHORIZED, capture_mode=manual))


def intent_method_types(method_types) -> list[str]:
    """What an intent accepts: the types it was created with; none named means card."""
    return list(method_types) if method_types else ["card"]


def attempts_remaining(payment: PaymentTransaction) -> int:
    return max(payment.merchant.max_payment_attempts - payment.attempt_count, 0)


def payment_api_status(payment: PaymentTransaction) -> str:
    if payment.state == State.PENDING:
        return "requires_confirmation" if payment.payment_method_id else "requires_payment_method"
    if payment.state == State.FAILED:
        return "requires_payment_method" if attempts_remaining(payment) else "failed"
    return API_STATUS[payment.state]


def redirect_return_outcome(payment: PaymentTransaction) -> str:
    """What the shopper back from a redirect is told: "succeeded", "confirming" (the money
    is being taken and a webhook or charge will settle it: refresh) or "failed".

    A buy now, pay later checkout completed at the provider waits in requires_action
    until its first installment is charged, moments later: that is not a failure."""
    if payment.state in (State.COMPLETED, State.AUTHORIZED, State.PARTIALLY_REFUNDED, State.REFUNDED, State.DISPUTED):
        return "succeeded"
    if payment.state == State.PROCESSING:
        return "confirming"
    if payment.state == State.REQUIRES_ACTION and payment.bnpl_applications.filter(state="completed").exists():
        return "confirming"
    return "failed"


def payment_order_status(state: str | None) -> str | None:
    """The order-facing status of a payment in `state`; None before it took money."""
    return ORDER_PAYMENT_STATUS.get(state)


def payment_states_for_order_status(status: str) -> list[str]:
    return [state for state, shown in ORDER_PAYMENT_STATUS.items() if shown == status]


def payment_column_of_intent(field: str, *, merchant_ref: str = "merchant_id", intent_ref: str = "payment_intent_id"):
    """`field` of the intent an outer row names, for annotating a queryset of rows that keep
    an intent id (orders): read in the same query, not one per row."""
    rows = PaymentTransaction.objects.filter(merchant_id=OuterRef(merchant_ref), public_id=OuterRef(intent_ref))
    return Subquery(rows.values(field)[:1])


def payment_next_action(payment: PaymentTransaction) -> dict | None:
    """The API document's shape, {"type": "redirect", "url"}, with why (`reason`) and the
    same in Stripe's shape (`redirect_to_url`) for integrations written against Stripe."""
    action = payment.next_action
    if payment.state != State.REQUIRES_ACTION or not action:
        return None
    if action.get("type") == "redirect_to_url":
        url, return_url = action.get("url", ""), payment.return_url or None
        return {
            "type": "redirect",
            "url": url,
            "return_url": return_url,
            # A card redirects for 3-D Secure; other methods name their reason
            # (`bnpl_redirect`: the shopper finishes at the BNPL provider).
            "reason": action.get("reason") or "3ds_challenge",
            "redirect_to_url": {"url": url, "return_url": return_url},
        }
    return action


def payment_intent_find_by_reference(*, reference: str) -> PaymentTransaction | None:
    """The newest intent made for a payer's reference (a checkout id), by it alone."""
    return payment_queryset().filter(reference=reference).order_by("-created_at", "-pk").first()


def payment_review_open(payment: PaymentTransaction) -> bool:
    """Whether the payment is held for a fraud review: the predicate the apps above ask
    before treating an authorized payment as paid (finalize, the hosted pages)."""
    return review_is_open(merchant_id=payment.merchant_id, payment_intent_id=payment.public_id)


def payment_queryset():
    return PaymentTransaction.objects.select_related("merchant", "payment_method")


def payment_intent_get(*, merchant_id: int, payment_intent_id: str) -> PaymentTransaction:
    payment = payment_queryset().filter(merchant_id=merchant_id, public_id=payment_intent_id).first()
    if payment is None:
        raise NotFound("No such payment intent.", param="id")
    return payment


def payment_intent_find(*, payment_intent_id: str) -> PaymentTransaction | None:
    """By id alone, for callers that have no merchant yet (a shopper's browser returning)."""
    return payment_queryset().filter(public_id=payment_intent_id).first()


def payment_intent_summary(payment: PaymentTransaction) -> dict:
    return {
        "id": payment.public_id,
        "status": payment_api_status(payment),
        "amount": payment.amount,
        "currency": payment.currency,
        "next_action": payment_next_action(payment),
    }


def payment_intent_summaries(*, payment_intent_ids) -> dict:
    """{payment intent id: (merchant pk, summary)} in one query; callers check the merchant."""
    ids = [pid for pid in payment_intent_ids if pid]
    if not ids:
        return {}
    payments = PaymentTransaction.objects.select_related("merchant").filter(public_id__in=ids)
    return {payment.public_id: (payment.merchant_id, payment_intent_summary(payment)) for payment in payments}


def payment_method_get(*, merchant_id: int, payment_method_id: str) -> PaymentMethod:
    method = PaymentMethod.objects.filter(merchant_id=merchant_id, public_id=payment_method_id).first()
    if method is None:
        raise NotFound("No such payment method.", param="payment_method_id")
    return method


def payment_method_in_use_get(
    *, merchant_id: int, payment_method_id: str, payment: PaymentTransaction
) -> PaymentMethod:
    """The method, knowing in the same query whether another intent than `payment` uses it
    (`used_elsewhere`, which check_method_unused_elsewhere reads instead of asking again)."""
    method = (
        PaymentMethod.objects.filter(merchant_id=merchant_id, public_id=payment_method_id)
        .annotate(
            used_elsewhere=Exists(
                PaymentTransaction.objects.filter(payment_method_id=OuterRef("pk")).exclude(pk=payment.pk)
            )
        )
        .first()
    )
    if method is None:
        raise NotFound("No such payment method.", param="payment_method_id")
    return method


def current_attempt(payment: PaymentTransaction) -> PaymentAttempt | None:
    return payment.attempts.order_by("-number").first()


def payment_methods_available(
    *, merchant: Merchant, country: str = "", currency: str = "", channel: str = "", amount: int | None = None
):
    """What the merchant accepts for this country, currency, channel (and amount).

    Cards go everywhere the merchant sells in a currency it supports; a point-of-sale
    channel has no browser for a 3-D Secure redirect, so it is offered without it. Other
    method families (buy now, pay later) add their options where they fit.
    """
    if currency and currency not in merchant.supported_currencies:
        return []
    others = hooks.method_offers(merchant=merchant, country=country, currency=currency, amount=amount, channel=channel)
    return [
        {
            "type": "card",
            "gateway": merchant.gateway,
            "brands": CARD_BRANDS,
            "currencies": [currency] if currency else list(merchant.supported_currencies),
            "country": country or None,
            "three_d_secure": channel != "pos",
            "capture_methods": ["auto", "manual"],
        },
        *others,
    ]


def gateway_event_list(*, status: str | None = None):
    qs = GatewayEvent.objects.order_by("-received_at")
    return qs.filter(status=status) if status else qs


def payment_paid_lines(payment: PaymentTransaction):
    """The lines `payment` paid for (payments.hooks.PaidLine), as the payable's owner
    tells; None when it names none."""
    return hooks.paid_lines(
        merchant_id=payment.merchant_id, reference=payment.reference, payment_intent_id=payment.public_id
    )


def payment_reference(*, merchant_id: int, payment_intent_id: str) -> str:
    """What the intent pays for (its payer's reference, e.g. a checkout session), else the
    intent's own id; "" for an unknown intent (the view answers 404 after)."""
    if "\x00" in payment_intent_id:
        return ""  # PostgreSQL refuses NUL in a query; no intent has one
    row = (
        PaymentTransaction.objects.filter(merchant_id=merchant_id, public_id=payment_intent_id)
        .values_list("reference", "public_id")
        .first()
    )
    return (row[0] or row[1]) if row else ""


def payment_failure_facts(*, payment_intent_ids) -> dict:
    """{payment intent id: (merchant pk, facts)} in one query, for lists of failed
    checkouts: whether the intent holds nothing (a new one may replace it) and the last
    failure's codes. Callers check the merchant."""
    ids = [pid for pid in payment_intent_ids if pid]
    if not ids:
        return {}
    facts = {}
    for payment in PaymentTransaction.objects.select_related("merchant").filter(public_id__in=ids):
        error = payment.last_error or {}
        facts[payment.public_id] = (
            payment.merchant_id,
            {
                "status": payment_api_status(payment),
                "replaceable": payment_is_replaceable(payment),
                "failure_code": error.get("code") or None,
                "decline_code": error.get("decline_code") or None,
                "message": error.get("message") or None,
            },
        )
    return facts


def payment_latency(*, merchant_id: int, since) -> dict:
    """Gateway calls of the merchant's payment attempts answered since `since`: how many
    and their mean duration in milliseconds (None without calls)."""
    from django.db.models import Avg, Count

    stats = PaymentAttempt.objects.filter(
        transaction__merchant_id=merchant_id, answered_at__gte=since, duration_ms__isnull=False
    ).aggregate(count=Count("id"), avg=Avg("duration_ms"))
    return {"count": stats["count"], "avg_ms": round(stats["avg"]) if stats["avg"] is not None else None}


def payment_attempts_overdue(*, merchant_id: int, older_than) -> list[dict]:
    """The merchant's attempts still waiting on the gateway since before `older_than`."""
    attempts = (
        PaymentAttempt.objects.filter(
            transaction__merchant_id=merchant_id,
            status__in=[PaymentAttempt.Status.PENDING, PaymentAttempt.Status.UNKNOWN, PaymentAttempt.Status.PROCESSING],
            answered_at__isnull=True,
            claimed_at__lte=older_than,
        )
        .select_related("transaction")
        .order_by("claimed_at")[:100]
    )
    return [
        {
            "id": attempt.public_id,
            "payment_intent_id": attempt.transaction.public_id,
            "reference": attempt.transaction.reference,
            "status": attempt.status,
            "started_at": attempt.claimed_at,
        }
        for attempt in attempts
    ]


def gateway_events_oldest_unprocessed():
    """When the oldest inbound gateway event still waiting to be processed arrived (None:
    none waits). Platform-wide: gateway events are matched to merchants when processed."""
    return (
        GatewayEvent.objects.filter(status=GatewayEvent.Status.RECEIVED)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )


def payments_volume_since(since) -> list[tuple[str, int]]:
    """Money captured since `since`, per currency, largest first: [(currency, minor units)]."""
    rows = (
        PaymentTransaction.objects.filter(completed_at__gte=since, amount_captured__gt=0)
        .values("currency")
        .annotate(total=Sum("amount_captured"))
        .order_by("-total")
    )
    return [(row["currency"], row["total"]) for row in rows]


def attempts_success_since(since) -> tuple[int, int]:
    """(succeeded, decided) gateway attempts settled since `since`: authorized or captured
    against declined and failed; canceled ones (abandoned 3-D Secure, voids) are left out."""
    Status = PaymentAttempt.Status
    counts = PaymentAttempt.objects.filter(
        settled_at__gte=since, status__in=[Status.SUCCEEDED, Status.AUTHORIZED, Status.FAILED]
    ).aggregate(
        decided=Count("id"),
        succeeded=Count("id", filter=Q(status__in=[Status.SUCCEEDED, Status.AUTHORIZED])),
    )
    return counts["succeeded"], counts["decided"]


def payment_awaits_transfer(payment: PaymentTransaction | None) -> bool:
    """Waiting for the shopper's bank transfer (its instructions are the next_action)."""
    from payments.services.bank_transfers import is_awaiting_transfer

    return payment is not None and is_awaiting_transfer(payment)


def paid_by_transfer(payment: PaymentTransaction) -> bool:
    """The payment was (or is to be) paid by the shopper's bank transfer. The locks load the
    method with the payment (select_related): no query of its own."""
    return payment.payment_method_id is not None and payment.payment_method.type == "bank_transfer"


def bank_transfer_shown(payment: PaymentTransaction | None, *, locale: str) -> dict | None:
    """A waiting bank transfer's instructions as the shopper reads them (hosted page,
    email): the IBAN in groups of four as printed on bank documents, the amount and the
    deadline in `locale`. None unless the payment waits for a transfer."""
    from core.money import format_minor
    from payments.services.bank_transfers import BANK_TRANSFER_ACTION

    if not payment_awaits_transfer(payment):
        return None
    given = payment.next_action[BANK_TRANSFER_ACTION]
    iban = given["iban"].replace(" ", "")
    deadline = datetime.fromisoformat(given["expires_at"])
    return {
        "account_holder": given.get("account_holder", ""),
        "iban": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
        "iban_compact": iban,
        "bic": given.get("bic", ""),
        "amount": format_minor(given["amount"], given["currency"], locale),
        "reference": given["reference"],
        "deadline": _deadline_text(deadline, locale),
        "deadline_at": deadline,
    }


def _deadline_text(moment: datetime, locale: str) -> str:
    """The locale's long date and short time with the zone ("December 2, 2026, 5:05 PM
    UTC", "2. Dezember 2026, 17:05 UTC"): to the minute, which reads earlier than the
    deadline itself, never later."""
    from babel import Locale
    from babel.dates import format_datetime

    spoken = Locale.parse(locale)
    pattern = (
        str(spoken.datetime_formats["long"])
        .replace("{1}", spoken.date_formats["long"].pattern)
        .replace("{0}", spoken.time_formats["short"].pattern + " z")
    )
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=spoken)
