"""Charging installments: claim → call → record through the card path, and the dunning.

Each charge is a payment intent of its own (reference: the installment), confirmed with
the plan's saved card by payments' confirm, so the gateway call, its stored idempotency
key, the janitor and the event log are the card path's. The claim is the installment's
state change (PENDING/FAILED → PROCESSING), a compare-and-set on the row: of two workers
only one charges it.
"""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from core.exceptions import DomainError, InvalidStateTransition, NotFound
from payments.bnpl import plans
from payments.bnpl.locks import lock_installment, lock_installments, lock_plan
from payments.bnpl.models import Installment, InstallmentPlan
from payments.bnpl.services.log import bnpl_log, installment_transition
from payments.exceptions import GatewayUnavailable
from payments.locks import lock_payment, lock_payment_by_pk
from payments.models import PaymentTransaction
from payments.selectors import payment_method_get, payment_queryset
from payments.services.confirm import payment_intent_confirm
from payments.services.intents import method_attach, payment_intent_create
from payments.services.log import payment_transition

logger = logging.getLogger(__name__)
State = Installment.State
PState = PaymentTransaction.State


def _charge_create(installment: Installment, method, *, actor: str) -> PaymentTransaction:
    """A payment intent for the installment, with its card attached (inside the claim)."""
    plan = installment.plan
    charge = payment_intent_create(
        merchant_id=installment.merchant_id,
        amount=installment.amount,
        currency=installment.currency,
        reference=installment.public_id,
        capture_mode=PaymentTransaction.CaptureMode.AUTOMATIC,
        metadata={
            "bnpl_plan": plan.public_id,
            "installment": installment.public_id,
            "sequence": str(installment.sequence),
            "order_payment_intent": plan.payment.public_id,
        },
        actor=actor,
        gateway=method.gateway,
    )
    charge = lock_payment(merchant_id=installment.merchant_id, payment_intent_id=charge.public_id)
    method_attach(charge, method, actor=actor)
    return charge


def _claim(installment_pk: int, *, as_of: date, actor: str, method=None, late: bool = False) -> int | None:
    """Claims the installment for one charge; returns the charge's pk, or None when there
    is nothing to charge (not due, already claimed by another worker, settled)."""
    try:
        with transaction.atomic(durable=True):
            installment = lock_installment(installment_pk)
            plan = installment.plan
            if plan.state != InstallmentPlan.State.ACTIVE:
                return None  # completed, or cancelled (its first installment was declined)
            method = method or plan.payment_method
            if late and installment.state == State.OVERDUE:
                if installment.charge_id and installment.charge.state in (PState.PROCESSING, PState.REQUIRES_ACTION):
                    return None  # a late payment is already under way
                # The seed has no OVERDUE → PROCESSING: the late charge is claimed on the
                # row (its charge) while the installment stays overdue until it is paid.
                charge = _charge_create(installment, method, actor=actor)
                installment.charge = charge
                installment.attempt_count += 1
                installment.version += 1
                installment.save()
                bnpl_log(plan.application, installment=installment, type="installment.late_charge", actor=actor)
                return charge.pk
            if installment.state == State.PENDING and installment.due_date <= as_of:
                name = "start"
            elif installment.state == State.FAILED and (
                late or (installment.next_attempt_on and installment.next_attempt_on <= as_of)
            ):
                name = "retry"
            else:
                return None
            charge = _charge_create(installment, method, actor=actor)
            installment_transition(installment, name, actor=actor, charge=charge, data={"as_of": as_of.isoformat()})
            return charge.pk
    except ConcurrentTransition:
        return None  # another worker's compare-and-set won


def _decline_of(charge: PaymentTransaction) -> tuple[str, str]:
    if charge.state == PState.REQUIRES_ACTION:
        # Nobody is there to authenticate a scheduled charge (Stripe: authentication_required).
        return "authentication_required", "authentication_required"
    error = charge.last_error or {}
    return error.get("code") or "card_declined", error.get("decline_code") or ""


def _next_attempt(installment: Installment, as_of: date) -> date | None:
    retry_days = plans.merchant_terms(installment.merchant_id).retry_days
    # Kill Bill's dunning: the n-th retry comes retry_days[n] days after the n-th failure.
    if installment.failure_count < len(retry_days):
        return as_of + timedelta(days=retry_days[installment.failure_count])
    return None


