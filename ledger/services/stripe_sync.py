"""Stripe pays its merchants out itself: the ledger reads Stripe's payouts and the
balance transactions each one paid, instead of simulating them.

Per Stripe payout not yet known, in one transaction: a Payout (gateway "stripe") and its
negative `payout` row; our rows for the charges, refunds and disputes (withdrawn, or
returned when won) it paid are claimed by it; where Stripe's fee on a charge or a dispute
differs from the priced one, an `adjustment` row carries the difference, so the ledger's
fees are Stripe's. What cannot be matched is left to
reconciliation to show as a difference: it is never papered over here.
"""

import logging
from datetime import UTC, datetime

from django.db import transaction

from core.exceptions import DomainError
from ledger.models import BalanceTransaction, Payout
from merchants.models import Merchant
from payments.gateways import gateway_named
from payments.gateways.stripe import StripeGateway
from payments.models import PaymentAttempt

logger = logging.getLogger(__name__)
STATUSES = {"paid": Payout.Status.PAID, "failed": Payout.Status.FAILED}
Type = BalanceTransaction.Type
# Stripe's word for a row → ours. A dispute's rows are `adjustment`s in Stripe's `type`;
# their `reporting_category` says which.
_OURS = {
    "charge": Type.CHARGE,
    "payment": Type.CHARGE,
    "refund": Type.REFUND,
    "payment_refund": Type.REFUND,
    "dispute": Type.DISPUTE,
    "dispute_reversal": Type.DISPUTE_REVERSAL,
}
# Rows whose fee is the processor's to set (a refund's and a reversal's are nothing).
_PRICED = (Type.CHARGE, Type.DISPUTE)


def _ours(row: dict) -> str | None:
    category = row.get("reporting_category")
    if category in ("dispute", "dispute_reversal"):
        return _OURS[category]
    return _OURS.get(row.get("type"))


def _day(timestamp):
    return datetime.fromtimestamp(int(timestamp), tz=UTC).date()


def _intent_of(row: dict) -> str:
    source = row.get("source") or {}
    return source.get("payment_intent") or "" if isinstance(source, dict) else ""


def stripe_payouts_sync(*, merchant_id: int) -> int:
    """Imports the Stripe payouts not yet known (network calls first, no lock held; then
    one short transaction per payout). Returns how many were imported. Idempotent: a
    payout is unique by its Stripe id; a known one only follows Stripe's status."""
    gateway = gateway_named("stripe")
    imported = 0
    for data in gateway.payouts():
        known = Payout.objects.filter(gateway="stripe", gateway_reference=data["id"]).first()
        if known is not None:
            _follow_status(known.pk, data.get("status"))
            continue
        rows = gateway.payout_balance_transactions(payout=data["id"])
        if _import(merchant_id, data, rows) is not None:
            imported += 1
    return imported


def _follow_status(payout_pk: int, status: str) -> None:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_pk)
        if payout.status == Payout.Status.PENDING and status == "paid":
            payout.mark_paid(at=datetime.now(tz=UTC))
            payout.save()
        elif payout.status == Payout.Status.PENDING and status == "failed":
            payout.fail(code="stripe_payout_failed")
            payout.save()


def _import(merchant_id: int, data: dict, rows: list[dict]) -> Payout | None:
    intents = {_intent_of(row) for row in rows} - {""}
    payments = dict(
        PaymentAttempt.objects.filter(
            gateway="stripe", gateway_reference__in=intents, transaction__merchant_id=merchant_id
        ).values_list("gateway_reference", "transaction_id")
    )
    with transaction.atomic():
        if Payout.objects.select_for_update().filter(gateway="stripe", gateway_reference=data["id"]).exists():
            return None
        payout = Payout(
            merchant_id=merchant_id,
            amount=data["amount"],
            currency=data["currency"].upper(),
            payout_date=_day(data["created"]),
            arrival_date=_day(data.get("arrival_date") or data["created"]),
            reference=data["id"],
            gateway="stripe",
            gateway_reference=data["id"],
        )
        payout.save()
        claimed = []
        for row in rows:
            payment_pk = payments.get(_intent_of(row))
            ours = _ours(row)
            if payment_pk is None or ours is None:
                continue
            mine = (
                BalanceTransaction.objects.select_for_update()
                .filter(
                    merchant_id=merchant_id, payment_id=payment_pk, type=ours, payout__isnull=True, amount=row["amount"]
                )
                .order_by("pk")
                .first()
            )
            if mine is None:
                continue
            claimed.append(mine.pk)
            if ours in _PRICED and row.get("fee") is not None and row["fee"] != mine.fee:
                claimed.append(_fee_adjustment(merchant_id, payout, mine, row).pk)
        BalanceTransaction.objects.create(
            merchant_id=merchant_id, type=Type.PAYOUT, amount=-payout.amount, fee=0, net=-payout.amount,
            currency=payout.currency, available_on=payout.payout_date, source_type=BalanceTransaction.Source.PAYOUT,
            source_id=data["id"], key=f"payout:{data['id']}", gateway="stripe", gateway_reference=data["id"],
            payout=payout,
        )  # fmt: skip
        BalanceTransaction.objects.filter(pk__in=claimed, payout__isnull=True).update(payout=payout)
        status = STATUSES.get(data.get("status"))
        if status == Payout.Status.PAID:
            payout.mark_paid(at=datetime.now(tz=UTC))
            payout.save()
        elif status == Payout.Status.FAILED:
            payout.fail(code=(data.get("failure_code") or "stripe_payout_failed")[:60])
            payout.save()
    return payout


def _fee_adjustment(merchant_id, payout, mine, row) -> BalanceTransaction:
    difference = row["fee"] - mine.fee
    return BalanceTransaction.objects.create(
        merchant_id=merchant_id, type=Type.ADJUSTMENT, amount=0, fee=difference, net=-difference,
        currency=mine.currency, available_on=payout.payout_date, source_type=BalanceTransaction.Source.ADJUSTMENT,
        source_id=row["id"], payment_id=mine.payment_id, key=f"stripe_fee:{row['id']}", gateway="stripe",
        gateway_reference=row["id"], description="Stripe's fee differs from the priced one",
    )  # fmt: skip


def stripe_payouts_sync_all() -> int:
    """The beat job's Stripe half: every Stripe merchant's new payouts. A gateway that
    does not answer is logged and tried again on the next run."""
    if not StripeGateway.is_configured():
        return 0
    imported = 0
    for merchant_id in Merchant.objects.filter(gateway=Merchant.Gateway.STRIPE, is_active=True).values_list(
        "pk", flat=True
    ):
        try:
            imported += stripe_payouts_sync(merchant_id=merchant_id)
        except DomainError as exc:
            logger.warning("stripe payouts of merchant %s not read: %s", merchant_id, exc.code)
    return imported
