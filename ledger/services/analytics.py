"""The daily rollup of payment analytics (seed 002), recomputed from the records.

A day is recomputed whole, as often as wanted: its rows are replaced in one transaction
from a handful of grouped queries (never a query per payment), so a late refund or a
dispute redelivered tomorrow is counted the next time the day is rolled up.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fraud.models import FraudAssessment
from ledger.models import BalanceTransaction, PaymentAnalytics, PaymentMethodAnalytics
from payments.models import PaymentAttempt

Type = BalanceTransaction.Type
SUCCESS = (PaymentAttempt.Status.SUCCEEDED, PaymentAttempt.Status.AUTHORIZED)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def rate(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _ledger_sums(start, end, merchant_id):
    rows = BalanceTransaction.objects.filter(created_at__gte=start, created_at__lt=end)
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    return rows.values("merchant_id", "currency").annotate(
        charged=Sum("amount", filter=Q(type__in=[Type.CHARGE, Type.INSTALLMENT], amount__gt=0), default=0),
        refunded=Sum("amount", filter=Q(type=Type.REFUND), default=0),
        disputed=Sum("amount", filter=Q(type__in=[Type.DISPUTE, Type.DISPUTE_REVERSAL]), default=0),
        fees=Sum("fee", default=0),
        net=Sum("net", filter=Q(cash=True), default=0),
        chargebacks=Count("id", filter=Q(type=Type.DISPUTE)),
    )


def _attempt_counts(start, end, merchant_id):
    rows = PaymentAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
    if merchant_id:
        rows = rows.filter(transaction__merchant_id=merchant_id)
    return rows.values("transaction__merchant_id", "transaction__currency", "payment_method__type").annotate(
        attempts=Count("id"), succeeded=Count("id", filter=Q(status__in=SUCCESS))
    )


def _method_amounts(start, end, merchant_id):
    rows = BalanceTransaction.objects.filter(
        created_at__gte=start, created_at__lt=end, amount__gt=0,
        type__in=[Type.CHARGE, Type.INSTALLMENT, Type.GIFT_CARD, Type.STORE_CREDIT],
    )  # fmt: skip
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    return rows.values("merchant_id", "currency", "type", "payment__payment_method__type").annotate(
        amount=Sum("amount"), count=Count("id")
    )


def _fraud_counts(start, end, merchant_id):
    rows = FraudAssessment.objects.filter(
        created_at__gte=start, created_at__lt=end, status=FraudAssessment.Status.BLOCKED
    )
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    return rows.values("merchant_id", "currency").annotate(blocked=Count("id"))


def analytics_rollup_day(*, day: date, merchant_id: int | None = None) -> int:
    """Recomputes `day` for one merchant, or all; returns how many (merchant, currency)
    rows the day has now. Idempotent: the day's rows are replaced, never added to."""
    start, end = day_bounds(day)
    days = defaultdict(lambda: {"attempts": 0, "succeeded": 0, "methods": defaultdict(lambda: [0, 0, 0])})
    for row in _ledger_sums(start, end, merchant_id):
        days[(row["merchant_id"], row["currency"])].update(row)
    for row in _attempt_counts(start, end, merchant_id):
        entry = days[(row["transaction__merchant_id"], row["transaction__currency"])]
        entry["attempts"] += row["attempts"]
        entry["succeeded"] += row["succeeded"]
        method = entry["methods"][row["payment_method__type"] or "card"]
        method[0] += row["attempts"]
        method[1] += row["succeeded"]
    for row in _method_amounts(start, end, merchant_id):
        method_type = row["type"] if row["type"] in (Type.GIFT_CARD, Type.STORE_CREDIT) else None
        method_type = method_type or row["payment__payment_method__type"] or "card"
        method = days[(row["merchant_id"], row["currency"])]["methods"][method_type]
        if method_type in (Type.GIFT_CARD, Type.STORE_CREDIT):
            # Balances are debited in full or not at all: every use is a success.
            method[0] += row["count"]
            method[1] += row["count"]
        method[2] += row["amount"]
    for row in _fraud_counts(start, end, merchant_id):
        days[(row["merchant_id"], row["currency"])]["blocked"] = row["blocked"]

    with transaction.atomic():
        stale = PaymentAnalytics.objects.filter(date=day)
        if merchant_id:
            stale = stale.filter(merchant_id=merchant_id)
        stale.exclude(
            pk__in=[_write(merchant, currency, day, entry) for (merchant, currency), entry in sorted(days.items())]
        ).delete()
    return len(days)


def _write(merchant_id: int, currency: str, day: date, entry: dict) -> int:
    analytics, _ = PaymentAnalytics.objects.update_or_create(
        merchant_id=merchant_id,
        date=day,
        currency=currency,
        defaults={
            "total_transactions": entry["attempts"],
            "successful_transactions": entry["succeeded"],
            "total_amount": entry.get("charged", 0),
            "total_refunds": -entry.get("refunded", 0),
            "total_disputed": -entry.get("disputed", 0),
            "total_fees": entry.get("fees", 0),
            "net_amount": entry.get("net", 0),
            "success_rate": rate(entry["succeeded"], entry["attempts"]),
            "chargeback_count": entry.get("chargebacks", 0),
            "fraud_count": entry.get("blocked", 0),
        },
    )
    analytics.methods.all().delete()
    PaymentMethodAnalytics.objects.bulk_create(
        PaymentMethodAnalytics(
            analytics=analytics,
            payment_method_type=method_type,
            transaction_count=count,
            total_amount=amount,
            success_rate=rate(succeeded, count),
        )
        for method_type, (count, succeeded, amount) in sorted(entry["methods"].items())
    )
    return analytics.pk


def analytics_rollup_recent(*, today: date | None = None) -> int:
    """The beat job: yesterday (now complete) and today (so far)."""
    today = today or timezone.localdate()
    return analytics_rollup_day(day=today - timedelta(days=1)) + analytics_rollup_day(day=today)