def _record(installment_pk: int, charge_pk: int, *, as_of: date, actor: str) -> Installment:
    """Records a charge that has an answer; one still in flight is left to the next run."""
    with transaction.atomic(durable=True):
        plan_id, payment_id, sequence = (
            Installment.objects.filter(pk=installment_pk).values_list("plan_id", "plan__payment_id", "sequence").get()
        )
        order_payment = lock_payment_by_pk(payment_id) if sequence == 1 else None
        # The plan before its installment, so two last installments settling at once
        # cannot both miss that the plan is done.
        plan = lock_plan(plan_id)
        installment = lock_installment(installment_pk)
        installment.plan = plan
        charge = payment_queryset().get(pk=charge_pk)
        if installment.charge_id != charge_pk:
            return installment
        now = timezone.now()
        paid = charge.state == PState.COMPLETED
        failed = charge.state in (PState.FAILED, PState.REQUIRES_ACTION, PState.CANCELLED, PState.EXPIRED)
        data = {"charge": charge.public_id}
        if installment.state == State.OVERDUE and paid:
            installment_transition(installment, "pay_late", actor=actor, charge=charge, at=now, data=data)
        elif installment.state == State.OVERDUE and failed:
            code, decline = _decline_of(charge)
            installment.last_failure_code, installment.last_decline_code = code, decline
            installment.version += 1
            installment.save()
            bnpl_log(installment.plan.application, installment=installment, type="installment.late_charge_failed",
                     actor=actor, data={**data, "decline_code": decline})  # fmt: skip
        elif installment.state == State.PROCESSING and paid:
            installment_transition(installment, "pay", actor=actor, at=now, data=data)
        elif installment.state == State.PROCESSING and failed:
            code, decline = _decline_of(charge)
            first = installment.sequence == 1
            installment_transition(
                installment,
                "fail",
                actor=actor,
                failure_code=code,
                decline_code=decline,
                next_attempt_on=None if first else _next_attempt(installment, as_of),
                data={**data, "decline_code": decline},
            )
            if first:
                _plan_fails_at_purchase(installment, order_payment, code=code, decline=decline, actor=actor)
            elif installment.next_attempt_on is None:
                installment_transition(
                    installment, "mark_overdue", actor=actor, on=as_of, data={"retries": "exhausted"}
                )
        else:
            return installment
        if order_payment is not None and installment.state == State.PAID:
            _order_payment_succeeds(order_payment, installment.plan, actor=actor)
        _plan_finish_if_done(installment.plan, actor=actor)
    return installment


def _order_payment_succeeds(payment: PaymentTransaction, plan: InstallmentPlan, *, actor: str) -> None:
    """The first installment is paid: the order's intent is confirmed for its whole amount
    (the provider's promise to the merchant, as Klarna and Afterpay settle in full)."""
    if payment.state == PState.REQUIRES_ACTION:
        payment_transition(payment, "resume", actor=actor, data={"source": "bnpl"})
    if payment.state != PState.PROCESSING:
        return
    payment.payment_method = plan.payment_method
    # No money comes in with the order's intent: it comes installment by installment, each
    # its own card charge, which the ledger books as an installment when it is captured.
    payment_transition(
        payment,
        "complete",
        actor=actor,
        amount=payment.amount,
        at=timezone.now(),
        data={"plan_id": plan.public_id},
        moves_money=False,
    )


def _plan_fails_at_purchase(installment, payment, *, code: str, decline: str, actor: str) -> None:
    """The first installment could not be charged: no plan, and the order's intent fails
    like a declined card (the shopper may pay another way)."""
    plan = installment.plan
    for other in lock_installments(plan.installments.filter(state__in=Installment.OWED).values_list("pk", flat=True)):
        installment_transition(other, "cancel", actor=actor, data={"why": "first installment declined"})
    plan.cancel()
    plan.save()
    bnpl_log(plan.application, type="plan.cancelled", actor=actor, data={"why": "first installment declined"})
    if payment.state == PState.REQUIRES_ACTION:
        payment_transition(payment, "resume", actor=actor, data={"source": "bnpl"})
    if payment.state == PState.PROCESSING:
        error = {"code": code, "decline_code": decline or None, "message": None}
        payment_transition(payment, "fail", actor=actor, error=error, data={"plan_id": plan.public_id})


def _plan_finish_if_done(plan: InstallmentPlan, *, actor: str) -> None:
    if plan.state != InstallmentPlan.State.ACTIVE:
        return
    if plan.installments.exclude(state__in=[State.PAID, State.CANCELLED]).exists():
        return
    plan.finish()
    plan.save()
    bnpl_log(plan.application, type="plan.completed", actor=actor)


def installment_charge(*, installment_pk: int, as_of: date | None = None, actor: str = "system:bnpl") -> Installment:
    """Charges one due installment (or retries a failed one whose day has come):
    claim → call → record. Safe to run twice or in parallel: only the claim's winner
    calls the gateway. A gateway without an answer leaves it PROCESSING for the next
    run, which asks again under the same key."""
    charged = installment_charge_if_claimed(installment_pk=installment_pk, as_of=as_of, actor=actor)
    return charged or Installment.objects.get(pk=installment_pk)


