"""What BNPL registers with payments (see BnplConfig.ready): thin adapters to its services."""

from payments import hooks
from payments.bnpl.models import BNPLApplication
from payments.bnpl.services import applications, refunds


def bnpl_gateway_event(*, payload, event_id, gateway):
    applications.bnpl_checkout_event(payload=payload, event_id=event_id, gateway=gateway)


def bnpl_payment_refund(*, payment_pk, amount, idempotency_key):
    return refunds.plan_refund(payment_pk=payment_pk, amount=amount, idempotency_key=idempotency_key)


def bnpl_payment_sync(*, payment_pk, actor, source):
    return applications.bnpl_sync(payment_pk=payment_pk, actor=actor, source=source)


def bnpl_payment_notice(notice: hooks.PaymentNotice) -> None:
    """An order payment that expired or was cancelled takes its open application along."""
    if notice.type != hooks.CANCELED:
        return
    open_states = [BNPLApplication.State.PENDING, BNPLApplication.State.APPROVED]
    for pk in BNPLApplication.objects.filter(
        payment__public_id=notice.payment_intent_id, state__in=open_states
    ).values_list("pk", flat=True):
        applications.application_expire(pk, actor="system:payments", reason="The payment was closed.")
