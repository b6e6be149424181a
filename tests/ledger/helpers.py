"""Reading the ledger back, and the sums it must add up to."""

from django.db.models import Sum

from ledger.models import BalanceTransaction
from payments.models import PaymentTransaction

CAPTURED = 5000  # the payments helpers' digital cart, in USD cents
FEE = 175  # 2.9% of 5000 (145) + 30


def rows(merchant, **filters):
    return list(
        BalanceTransaction.objects.filter(merchant=merchant, **filters)
        .order_by("id")
        .values_list("type", "amount", "fee", "net", "currency")
    )


def ledger_net(merchant, currency="USD") -> int:
    total = BalanceTransaction.objects.filter(merchant=merchant, currency=currency, cash=True).aggregate(s=Sum("net"))
    return total["s"] or 0


def expected_net(merchant, currency="USD", *, open_disputes=0) -> int:
    """captured − refunded (refunds and lost chargebacks) − open disputes − fees, from the
    payments' own columns and the ledger's fee column."""
    payments = PaymentTransaction.objects.filter(merchant=merchant, currency=currency)
    sums = payments.aggregate(captured=Sum("amount_captured"), refunded=Sum("amount_refunded"))
    fees = BalanceTransaction.objects.filter(merchant=merchant, currency=currency, cash=True).aggregate(f=Sum("fee"))
    return (sums["captured"] or 0) - (sums["refunded"] or 0) - open_disputes - (fees["f"] or 0)


def balance_transactions_insert(merchant_id: int, count: int, *, day) -> None:
    """`count` charge rows on `day`, made by PostgreSQL in one INSERT ... SELECT over
    generate_series: the volume tests and bench/exports.py need rows, not the Python
    that would build them (which would blur what they measure)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ledger_balancetransaction
                (public_id, merchant_id, type, amount, fee, net, currency, cash, available_on, source_type,
                 source_id, key, gateway, gateway_reference, description, created_at)
            SELECT 'txn_' || %(tag)s || '_' || n, %(merchant)s, 'charge', amount, fee, amount - fee, 'USD', true,
                   %(day)s::date + 2, 'payment', 'pi_' || %(tag)s || '_' || n, 'series:' || %(tag)s || ':' || n,
                   'simulator', '', '', %(day)s::date + make_interval(secs => n %% 86400)
            FROM generate_series(1, %(count)s) AS n,
                 LATERAL (SELECT 1000 + n %% 5000 AS amount) AS a,
                 LATERAL (SELECT 30 + amount * 29 / 1000 AS fee) AS f
            """,
            {"merchant": merchant_id, "day": day, "count": count, "tag": day.strftime("%Y%m%d")},
        )
