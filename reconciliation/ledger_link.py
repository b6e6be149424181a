"""What reconciliation reads from the ledger (balance transactions and payouts).

Read-only, and in one module so that the matcher and the report ask the same questions.
"""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Q, Sum


def _models():
    from ledger.models import BalanceTransaction, Payout

    return BalanceTransaction, Payout


def payouts_by_token(merchant_id: int, tokens) -> dict:
    """{public_id or reference: payout} for the payouts a set of line tokens names."""
    _, Payout = _models()
    tokens = list(tokens)
    if not tokens:
        return {}
    found = {}
    for payout in Payout.objects.filter(merchant_id=merchant_id).filter(
        Q(public_id__in=tokens) | Q(reference__in=tokens)
    ):
        found[payout.public_id] = payout
        if payout.reference:
            found[payout.reference] = payout
    return found


def payouts_by_pk(pks) -> dict:
    _, Payout = _models()
    return Payout.objects.in_bulk(list(pks))


def charge_fees(payment_pks) -> dict:
    """{payment pk: fee kept on its charge} (net = captured − fee), one query."""
    BalanceTransaction, _ = _models()
    rows = (
        BalanceTransaction.objects.filter(payment_id__in=list(payment_pks), type="charge")
        .values("payment_id")
        .annotate(fee=Sum("fee"))
    )
    return {row["payment_id"]: row["fee"] for row in rows}


def dispute_withdrawals(merchant_id: int, gateway_dispute_ids) -> dict:
    """{gateway dispute id: (amount, net, day)} of the money each dispute withdrew: its
    `dispute` row (negative; net is less the dispute fee), one query."""
    BalanceTransaction, _ = _models()
    ids = [value for value in gateway_dispute_ids if value]
    if not ids:
        return {}
    rows = BalanceTransaction.objects.filter(
        merchant_id=merchant_id, type="dispute", source_type="dispute", source_id__in=ids
    ).values_list("source_id", "amount", "net", "created_at")
    return {source_id: (amount, net, created_at.date()) for source_id, amount, net, created_at in rows}


def payouts_expected(merchant_id: int, day: date) -> list:
    """Payouts the processor says should reach the bank on `day` (not failed)."""
    _, Payout = _models()
    return list(Payout.objects.filter(merchant_id=merchant_id, arrival_date=day).exclude(status="failed"))


def balance_totals(merchant_id: int, day: date) -> dict:
    """{currency: {gross, fees, refunds, disputes, net, count}} of the day's balance
    transactions (by creation day), payouts left out: they move money, they earn none."""
    BalanceTransaction, _ = _models()
    totals = defaultdict(lambda: {"gross": 0, "fees": 0, "refunds": 0, "disputes": 0, "net": 0, "count": 0})
    rows = (
        BalanceTransaction.objects.filter(merchant_id=merchant_id, created_at__date=day)
        .exclude(type__in=["payout", "payout_failure"])
        .values("currency", "type")
        .annotate(amount=Sum("amount"), fee=Sum("fee"), net=Sum("net"), count=Count("id"))
    )
    for row in rows:
        figures = totals[row["currency"]]
        figures["fees"] += row["fee"]
        figures["net"] += row["net"]
        figures["count"] += row["count"]
        if row["type"] == "refund":
            figures["refunds"] += row["amount"]
        elif row["type"] in ("dispute", "dispute_reversal"):
            figures["disputes"] += row["amount"]
        else:
            figures["gross"] += row["amount"]
    return dict(totals)


def available() -> bool:
    try:
        _models()
    except (ImportError, LookupError):
        return False
    return True


def payouts_search(merchant_id: int, query: str, amount: int | None) -> list:
    _, Payout = _models()
    condition = Q(public_id__startswith=query) | Q(reference=query)
    if amount is not None:
        condition |= Q(amount=abs(amount))
    return list(Payout.objects.filter(merchant_id=merchant_id).filter(condition).order_by("-arrival_date")[:20])
