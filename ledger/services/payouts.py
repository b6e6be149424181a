"""Paying out: once a business day, per merchant and currency, what has become available.

A payout takes the balance transactions available by its date that no payout took, sums
their net, and writes its own negative `payout` row, all in one transaction; so the sum
of a merchant's cash rows is always what it is owed, and a payout never pays more than
was available. Gateways that pay out themselves (Stripe) are read, not simulated.
"""

import logging
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.locks import lock_payable_rows, lock_payout
from ledger.models import BalanceTransaction, Payout
from ledger.pricing import add_business_days, pricing_for
from merchants.events import event_emit
from merchants.models import Merchant

logger = logging.getLogger(__name__)
SIMULATED = "simulator"


def payout_public(payout: Payout) -> dict:
    return {
        "id": payout.public_id,
        "amount": payout.amount,
        "currency": payout.currency,
        "status": payout.status,
        "payout_date": payout.payout_date.isoformat(),
        "arrival_date": payout.arrival_date.isoformat(),
        "reference": payout.reference,
    }


def _existing(merchant_id: int, currency: str, on: date) -> Payout | None:
    return Payout.objects.filter(merchant_id=merchant_id, currency=currency, payout_date=on, gateway=SIMULATED).first()


def payout_create(*, merchant_id: int, currency: str, on: date) -> Payout | None:
    """The merchant's payout in `currency` for day `on`, made once (safe to run twice and
    concurrently: the rows are locked and one payout per day is a unique constraint).
    None when nothing positive is available: a negative balance waits for new charges."""
    existing = _existing(merchant_id, currency, on)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            rows = lock_payable_rows(merchant_id=merchant_id, currency=currency, on=on)
            total = sum(row.net for row in rows)
            if total <= 0:
                return _existing(merchant_id, currency, on)
            payout = Payout(
                merchant_id=merchant_id,
                amount=total,
                currency=currency,
                payout_date=on,
                arrival_date=add_business_days(on, settings.LEDGER_PAYOUT_TRANSIT_DAYS),
                gateway=SIMULATED,
            )
            payout.reference = payout.public_id
            payout.save()
            BalanceTransaction.objects.create(
                merchant_id=merchant_id,
                type=BalanceTransaction.Type.PAYOUT,
                amount=-total,
                fee=0,
                net=-total,
                currency=currency,
                available_on=on,
                source_type=BalanceTransaction.Source.PAYOUT,
                source_id=payout.public_id,
                key=f"payout:{payout.public_id}",
                gateway=SIMULATED,
                payout=payout,
            )
            # The one update the append-only trigger allows: each row is claimed once.
            BalanceTransaction.objects.filter(pk__in=[row.pk for row in rows], payout__isnull=True).update(
                payout=payout
            )
            event_emit(merchant_id=merchant_id, type="payout.created", data={"payout": payout_public(payout)})
            return payout
    except IntegrityError:
        # Another run made today's payout between our look and our insert.
        return _existing(merchant_id, currency, on)


def payouts_create_due(*, on: date | None = None) -> int:
    """The beat job: today's payout for every simulated merchant and currency with money
    available. Banks move nothing on weekends; Monday's payout takes the weekend too."""
    on = on or timezone.localdate()
    if on.weekday() >= 5:
        return 0
    pending = (
        BalanceTransaction.objects.filter(
            cash=True,
            payout__isnull=True,
            available_on__lte=on,
            merchant__gateway=Merchant.Gateway.SIMULATOR,
        )
        .order_by()
        .values_list("merchant_id", "currency")
        .distinct()
    )
    made = 0
    for merchant_id, currency in pending:
        if not pricing_for(merchant_id).payouts_enabled:
            continue
        if payout_create(merchant_id=merchant_id, currency=currency, on=on) is not None:
            made += 1
    return made


def payouts_settle_arrived(*, today: date | None = None) -> int:
    """The simulator's bank: a pending payout is paid on its arrival date."""
    today = today or timezone.localdate()
    settled = 0
    for pk in Payout.objects.filter(
        status=Payout.Status.PENDING, gateway=SIMULATED, arrival_date__lte=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            payout = lock_payout(pk)
            if payout.status != Payout.Status.PENDING:
                continue
            payout.mark_paid(at=timezone.now())
            payout.save()
            event_emit(merchant_id=payout.merchant_id, type="payout.paid", data={"payout": payout_public(payout)})
            settled += 1
    return settled


def payout_fail(*, payout_pk: int, code: str) -> Payout:
    """The bank returned a payout: its money is back in the balance (a `payout_failure`
    row, available at once) for the next payout to take again."""
    with transaction.atomic():
        payout = lock_payout(payout_pk)
        payout.fail(code=code[:60])
        payout.save()
        BalanceTransaction.objects.create(
            merchant_id=payout.merchant_id,
            type=BalanceTransaction.Type.PAYOUT_FAILURE,
            amount=payout.amount,
            fee=0,
            net=payout.amount,
            currency=payout.currency,
            available_on=timezone.localdate(),
            source_type=BalanceTransaction.Source.PAYOUT,
            source_id=payout.public_id,
            key=f"payout_failure:{payout.public_id}",
            gateway=payout.gateway,
        )
        event_emit(merchant_id=payout.merchant_id, type="payout.failed", data={"payout": payout_public(payout)})
    return payout
