"""Refunding a BNPL order: what is still owed is reduced first, then paid installments
are refunded to the card that paid them; never more than was paid.

Reached through payments' one refund call point (payments.hooks.register_payment_refunder
→ payment_gateway_refund), so the refunds app's requests, approvals and its one
refundable-amount rule apply unchanged. Runs outside any transaction, like a gateway
call; the caller's idempotency key makes a repeat change nothing twice: the reduction is
stored on the plan under that key, and each installment's refund goes to the gateway
under a key derived from it.
"""

from django.db import transaction

from core.exceptions import DomainError
from payments.bnpl import schedule
from payments.bnpl.locks import lock_installments, lock_plan
from payments.bnpl.models import Installment, InstallmentPlan
from payments.bnpl.services.log import bnpl_log, installment_transition
from payments.gateways import base
from payments.locks import lock_payment_by_pk
from payments.models import PaymentTransaction

State = Installment.State
ACTOR = "system:bnpl"


def _reduce_owed(plan_pk: int, *, amount: int, key: str) -> dict:
    """Takes up to `amount` off the installments still owed, latest first, once per key.
    Returns the plan's record for the key: {"owed", "paid", "refunded": {installment: n}}."""
    with transaction.atomic(durable=True):
        plan = lock_plan(plan_pk)
        if key in plan.owed_reductions:
            return plan.owed_reductions[key]
        owed = lock_installments(plan.installments.filter(state__in=Installment.OWED).values_list("pk", flat=True))
        amounts = [i.amount for i in owed]
        reduction = min(amount, sum(amounts))
        for installment, new_amount in zip(owed, schedule.reduce_owed(amounts, reduction), strict=True):
            if new_amount == installment.amount:
                continue
            data = {"refund": key, "from": installment.amount, "to": new_amount}
            installment.plan = plan
            if new_amount == 0:
                installment.amount = 0
                installment_transition(installment, "cancel", actor=ACTOR, data=data)
            else:
                installment.amount = new_amount
                installment.version += 1
                installment.save()
                bnpl_log(plan.application, installment=installment, type="installment.reduced", actor=ACTOR, data=data)
        record = {"owed": reduction, "paid": amount - reduction, "refunded": {}}
        plan.owed_reductions = {**plan.owed_reductions, key: record}
        plan.save()
        bnpl_log(plan.application, type="plan.refund", actor=ACTOR, data={"refund": key, **record})
    return record


def _refund_paid(plan_pk: int, *, record: dict, key: str) -> int:
    """Refunds `record["paid"]` from paid installments, the latest first; returns how much
    is still unrefunded (paid offline or nothing left on a card)."""
    from payments.services.refunds import payment_gateway_refund, payment_refund_record

    left = record["paid"] - sum(record["refunded"].values())
    paid = Installment.objects.filter(plan_id=plan_pk, state=State.PAID, paid_by__isnull=False).order_by("-sequence")
    for installment in paid.select_related("paid_by"):
        if left <= 0:
            break
        if installment.public_id in record["refunded"]:
            continue
        charge = installment.paid_by
        take = min(left, charge.amount_captured - charge.amount_refunded)
        if take <= 0:
            continue
        sub_key = f"{key}:{installment.public_id}"
        result = payment_gateway_refund(payment_pk=charge.pk, amount=take, idempotency_key=sub_key)
        if result.status != base.SUCCEEDED:
            break
        with transaction.atomic(durable=True):
            locked = lock_payment_by_pk(charge.pk)
            payment_refund_record(
                locked, refund_id=sub_key, amount=take, gateway_reference=result.reference, actor=ACTOR
            )
            plan = lock_plan(plan_pk)
            entry = plan.owed_reductions[key]
            entry["refunded"] = {**entry["refunded"], installment.public_id: take}
            plan.owed_reductions = {**plan.owed_reductions, key: entry}
            plan.save()
            Installment.objects.filter(pk=installment.pk).update(amount_refunded=installment.amount_refunded + take)
        record = entry
        left -= take
    return left


def plan_refund(*, payment_pk: int, amount: int | None, idempotency_key: str | None):
    """payments' refunder for an order paid by installments; None for any other payment."""
    plan = (
        InstallmentPlan.objects.filter(payment_id=payment_pk)
        .exclude(state=InstallmentPlan.State.CANCELLED)
        .values_list("pk", flat=True)
        .first()
    )
    if plan is None:
        return None
    if not PaymentTransaction.objects.filter(pk=payment_pk, amount_captured__gt=0).exists():
        return None
    record = _reduce_owed(plan, amount=amount, key=idempotency_key)
    left = _refund_paid(plan, record=record, key=idempotency_key)
    if left > 0:
        raise DomainError(
            "Part of this refund could not go back to the card that paid the installments.",
            code="refund_exceeds_paid",
            explain={"owed_reduced": record["owed"], "not_refunded": left},
        )
    return base.GatewayResult(status=base.SUCCEEDED, reference=f"bnpl_refund:{idempotency_key}", amount=amount)
