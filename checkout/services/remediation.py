"""Support's tools for a checkout that failed or is stuck (POST /sessions/{id}/resolve and
/support-note): each action goes through the service that owns the change, in one
transaction under the session's lock, and is recorded on the timeline and the audit trail.

- replace_payment_method: a new intent for the current total, with the given method
  attached, replacing an intent that failed (a failed session goes back to paying);
- manual_override: the order is made with payment settled outside the platform (reason
  mandatory), through finalize's settled-outside path;
- apply_discount: a promotion code, the totals recalculated; past editing (the payment
  failed), the intent is replaced for the new total in the same transaction;
- retry_finalization: finalize again a paid session whose finalization did not go through.
Anything else is refused with 409 `resolution_not_allowed`, saying why.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from checkout.failures import PAYMENT_REASONS
from checkout.locks import lock_session
from checkout.models import CheckoutSession, Order, SessionEvent
from checkout.services.finalize import session_finalize, session_finalize_settled_outside
from checkout.services.lifecycle import session_failure_clear, session_transition, timeline_record
from checkout.services.payment import session_payment_intent_create_locked
from checkout.services.pricing import session_calculate, session_calculate_locked
from core.exceptions import Conflict, InvalidStateTransition
from payments.selectors import payment_is_replaceable
from payments.services import payment_intent_attach_method, payment_intent_lock

Status = CheckoutSession.Status

REPLACE_PAYMENT_METHOD = "replace_payment_method"
MANUAL_OVERRIDE = "manual_override"
APPLY_DISCOUNT = "apply_discount"
RETRY_FINALIZATION = "retry_finalization"
ACTIONS = [REPLACE_PAYMENT_METHOD, MANUAL_OVERRIDE, APPLY_DISCOUNT, RETRY_FINALIZATION]
ACTION_CHOICES = [(action, action) for action in ACTIONS]


@dataclass(frozen=True)
class Resolution:
    action: str
    checkout_id: str
    payment_intent_id: str = ""
    order: Order | None = None
    calculation_id: str = ""


def _refuse(action: str, session: CheckoutSession, why: str) -> Conflict:
    return Conflict(
        f"{action} is not possible for this session: {why}",
        code="resolution_not_allowed",
        param="action",
        explain={"status": session.status, "reason": session.failure_code or None, "action": action},
    )


def _payment_failed_unpaid(session: CheckoutSession) -> bool:
    """Its payment is what failed, and nothing was taken: a new one may stand in."""
    if session.status == Status.FAILED:
        return session.failure_code in PAYMENT_REASONS and session.expires_at > timezone.now()
    if session.status != Status.PAYMENT_PROCESSING:
        return False
    if not session.payment_intent_id:
        return True
    payment = payment_intent_lock(merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id)
    return payment_is_replaceable(payment)


def actions_available(session: CheckoutSession, *, replaceable: bool | None) -> list[str]:
    """What /resolve would accept now, for GET /failures (a read: no locks).
    `replaceable`: whether the session's intent holds nothing (None: it has none)."""
    unpaid = replaceable is None or replaceable
    actions = []
    if session.status == Status.FAILED and session.failure_code in PAYMENT_REASONS:
        if session.expires_at > timezone.now():
            actions += [REPLACE_PAYMENT_METHOD, APPLY_DISCOUNT]
    elif session.status == Status.PAYMENT_PROCESSING and unpaid:
        actions += [REPLACE_PAYMENT_METHOD, APPLY_DISCOUNT]
    if session.status in (Status.PAYMENT_PROCESSING, Status.FAILED) and unpaid:
        actions.append(MANUAL_OVERRIDE)
    if session.status == Status.PAYMENT_PROCESSING and not unpaid:
        actions.append(RETRY_FINALIZATION)
    return actions


def _record(session: CheckoutSession, action: str, *, actor: str, data: dict) -> None:
    timeline_record(session, type=f"resolve.{action}", actor=actor, data={"action": action, **data})


def _back_to_paying(session: CheckoutSession, action: str, *, actor: str) -> None:
    """A failed session pays again; an open one is no longer listed as failed."""
    if session.status == Status.FAILED:
        session_transition(session, "resume_payment", actor=actor, data={"resolve": action}, announce=False)
    else:
        session_failure_clear(session)


