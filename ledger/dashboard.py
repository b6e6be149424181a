"""The finance dashboard's numbers: per day over a range, per currency, from the rolled-up
analytics and the payouts. Apps above the ledger (reconciliation) add their own series
through `register_series`, so the dashboard shows them without importing them."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Sum

from core.backoffice.display import badge
from core.money import currency_exponent, format_minor, is_currency
from ledger.models import PaymentAnalytics, Payout

_series_providers = []


def register_series(provider):
    """`provider(*, merchant_id, date_from, date_to) -> list[dict]` of charts, each
    {"title", "kind": "bar"|"line", "labels": [iso dates], "datasets": [{"label", "data"}]},
    plus "stacked": True for stacked bars, and "currency" and "exponent" when the data are
    amounts in minor units (the page draws them in major units, formatted with the
    currency). It only reads."""
    if provider not in _series_providers:
        _series_providers.append(provider)
    return provider


def _days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def dashboard_charts(*, date_from: date, date_to: date, merchant_id: int | None = None) -> list[dict]:
    days = _days(date_from, date_to)
    labels = [d.isoformat() for d in days]
    rows = PaymentAnalytics.objects.filter(date__gte=date_from, date__lte=date_to)
    payouts = Payout.objects.filter(payout_date__gte=date_from, payout_date__lte=date_to)
    if merchant_id:
        rows, payouts = rows.filter(merchant_id=merchant_id), payouts.filter(merchant_id=merchant_id)
    per_day = defaultdict(dict)
    for row in rows.values("date", "currency").annotate(
        volume=Sum("total_amount"), refunds=Sum("total_refunds"), fees=Sum("total_fees"),
        disputed=Sum("total_disputed"), chargebacks=Sum("chargeback_count"),
        attempts=Sum("total_transactions"), succeeded=Sum("successful_transactions"),
    ):  # fmt: skip
        per_day[row["currency"]][row["date"]] = row
    charts = []
    for currency in sorted(per_day):
        series = per_day[currency]

        def pick(field, series=series):
            return [series.get(d, {}).get(field) or 0 for d in days]

        attempts, succeeded = pick("attempts"), pick("succeeded")
        money = {"currency": currency, "exponent": currency_exponent(currency)} if is_currency(currency) else {}
        charts += [
            _chart(f"Daily volume ({currency})", "bar", labels, [("Captured", pick("volume"))], **money),
            _chart(
                "Success rate (%)", "line", labels,
                [(currency, [round(100 * s / a, 1) if a else None for s, a in zip(succeeded, attempts, strict=True)])],
            ),
            _chart(
                f"Refunds, fees and disputes ({currency})", "bar", labels,
                [("Refunds", pick("refunds")), ("Fees", pick("fees")), ("Disputed", pick("disputed"))], **money,
            ),
            _chart(f"Disputes opened ({currency})", "bar", labels, [("Chargebacks", pick("chargebacks"))]),
        ]  # fmt: skip
    by_status = defaultdict(lambda: defaultdict(int))
    for row in payouts.values("payout_date", "status").annotate(n=Count("id")):
        by_status[row["status"]][row["payout_date"]] = row["n"]
    charts.append(
        _chart(
            "Payouts by status", "bar", labels,
            [(status, [by_status[status][d] for d in days]) for status in Payout.Status.values],
        )
    )  # fmt: skip
    for provider in list(_series_providers):
        charts += provider(merchant_id=merchant_id, date_from=date_from, date_to=date_to)
    return charts


def _chart(title, kind, labels, datasets, **extra) -> dict:
    return {
        "title": title, "kind": kind, "labels": labels, "datasets": [{"label": n, "data": d} for n, d in datasets],
        **extra,
    }  # fmt: skip


def range_totals(*, date_from: date, date_to: date, merchant_id: int | None = None) -> list[dict]:
    """The range in figures, one card per currency: volume, success rate, refunds, fees,
    disputes and net, formatted with the currency (amounts stay integers until shown)."""
    rows = PaymentAnalytics.objects.filter(date__gte=date_from, date__lte=date_to)
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    totals = []
    for row in rows.values("currency").order_by("currency").annotate(
        volume=Sum("total_amount"), refunds=Sum("total_refunds"), fees=Sum("total_fees"),
        disputed=Sum("total_disputed"), net=Sum("net_amount"), attempts=Sum("total_transactions"),
        succeeded=Sum("successful_transactions"),
    ):  # fmt: skip
        currency, attempts = row["currency"], row["attempts"] or 0
        rate = f"{100 * row['succeeded'] / attempts:.1f} %" if attempts else "—"
        totals.append(
            {
                "currency": currency,
                "figures": [
                    ("volume", "Captured", format_minor(row["volume"], currency)),
                    ("success_rate", "Success rate", rate),
                    ("refunds", "Refunded", format_minor(row["refunds"], currency)),
                    ("fees", "Fees", format_minor(row["fees"], currency)),
                    ("disputed", "Disputed", format_minor(row["disputed"], currency)),
                    ("net", "Net", format_minor(row["net"], currency)),
                ],
            }
        )
    return totals


def payout_totals(*, merchant_id: int | None = None):
    rows = Payout.objects.values("currency", "status").annotate(n=Count("id"), amount=Sum("amount"))
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    return [
        {**row, "amount_display": format_minor(row["amount"], row["currency"]), "status_badge": badge(row["status"])}
        for row in rows.order_by("currency", "status")
    ]
