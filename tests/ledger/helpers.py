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
    payments' own columns and the ledger's fee column. Bank transfers are left out: the
    shopper paid them into the merchant's own account, so the platform owes nothing for them."""
    payments = PaymentTransaction.objects.filter(merchant=merchant, currency=currency).exclude(
        payment_method__type="bank_transfer"
    )
    sums = payments.aggregate(captured=Sum("amount_captured"), refunded=Sum("amount_refunded"))
    fees = BalanceTransaction.objects.filter(merchant=merchant, currency=currency, cash=True).aggregate(f=Sum("fee"))
    return (sums["captured"] or 0) - (sums["refunded"] or 0) - open_disputes - (fees["f"] or 0)
