"""The one path by which an application or an installment changes state, and its trail.

Callers hold the row's lock inside transaction.atomic(); this saves (a compare-and-set on
the state, django-fsm's ConcurrentTransitionMixin), appends the BNPLEvent row and its row
in the merchant's audit trail, emits the merchant's event and queues the shopper's email,
all in that same transaction.
"""

from django.db import transaction
from django_fsm import can_proceed

from core.exceptions import InvalidStateTransition
from core.rows import insert_rows
from merchants.audit.services import audit_entry
from merchants.events import event_emit
from payments.bnpl.models import BNPLApplication, BNPLEvent, Installment

# State entered → merchant event type.
APPLICATION_EVENTS = {
    BNPLApplication.State.APPROVED: "bnpl.application.approved",
    BNPLApplication.State.DECLINED: "bnpl.application.declined",
    BNPLApplication.State.COMPLETED: "bnpl.application.completed",
}
INSTALLMENT_EVENTS = {
    Installment.State.PAID: "installment.paid",
    Installment.State.FAILED: "installment.failed",
    Installment.State.OVERDUE: "installment.overdue",
    Installment.State.COLLECTIONS: "installment.collections",
}
# The shopper hears of these (after commit): a receipt, a failure with the late-pay link.
SHOPPER_EMAILS = {Installment.State.PAID: "paid", Installment.State.FAILED: "failed"}


def bnpl_log(application, *, type: str, actor: str, installment=None, data=None, **states) -> BNPLEvent:
    """Appends to the plan's trail and, in the same statement, to the merchant's audit
    trail (the one every app writes), so a staff action or a job's charge shows there too."""
    event = BNPLEvent(
        application=application,
        installment=installment,
        type=type,
        actor=actor,
        data=data or {},
        from_state=states.get("from_state", ""),
        to_state=states.get("to_state", ""),
    )
    subject = ("installment", installment.public_id) if installment else ("bnpl_application", application.public_id)
    entry = audit_entry(
        merchant_id=application.merchant_id,
        object_type=subject[0],
        object_id=subject[1],
        action=type,
        actor=actor,
        before={"status": event.from_state} if event.from_state else None,
        after={"status": event.to_state} if event.to_state else None,
        data=event.data,
    )
    insert_rows([event], [entry])
    return event


def _check(obj, name: str) -> None:
    if not can_proceed(getattr(obj, name)):
        label = type(obj).__name__.lower()
        raise InvalidStateTransition(
            f"A {obj.state} {label} cannot {name.replace('_', ' ')}.",
            explain=f"transition '{name}' is not allowed from '{obj.state}'",
        )


def application_payload(application: BNPLApplication) -> dict:
    return {
        "id": application.public_id,
        "status": application.state,
        "provider": application.provider,
        "provider_reference": application.provider_reference or None,
        "plan": application.plan_code,
        "amount": application.amount,
        "currency": application.currency,
        "decision_reason": application.decision_reason or None,
        "payment_intent_id": application.payment.public_id,
    }


def application_transition(application: BNPLApplication, name: str, *, actor: str, data=None, **kwargs):
    _check(application, name)
    from_state = application.state
    getattr(application, name)(**kwargs)
    application.save()
    bnpl_log(
        application, type=f"application.{application.state}", actor=actor, data=data,
        from_state=from_state, to_state=application.state,
    )  # fmt: skip
    event_type = APPLICATION_EVENTS.get(application.state)
    if event_type:
        payment = application.payment
        event_emit(
            merchant_id=application.merchant_id,
            type=event_type,
            payment_intent_id=payment.public_id,
            checkout_id=payment.reference,
            correlation_id=payment.reference,
            data={"application": application_payload(application)},
        )
    return application


def installment_payload(installment: Installment) -> dict:
    return {
        "id": installment.public_id,
        "plan_id": installment.plan.public_id,
        "sequence": installment.sequence,
        "status": installment.state,
        "amount": installment.amount,
        "currency": installment.currency,
        "due_date": installment.due_date.isoformat(),
        "attempts": installment.attempt_count,
        "last_decline_code": installment.last_decline_code or None,
    }


def installment_transition(installment: Installment, name: str, *, actor: str, data=None, **kwargs):
    _check(installment, name)
    from_state = installment.state
    getattr(installment, name)(**kwargs)
    installment.version += 1
    installment.save()
    plan = installment.plan
    bnpl_log(
        plan.application, installment=installment, type=f"installment.{installment.state}", actor=actor,
        data=data, from_state=from_state, to_state=installment.state,
    )  # fmt: skip
    event_type = INSTALLMENT_EVENTS.get(installment.state)
    if event_type:
        payment = plan.payment
        event_emit(
            merchant_id=installment.merchant_id,
            type=event_type,
            payment_intent_id=payment.public_id,
            checkout_id=payment.reference,
            correlation_id=payment.reference,
            data={"installment": installment_payload(installment), **({"reason": data} if data else {})},
        )
    email = SHOPPER_EMAILS.get(installment.state)
    if email and plan.email:
        from payments.bnpl.tasks import installment_email

        pk, version = installment.pk, installment.version
        transaction.on_commit(lambda: installment_email.delay(pk, email, version), robust=True)
    return installment