def installment_charge_if_claimed(*, installment_pk: int, as_of: date | None = None, actor: str = "system:bnpl"):
    """installment_charge, answering None when this run did not win the claim."""
    as_of = as_of or timezone.localdate()
    charge_pk = _claim(installment_pk, as_of=as_of, actor=actor)
    if charge_pk is None:
        return None
    return _call_and_record(installment_pk, charge_pk, as_of=as_of, actor=actor)


def _call_and_record(installment_pk: int, charge_pk: int, *, as_of: date, actor: str) -> Installment:
    charge = PaymentTransaction.objects.get(pk=charge_pk)
    try:
        payment_intent_confirm(
            merchant_id=charge.merchant_id,
            payment_intent_id=charge.public_id,
            actor=actor,
            as_split_part=True,
            merchant_initiated=True,
        )
    except GatewayUnavailable:
        logger.warning("gateway gave no answer for installment charge %s", charge.public_id)
        return Installment.objects.get(pk=installment_pk)
    except DomainError as error:
        # A decline is recorded on the charge (402); anything else is logged and read below.
        if error.status_code != 402:
            logger.warning("installment charge %s refused: %s", charge.public_id, error.code)
    return _record(installment_pk, charge_pk, as_of=as_of, actor=actor)


def installment_sync(*, installment_pk: int, as_of: date, actor: str) -> Installment:
    """A PROCESSING installment whose charge got an answer since (or never got one): ask
    the card path again (same key), then record."""
    installment = Installment.objects.select_related("charge").get(pk=installment_pk)
    if installment.state != State.PROCESSING or installment.charge is None:
        return installment
    return _call_and_record(installment_pk, installment.charge_id, as_of=as_of, actor=actor)


def installment_pay(
    *, merchant_id: int, installment_id: str, payment_method_id: str | None, actor: str, as_of: date | None = None
) -> Installment:
    """The shopper pays a failed or overdue installment now, with another card or the
    plan's: FAILED → PROCESSING → PAID, OVERDUE → PAID. Raises NotFound (another
    merchant's), InvalidStateTransition (409) for any other state or a payment already
    under way; a decline is recorded and raised (402)."""
    as_of = as_of or timezone.localdate()
    installment = Installment.objects.filter(merchant_id=merchant_id, public_id=installment_id).first()
    if installment is None:
        raise NotFound("No such installment.", param="id")
    method = (
        payment_method_get(merchant_id=merchant_id, payment_method_id=payment_method_id) if payment_method_id else None
    )
    if installment.state not in (State.FAILED, State.OVERDUE):
        raise InvalidStateTransition(
            f"A {installment.state} installment cannot be paid now.",
            explain=f"pay needs 'failed' or 'overdue', not '{installment.state}'",
        )
    charge_pk = _claim(installment.pk, as_of=as_of, actor=actor, method=method, late=True)
    if charge_pk is None:
        raise InvalidStateTransition("A payment of this installment is already under way.")
    result = _call_and_record(installment.pk, charge_pk, as_of=as_of, actor=actor)
    charge = payment_queryset().get(pk=charge_pk)
    if result.state != State.PAID and charge.state == PState.FAILED:
        from payments.services.confirm import raise_if_failed

        raise_if_failed(charge)
    return result


# --- staff actions (admin) -------------------------------------------------------------------


def installment_mark_paid_offline(*, installment_pk: int, actor: str, note: str = "") -> Installment:
    """Staff record a payment made outside the platform (bank transfer, cash)."""
    with transaction.atomic():
        plan = lock_plan(Installment.objects.values_list("plan_id", flat=True).get(pk=installment_pk))
        installment = lock_installment(installment_pk)
        installment.plan = plan
        installment_transition(installment, "settle_offline", actor=actor, at=timezone.now(), data={"note": note})
        _plan_finish_if_done(installment.plan, actor=actor)
    return installment


def installment_send_to_collections(*, installment_pk: int, actor: str) -> Installment:
    with transaction.atomic():
        installment = lock_installment(installment_pk)
        installment_transition(installment, "send_to_collections", actor=actor)
    return installment


def installment_retry_now(*, installment_pk: int, actor: str) -> Installment:
    """Staff retry a failed installment today, outside its schedule (same claim path)."""
    installment = Installment.objects.get(pk=installment_pk)
    if installment.state != State.FAILED:
        raise InvalidStateTransition(f"Only a failed installment can be retried, not a {installment.state} one.")
    charge_pk = _claim(installment_pk, as_of=timezone.localdate(), actor=actor, late=True)
    if charge_pk is None:
        raise InvalidStateTransition("This installment is being charged already.")
    return _call_and_record(installment_pk, charge_pk, as_of=timezone.localdate(), actor=actor)
