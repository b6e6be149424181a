"""Reads of orders, receipts, finalization jobs and the hosted return page's status."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checkout.models import Calculation, CheckoutSession, FinalizationJob, Order
from checkout.selectors import payment_intent_summary_for, session_get
from core.exceptions import NotFound
from payments.hooks import PaidLine
from payments.selectors import payment_column_of_intent, payment_order_status, payments_orderable
from payments.wallet.split import split_refund_columns, split_refund_status

Status = CheckoutSession.Status
# Where the shopper's browser goes once the session has ended, one way or the other.
ENDED_BADLY = frozenset({Status.FAILED, Status.DECLINED, Status.EXPIRED, Status.CANCELED})
DEFAULT_AUTO_FINALIZE_SECONDS = 120


def orders_with_payment(queryset):
    """Orders annotated with their payment's state and captured amount as they are now (see
    `order_payment_status`), in the same query."""
    return queryset.annotate(
        payment_state=payment_column_of_intent("state"),
        payment_amount_captured=payment_column_of_intent("amount_captured"),
        **split_refund_columns(),
    )


def order_payment_status(order: Order) -> str:
    """Where the order's payment stands now: captured, authorized, partially_refunded,
    refunded, disputed, canceled or expired (settled_outside when it was paid by other
    means). Read from the payment, annotated by `orders_with_payment`; an order not read
    through it was just written from the locked payment, so its snapshot is current. A
    split-paid order counts every part: its card's intent refunded whole while a gift card
    part keeps money is a partially refunded order."""
    if order.payment_status == Order.PaymentStatus.SETTLED_OUTSIDE:
        return order.payment_status
    status = payment_order_status(getattr(order, "payment_state", None))
    if status is None:
        return order.payment_status
    return split_refund_status(
        status, amount=getattr(order, "split_amount", None), refunded=getattr(order, "split_refunded", None)
    )


def order_payments(order: Order) -> list[dict]:
    """What paid for the order, each with its amount (the finalize-time record); an order
    made before that record was kept shows its method for the whole amount."""
    if order.payments:
        return order.payments
    method = order.payment_method
    if not method:
        return []
    return [{"type": "card", "amount": order.amount, **method, "payment_intent_id": order.payment_intent_id}]


def order_amount_captured(order: Order) -> int:
    captured = getattr(order, "payment_amount_captured", None)
    if order.payment_status == Order.PaymentStatus.SETTLED_OUTSIDE or captured is None:
        return order.amount_captured
    return captured


def order_get(*, merchant_id: int, order_id: str) -> Order:
    order = orders_with_payment(Order.objects.select_related("merchant", "session")).filter(
        merchant_id=merchant_id, public_id=order_id
    )
    found = order.first()
    if found is None:
        raise NotFound("No such order.", param="order_id")
    return found


def order_for_session(session: CheckoutSession) -> Order | None:
    return Order.objects.filter(session=session).first()


def order_by_receipt(*, receipt_id: str) -> Order | None:
    """The order behind a receipt link; None for an unknown id (the page answers 404)."""
    return orders_with_payment(Order.objects.select_related("merchant")).filter(receipt_id=receipt_id).first()


def finalization_job_get(*, merchant_id: int, job_id: str) -> FinalizationJob:
    job = (
        FinalizationJob.objects.select_related("session", "order")
        .filter(merchant_id=merchant_id, public_id=job_id)
        .first()
    )
    if job is None:
        raise NotFound("No such finalization job.", param="job_id")
    return job


def with_checkout_id(url: str, checkout_id: str) -> str | None:
    """The merchant's return URL with `checkout_id` added to its query, or None if unset."""
    if not url:
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "checkout_id"]
    query.append(("checkout_id", checkout_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def hosted_status_get(*, merchant_id: int, checkout_id: str) -> dict:
    """What the merchant's return page (or the hosted page) needs to show the outcome."""
    session = session_get(merchant_id=merchant_id, checkout_id=checkout_id)
    order = order_for_session(session)
    summary = payment_intent_summary_for(session)
    if session.status == Status.COMPLETED:
        redirect_url = with_checkout_id(session.success_url, session.public_id)
    elif session.status in ENDED_BADLY:
        redirect_url = with_checkout_id(session.error_url, session.public_id)
    else:
        redirect_url = None
    return {
        "object": "checkout.hosted_status",
        "checkout_id": session.public_id,
        "status": session.status,
        "status_reason": session.status_reason,
        "order_id": order.public_id if order else None,
        "redirect_url": redirect_url,
        "payment_intent_id": summary["id"] if summary else None,
        "payment_intent_status": summary["status"] if summary else None,
        "payment_deadline_at": session.payment_deadline_at,
        "expires_at": session.expires_at,
    }


@dataclass(frozen=True)
class PaidSession:
    session_pk: int
    merchant_id: int
    checkout_id: str
    paid_at: datetime
    finalize_after: timedelta


def auto_finalize_delay(merchant) -> timedelta:
    try:
        seconds = int((merchant.extra_settings or {}).get("auto_finalize_after_seconds", DEFAULT_AUTO_FINALIZE_SECONDS))
    except (TypeError, ValueError):
        seconds = DEFAULT_AUTO_FINALIZE_SECONDS
    return timedelta(seconds=max(seconds, 0))


def sessions_paid_unfinalized(*, limit: int) -> list[PaidSession]:
    """Sessions still in payment_processing whose payment is captured (or authorized for
    manual capture), with when that happened and the merchant's finalize delay.

    Starts from the payments side: only paid intents qualify, so sessions that merely
    wait for a shopper never crowd out the ones that need an order.
    """
    waiting = CheckoutSession.objects.filter(status=Status.PAYMENT_PROCESSING, order__isnull=True).exclude(
        payment_intent_id=""
    )
    paid = payments_orderable().filter(public_id__in=waiting.values("payment_intent_id")).order_by("id")[:limit]
    by_intent = {payment.public_id: payment for payment in paid}
    sessions = waiting.filter(payment_intent_id__in=list(by_intent)).select_related("merchant")
    found = []
    for session in sessions:
        payment = by_intent[session.payment_intent_id]
        if payment.merchant_id != session.merchant_id:
            continue
        found.append(
            PaidSession(
                session_pk=session.pk,
                merchant_id=session.merchant_id,
                checkout_id=session.public_id,
                paid_at=payment.completed_at or payment.authorized_at or payment.updated_at,
                finalize_after=auto_finalize_delay(session.merchant),
            )
        )
    return found


def session_paid_lines(*, merchant_id: int, reference: str, payment_intent_id: str) -> list[PaidLine] | None:
    """The lines a session's payment paid for: the calculation its order was made from,
    or, before the order, the session's current one. Registered with payments as the
    paid-lines provider (refunds by line); None for a payment that is not the session's."""
    session = CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=reference).first()
    if session is None:
        return None
    order = Order.objects.filter(session=session, payment_intent_id=payment_intent_id).first()
    if order is not None:
        calculation = Calculation.objects.filter(session=session, public_id=order.calculation_id).first()
    elif session.payment_intent_id == payment_intent_id:
        calculation = Calculation.objects.filter(session=session).order_by("-id").first()
    else:
        return None
    if calculation is None:
        return None
    return [
        PaidLine(
            line_id=line["line_id"],
            quantity=line["quantity"],
            unit_amount=line["unit_amount"],
            discount_amount=line["discount_amount"],
            tax_amount=0 if calculation.prices_include_tax else line["tax_amount"],
            total_amount=line["total_amount"],
        )
        for line in calculation.lines
    ]
