"""Reads for the metrics endpoint, the dashboard and reconciliation; never a write."""

from collections import defaultdict
from datetime import date

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum

from checkout.models import CheckoutSession
from ledger.models import BalanceTransaction, PaymentAnalytics, PaymentMethodAnalytics, Payout
from ledger.services.analytics import day_bounds, rate
from payments.models import PaymentAttempt, PaymentEvent, State

Status = CheckoutSession.Status


def checkout_kpis(*, merchant_id: int, date_from: date, date_to: date) -> dict:
    """Seed 001 section 16, as its README defines them, over sessions created in the
    range: initiated = created; abandon rate = expired or canceled ÷ initiated;
    conversion = completed ÷ initiated; average seconds from creation to the order."""
    start, _ = day_bounds(date_from)
    _, end = day_bounds(date_to)
    sessions = CheckoutSession.objects.filter(merchant_id=merchant_id, created_at__gte=start, created_at__lt=end)
    counts = sessions.aggregate(
        initiated=Count("id"),
        completed=Count("id", filter=Q(status=Status.COMPLETED)),
        abandoned=Count("id", filter=Q(status__in=[Status.EXPIRED, Status.CANCELED])),
        time_to_purchase=Avg(
            ExpressionWrapper(F("order__created_at") - F("created_at"), output_field=DurationField()),
            filter=Q(order__isnull=False),
        ),
    )
    attempts = PaymentAttempt.objects.filter(
        transaction__merchant_id=merchant_id, created_at__gte=start, created_at__lt=end
    ).count()
    challenges = PaymentEvent.objects.filter(
        transaction__merchant_id=merchant_id,
        created_at__gte=start,
        created_at__lt=end,
        to_state=State.REQUIRES_ACTION,
    ).count()
    initiated = counts["initiated"]
    elapsed = counts["time_to_purchase"]
    return {
        "checkout_initiated": initiated,
        "checkout_completed": counts["completed"],
        "checkout_abandoned": counts["abandoned"],
        "payment_attempts": attempts,
        "3ds_challenges": challenges,
        "abandon_rate": float(rate(counts["abandoned"], initiated)),
        "conversion_rate": float(rate(counts["completed"], initiated)),
        "avg_time_to_purchase": round(elapsed.total_seconds(), 3) if elapsed is not None else None,
    }


def _analytics_public(row: PaymentAnalytics, methods) -> dict:
    return {
        "date": row.date.isoformat(),
        "currency": row.currency,
        "total_transactions": row.total_transactions,
        "successful_transactions": row.successful_transactions,
        "total_amount": row.total_amount,
        "total_refunds": row.total_refunds,
        "total_disputed": row.total_disputed,
        "total_fees": row.total_fees,
        "net_amount": row.net_amount,
        "success_rate": float(row.success_rate),
        "chargeback_count": row.chargeback_count,
        "fraud_count": row.fraud_count,
        "payment_methods": [
            {
                "payment_method_type": m.payment_method_type,
                "transaction_count": m.transaction_count,
                "total_amount": m.total_amount,
                "success_rate": float(m.success_rate),
            }
            for m in methods
        ],
    }


def analytics_daily(*, merchant_id: int, date_from: date, date_to: date) -> list[dict]:
    """The rolled-up days of the range, oldest first: two queries however long it is."""
    rows = list(
        PaymentAnalytics.objects.filter(merchant_id=merchant_id, date__gte=date_from, date__lte=date_to).order_by(
            "date", "currency"
        )
    )
    methods = defaultdict(list)
    for method in PaymentMethodAnalytics.objects.filter(analytics__in=[r.pk for r in rows]).order_by(
        "payment_method_type"
    ):
        methods[method.analytics_id].append(method)
    return [_analytics_public(row, methods[row.pk]) for row in rows]


def analytics_by_method(*, merchant_id: int, date_from: date, date_to: date) -> list[dict]:
    """The range's totals per currency and payment method type."""
    rows = (
        PaymentMethodAnalytics.objects.filter(
            analytics__merchant_id=merchant_id, analytics__date__gte=date_from, analytics__date__lte=date_to
        )
        .values("analytics__currency", "payment_method_type")
        .annotate(count=Sum("transaction_count"), amount=Sum("total_amount"))
        .order_by("analytics__currency", "payment_method_type")
    )
    return [
        {
            "currency": row["analytics__currency"],
            "payment_method_type": row["payment_method_type"],
            "transaction_count": row["count"],
            "total_amount": row["amount"],
        }
        for row in rows
    ]


def balance_summary(*, merchant_id: int) -> list[dict]:
    """Per currency: what the cash rows add up to, what is available now and what waits."""
    from django.utils import timezone

    today = timezone.localdate()
    rows = (
        BalanceTransaction.objects.filter(merchant_id=merchant_id, cash=True)
        .values("currency")
        .annotate(
            balance=Sum("net"),
            available=Sum("net", filter=Q(payout__isnull=True, available_on__lte=today), default=0),
            pending=Sum("net", filter=Q(payout__isnull=True, available_on__gt=today), default=0),
        )
        .order_by("currency")
    )
    return list(rows)


def payouts_recent(*, merchant_id: int | None = None, limit: int = 30):
    payouts = Payout.objects.select_related("merchant").order_by("-payout_date", "-id")
    if merchant_id:
        payouts = payouts.filter(merchant_id=merchant_id)
    return list(payouts[:limit])
