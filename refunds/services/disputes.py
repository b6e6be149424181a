"""Disputes (chargebacks): the record refunds keeps of what the gateway reported.

`dispute_record` is payments' dispute listener (registered in RefundsConfig.ready): it
runs inside the transaction that applies the gateway's event, with the payment already
locked and moved (DISPUTED, back to COMPLETED, or REFUNDED), so the dispute row, its log
and the merchant's dispute.* events commit or roll back with the payment's change.
"""

from django.utils import timezone

from payments import hooks
from payments.gateways import base
from refunds.locks import lock_dispute
from refunds.models import Dispute
from refunds.services.log import dispute_audit, dispute_emit, dispute_log, dispute_transition

UPDATABLE = ("amount", "reason", "gateway_status", "evidence_due_by")


def dispute_record(notice: hooks.DisputeNotice) -> Dispute:
    """Creates or updates the dispute a gateway event describes, and closes it as won or
    lost. Idempotent: a redelivered event finds the dispute as it left it. Emits
    dispute.created once, then dispute.won or dispute.lost."""
    actor = f"gateway:{notice.gateway}"
    data = {"event_id": notice.event_id, "gateway_status": notice.gateway_status}
    dispute = lock_dispute(gateway=notice.gateway, gateway_dispute_id=notice.gateway_dispute_id)
    if dispute is None:
        dispute = Dispute.objects.create(
            merchant_id=notice.merchant_id,
            payment_id=notice.payment_pk,
            gateway=notice.gateway,
            gateway_dispute_id=notice.gateway_dispute_id,
            amount=notice.amount,
            currency=notice.currency,
            reason=notice.reason,
            gateway_status=notice.gateway_status,
            evidence_due_by=notice.evidence_due_by,
        )
        dispute_log(dispute, type="created", actor=actor, data=data, to_state=dispute.status)
        dispute_audit(dispute, action="created", actor=actor, before=None, data=data)
        dispute_emit(dispute, "dispute.created", before=None)
    elif dispute.status == Dispute.Status.OPEN:
        changes = {
            field: getattr(notice, field)
            for field in UPDATABLE
            if getattr(notice, field) is not None and getattr(notice, field) != getattr(dispute, field)
        }
        if changes:
            for field, value in changes.items():
                setattr(dispute, field, value)
            dispute.version += 1
            dispute.save()
            dispute_log(dispute, type="updated", actor=actor, data={**data, "changed": sorted(changes)})
    if dispute.status != Dispute.Status.OPEN or not notice.outcome:
        return dispute
    if notice.outcome == base.DISPUTE_WON:
        return dispute_transition(dispute, "win", actor=actor, data=data, at=timezone.now())
    return dispute_transition(
        dispute, "lose", actor=actor, data=data, at=timezone.now(), chargeback_amount=notice.amount
    )
