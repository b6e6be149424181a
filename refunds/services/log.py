"""The one path by which a refund or a dispute changes state, and their audit logs.

Callers hold the payment's and the row's locks inside transaction.atomic(); these
helpers save, append the event row (who, when, before/after) and emit the merchant's
event in that same transaction.
"""

from django_fsm import can_proceed

from core import metrics
from core.exceptions import InvalidStateTransition
from core.rows import insert_rows
from merchants.audit.services import audit_entry
from merchants.events import event_emit
from refunds.models import Dispute, DisputeEvent, RefundEvent, RefundRequest

# Transition → the merchant event it emits (the rest are recorded, not announced).
REFUND_EVENTS = {
    "approve_automatically": "refund.approved",
    "approve": "refund.approved",
    "reject": "refund.rejected",
    "request_info": "refund.needs_info",
    "complete": "refund.completed",
    "mark_transfer_sent": "refund.completed",
    "fail": "refund.failed",
}
# Refund states that end a refund's life, counted once each (core.metrics.REFUNDS).
REFUND_FINAL = {RefundRequest.State.COMPLETED, RefundRequest.State.FAILED, RefundRequest.State.REJECTED}
DISPUTE_EVENTS = {"win": "dispute.won", "lose": "dispute.lost"}


def refund_snapshot(refund: RefundRequest) -> dict:
    return {
        "object": "refund",
        "id": refund.public_id,
        "payment_intent": refund.payment.public_id,
        "status": refund.state,
        "amount": refund.amount,
        "currency": refund.currency,
        "reason": refund.reason,
        # A split-paid intent's refund: the parts it draws on (the card, gift cards, store credit).
        "allocations": refund.allocations or [],
        "version": refund.version,
    }


def dispute_snapshot(dispute: Dispute) -> dict:
    return {
        "object": "dispute",
        "id": dispute.public_id,
        "payment_intent": dispute.payment.public_id,
        "status": dispute.status,
        "gateway_status": dispute.gateway_status,
        "amount": dispute.amount,
        "currency": dispute.currency,
        "reason": dispute.reason,
        "evidence_due_by": dispute.evidence_due_by.isoformat() if dispute.evidence_due_by else None,
        "chargeback_amount": dispute.chargeback_amount,
    }


def refund_log(
    refund: RefundRequest, *, type: str, actor: str, user=None, data=None, audit: str = "", before=None, **states
) -> RefundEvent:
    """Appends to the refund's log; with `audit` (the action's name), its audit row
    (`before`, and the refund as it is now after) goes in the same statement."""
    event = RefundEvent(
        refund=refund,
        type=type,
        actor=actor,
        user=user,
        data=data or {},
        from_state=states.get("from_state", ""),
        to_state=states.get("to_state", ""),
    )
    entries = [_refund_audit_entry(refund, action=audit, actor=actor, before=before, data=data)] if audit else []
    insert_rows([event], entries)
    return event


def _refund_audit_entry(refund: RefundRequest, *, action: str, actor: str, before: dict | None, data=None):
    return audit_entry(
        merchant_id=refund.merchant_id,
        object_type="refund",
        object_id=refund.public_id,
        action=action,
        actor=actor,
        before=before,
        after=refund_snapshot(refund),
        data=data,
    )


def _dispute_audit_entry(dispute: Dispute, *, action: str, actor: str, before: dict | None, data=None):
    return audit_entry(
        merchant_id=dispute.merchant_id,
        object_type="dispute",
        object_id=dispute.public_id,
        action=action,
        actor=actor,
        before=before,
        after=dispute_snapshot(dispute),
        data=data,
    )


def refund_audit(refund: RefundRequest, *, action: str, actor: str, before: dict | None, data=None) -> None:
    insert_rows([_refund_audit_entry(refund, action=action, actor=actor, before=before, data=data)])


def dispute_audit(dispute: Dispute, *, action: str, actor: str, before: dict | None, data=None) -> None:
    insert_rows([_dispute_audit_entry(dispute, action=action, actor=actor, before=before, data=data)])


def refund_emit(refund: RefundRequest, type: str, *, before: dict | None, extra: dict | None = None) -> None:
    event_emit(
        merchant_id=refund.merchant_id,
        type=type,
        payment_intent_id=refund.payment.public_id,
        correlation_id=refund.public_id,
        data={"before": before, "after": refund_snapshot(refund), **(extra or {})},
    )


def refund_transition_check(refund: RefundRequest, name: str) -> None:
    """Raises InvalidStateTransition (409) unless the refund's state allows `name`; lets a
    service refuse a wrong state before any other check."""
    if not can_proceed(getattr(refund, name)):
        raise InvalidStateTransition(
            f"A {refund.state} refund cannot {name.replace('_', ' ')}.",
            explain=f"transition '{name}' is not allowed from '{refund.state}'",
        )


def refund_transition(
    refund: RefundRequest, name: str, *, actor: str, user=None, data=None, announce: bool = True, **kwargs
) -> RefundRequest:
    """Runs the named @transition, saves, audits it, and tells the merchant when it is news
    (unless `announce` is False: the caller emits the event itself once the rest of the
    change it reports has landed).

    Raises InvalidStateTransition (409) when the refund's state does not allow it.
    """
    refund_transition_check(refund, name)
    method = getattr(refund, name)
    before = refund_snapshot(refund)
    from_state = refund.state
    method(**kwargs)
    refund.version += 1
    refund.save()
    refund_log(
        refund,
        type=f"state.{refund.state}",
        actor=actor,
        user=user,
        data=data,
        audit=f"state.{refund.state}",
        before=before,
        from_state=from_state,
        to_state=refund.state,
    )
    if refund.state in REFUND_FINAL and from_state != refund.state:
        metrics.count(metrics.REFUNDS, outcome=refund.state)
    if name in REFUND_EVENTS and announce:
        refund_emit(refund, REFUND_EVENTS[name], before=before)
    return refund


def dispute_log(
    dispute: Dispute, *, type: str, actor: str, data=None, audit: str = "", before=None, **states
) -> DisputeEvent:
    """Appends to the dispute's log; with `audit`, its audit row goes in the same statement."""
    event = DisputeEvent(
        dispute=dispute,
        type=type,
        actor=actor,
        data=data or {},
        from_state=states.get("from_state", ""),
        to_state=states.get("to_state", ""),
    )
    entries = [_dispute_audit_entry(dispute, action=audit, actor=actor, before=before, data=data)] if audit else []
    insert_rows([event], entries)
    return event


def dispute_emit(dispute: Dispute, type: str, *, before: dict | None) -> None:
    event_emit(
        merchant_id=dispute.merchant_id,
        type=type,
        payment_intent_id=dispute.payment.public_id,
        correlation_id=dispute.public_id,
        data={"before": before, "after": dispute_snapshot(dispute)},
    )


def dispute_transition(dispute: Dispute, name: str, *, actor: str, data=None, **kwargs) -> Dispute:
    method = getattr(dispute, name)
    if not can_proceed(method):
        raise InvalidStateTransition(f"A {dispute.status} dispute cannot {name}.")
    before = dispute_snapshot(dispute)
    from_state = dispute.status
    method(**kwargs)
    dispute.version += 1
    dispute.save()
    dispute_log(
        dispute,
        type=f"state.{dispute.status}",
        actor=actor,
        data=data,
        audit=f"state.{dispute.status}",
        before=before,
        from_state=from_state,
        to_state=dispute.status,
    )
    dispute_emit(dispute, DISPUTE_EVENTS[name], before=before)
    return dispute