def session_replace_payment_method(
    *, merchant_id: int, checkout_id: str, payment_method_id: str, actor: str
) -> Resolution:
    """Locks the session, then its intent (house order). The old intent (failed or
    pending: nothing at the gateway) is cancelled and a new one made for the current
    total, with the method attached, ready to confirm. Raises NotFound, 409
    resolution_not_allowed, and what creating or attaching raises (payment_method_used…)."""
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if not _payment_failed_unpaid(session):
            raise _refuse(REPLACE_PAYMENT_METHOD, session, "its payment did not fail, or holds money")
        previous = session.payment_intent_id
        _back_to_paying(session, REPLACE_PAYMENT_METHOD, actor=actor)
        _, payment = session_payment_intent_create_locked(session, actor=actor, replace_open=True)
        payment_intent_attach_method(
            merchant_id=merchant_id,
            payment_intent_id=payment.public_id,
            payment_method_id=payment_method_id,
            actor=actor,
        )
        _record(
            session,
            REPLACE_PAYMENT_METHOD,
            actor=actor,
            data={"previous_payment_intent_id": previous, "payment_intent_id": payment.public_id},
        )
    return Resolution(REPLACE_PAYMENT_METHOD, checkout_id, payment_intent_id=payment.public_id)


def session_apply_discount(*, merchant_id: int, checkout_id: str, promotion_code: str, actor: str) -> Resolution:
    """An editable session is simply recalculated with the code. One whose payment failed
    is repriced past editing and its intent replaced for the new total, in the same
    transaction (so the old amount can no longer be paid). Raises NotFound, 409
    resolution_not_allowed, 400 invalid_promotion."""
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        editable = session.is_editable
        if not editable and not _payment_failed_unpaid(session):
            raise _refuse(APPLY_DISCOUNT, session, "its totals can change only before payment or after it failed")
        if not editable:
            codes = [promotion_code]
            _back_to_paying(session, APPLY_DISCOUNT, actor=actor)
            calc = session_calculate_locked(session, actor=actor, promotion_codes=codes, past_editing=True)
            _, payment = session_payment_intent_create_locked(session, actor=actor, replace_open=True)
            _record(
                session,
                APPLY_DISCOUNT,
                actor=actor,
                data={
                    "promotion_code": promotion_code,
                    "grand_total": calc.grand_total,
                    "payment_intent_id": payment.public_id,
                },
            )
            return Resolution(
                APPLY_DISCOUNT, checkout_id, payment_intent_id=payment.public_id, calculation_id=calc.public_id
            )
    calc = session_calculate(
        merchant_id=merchant_id, checkout_id=checkout_id, actor=actor, promotion_codes=[promotion_code]
    )
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        _record(
            session,
            APPLY_DISCOUNT,
            actor=actor,
            data={"promotion_code": promotion_code, "grand_total": calc.grand_total},
        )
    return Resolution(APPLY_DISCOUNT, checkout_id, calculation_id=calc.public_id)


def session_manual_override(
    *, merchant_id: int, checkout_id: str, reason: str, external_reference: str, actor: str
) -> Resolution:
    """Finalizes with the payment settled outside (finalize.session_finalize_settled_outside
    says what it locks and refuses; a session in no state to be completed is refused as
    every action is, 409 resolution_not_allowed); the override and its reason are on the
    timeline."""
    try:
        result = session_finalize_settled_outside(
            merchant_id=merchant_id,
            checkout_id=checkout_id,
            actor=actor,
            reason=reason,
            external_reference=external_reference,
        )
    except InvalidStateTransition as exc:
        session = CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=checkout_id).first()
        if session is None:
            raise
        raise _refuse(MANUAL_OVERRIDE, session, "only a session paying or failed can be completed this way") from exc
    if result.created:
        with transaction.atomic(durable=True):
            session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
            _record(session, MANUAL_OVERRIDE, actor=actor, data={"reason": reason, "order_id": result.order.public_id})
    return Resolution(MANUAL_OVERRIDE, checkout_id, order=result.order)


def session_retry_finalization(*, merchant_id: int, checkout_id: str, actor: str) -> Resolution:
    """Finalizes a paid session again (finalize is safe twice and says what it raises).
    A failed session's money was already given back: refused, use another action."""
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if session.status != Status.PAYMENT_PROCESSING:
            raise _refuse(RETRY_FINALIZATION, session, "only a paid session still in payment_processing finalizes")
        payment_intent_id = session.payment_intent_id
        _record(session, RETRY_FINALIZATION, actor=actor, data={"previous_reason": session.failure_code or None})
    result = session_finalize(merchant_id=merchant_id, checkout_id=checkout_id, actor=actor)
    return Resolution(RETRY_FINALIZATION, checkout_id, payment_intent_id=payment_intent_id, order=result.order)


def session_support_note_add(*, merchant_id: int, checkout_id: str, note: str, author: str, actor: str) -> SessionEvent:
    """A note for support teams on the session's timeline (and so in the admin and the
    audit trail). Any status: a completed order may need a note too. Locks the session."""
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        return timeline_record(session, type="support_note", actor=actor, data={"note": note, "author": author})
