"""The daily installment job: reminders, due charges, retries, overdue and collections.

Safe to run twice or in parallel: every charge is claimed by a compare-and-set on the
installment's state (see installments._claim), every other step is a transition under the
row's lock taken with skip_locked. Each loop is bounded by `batch_size`.
"""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition

from payments.bnpl import plans
from payments.bnpl.locks import lock_next_installment
from payments.bnpl.models import BNPLApplication, Installment, InstallmentPlan
from payments.bnpl.services.applications import application_expire
from payments.bnpl.services.installments import installment_charge_if_claimed, installment_sync
from payments.bnpl.services.log import installment_transition
from payments.models import PaymentTransaction

logger = logging.getLogger(__name__)
State = Installment.State
ACTOR = "system:bnpl"
BATCH = 500


def _active():
    return Installment.objects.filter(plan__state=InstallmentPlan.State.ACTIVE)


def _charge_all(queryset, *, as_of: date, batch_size: int) -> int:
    """Charges what `queryset` selects, one claim each; a row another worker claimed
    meanwhile is skipped by the claim itself."""
    done = 0
    for pk in list(queryset.order_by("due_date", "id").values_list("pk", flat=True)[:batch_size]):
        # Counts the claims this run won: another worker's are not its charges.
        done += installment_charge_if_claimed(installment_pk=pk, as_of=as_of, actor=ACTOR) is not None
    return done


def _transition_all(queryset, name: str, *, batch_size: int, **kwargs) -> int:
    moved = 0
    for _ in range(batch_size):
        try:
            with transaction.atomic():
                installment = lock_next_installment(queryset)
                if installment is None:
                    break
                installment_transition(installment, name, actor=ACTOR, **kwargs)
                moved += 1
        except ConcurrentTransition:
            continue
    return moved


def _collections_due(as_of: date):
    """Overdue long enough, each by its merchant's threshold."""
    pks = []
    for row in _active().filter(state=State.OVERDUE).values("pk", "merchant_id", "overdue_since")[:BATCH]:
        days = plans.merchant_terms(row["merchant_id"]).collections_after_days
        if row["overdue_since"] and row["overdue_since"] + timedelta(days=days) <= as_of:
            pks.append(row["pk"])
    return Installment.objects.filter(pk__in=pks, state=State.OVERDUE)


def _reminders(as_of: date, *, batch_size: int) -> int:
    """One email per due date, some days before it (per merchant), claimed by
    compare-and-set on `reminded_for` so two runs send it once."""
    from payments.bnpl.tasks import installment_email

    sent = 0
    horizon = as_of + timedelta(days=30)
    candidates = (
        _active()
        .filter(state=State.PENDING, due_date__gt=as_of, due_date__lte=horizon, sequence__gt=1)
        .exclude(reminded_for=F("due_date"))
        .values("pk", "merchant_id", "due_date", "version")[:batch_size]
    )
    for row in candidates:
        if row["due_date"] - timedelta(days=plans.merchant_terms(row["merchant_id"]).reminder_days_before) > as_of:
            continue
        claimed = (
            Installment.objects.filter(pk=row["pk"], state=State.PENDING)
            .exclude(reminded_for=row["due_date"])
            .update(reminded_for=row["due_date"])
        )
        if claimed:
            installment_email.delay(row["pk"], "reminder", row["version"])
            sent += 1
    return sent


def _expire_abandoned(*, batch_size: int) -> int:
    """Applications whose intent expired or was cancelled while the shopper was away."""
    expired = 0
    gone = [PaymentTransaction.State.EXPIRED, PaymentTransaction.State.CANCELLED]
    for pk in BNPLApplication.objects.filter(
        state__in=[BNPLApplication.State.PENDING, BNPLApplication.State.APPROVED], payment__state__in=gone
    ).values_list("pk", flat=True)[:batch_size]:
        expired += application_expire(pk, actor=ACTOR, reason="The payment expired before the checkout was completed.")
    return expired


def installments_run(*, as_of: date | None = None, batch_size: int = BATCH) -> dict:
    """Runs the day `as_of` (default today): returns how many of each step it did."""
    as_of = as_of or timezone.localdate()
    result = {"as_of": as_of.isoformat()}
    result["expired_applications"] = _expire_abandoned(batch_size=batch_size)
    result["reminded"] = _reminders(as_of, batch_size=batch_size)
    stuck = _active().filter(state=State.PROCESSING, charge__isnull=False)
    result["synced"] = 0
    for pk in list(stuck.values_list("pk", flat=True)[:batch_size]):
        result["synced"] += installment_sync(installment_pk=pk, as_of=as_of, actor=ACTOR).state != State.PROCESSING
    result["charged"] = _charge_all(_active().filter(state=State.PENDING, due_date__lte=as_of), as_of=as_of,
                                    batch_size=batch_size)  # fmt: skip
    result["retried"] = _charge_all(
        _active().filter(state=State.FAILED, next_attempt_on__lte=as_of), as_of=as_of, batch_size=batch_size
    )
    # A failure recorded without a next attempt (retries exhausted) that is not overdue yet.
    result["overdue"] = _transition_all(
        _active().filter(state=State.FAILED, next_attempt_on__isnull=True), "mark_overdue", batch_size=batch_size,
        on=as_of,
    )  # fmt: skip
    result["collections"] = _transition_all(_collections_due(as_of), "send_to_collections", batch_size=batch_size)
    logger.info("installment run %s", result)
    return result
