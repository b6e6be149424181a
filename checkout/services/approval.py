"""Placing the order and the merchant's say over it (SPEC 6.1).

Placing needs the same blocker list as POST /validate to be empty. A merchant in
approval mode "merchant" then gets `checkout.pending_approval` (ids only), reads the
session, and approves or declines it; in mode "auto" placing is recorded and the session
stays ready to pay.

Time limits (the merchant's payment_time_limit_minutes, default 10): placing gives the
merchant that long to answer, approving gives the shopper that long again to pay.
`payment_deadline_at` holds the current one; checkout.services.deadlines enforces it.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from checkout.locks import lock_session
from checkout.models import CheckoutSession
from checkout.pricing_selectors import session_blockers
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_touch, session_transition
from core.exceptions import DomainError, InvalidStateTransition

MERCHANT_APPROVAL = "merchant"
DEFAULT_TIME_LIMIT_MINUTES = 10


def time_limit(merchant) -> timedelta:
    return timedelta(minutes=merchant.payment_time_limit_minutes or DEFAULT_TIME_LIMIT_MINUTES)


def _refuse(session: CheckoutSession, action: str):
    return InvalidStateTransition(
        f"A {session.status} session cannot be {action}.",
        explain=f"'{action}' is not allowed from '{session.status}'",
    )


def session_place(*, merchant_id: int, checkout_id: str, actor: str) -> CheckoutSession:
    """The shopper (or the merchant for them) places the order.

    Locks the session. Raises NotFound (404); InvalidStateTransition (409) when the
    session cannot be placed from its status; DomainError `session_not_ready` (409,
    `blockers` as POST /validate lists them) while anything blocks payment.
    """
    now = timezone.now()
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        merchant_mode = session.merchant.approval_mode == MERCHANT_APPROVAL
        allowed = session.request_approval if merchant_mode else session.start_payment
        # In auto mode `approved` is only reached through a merchant approval given
        # earlier; placing again there would record a second place for one order.
        if not can_proceed(allowed) or (not merchant_mode and session.status == CheckoutSession.Status.APPROVED):
            raise _refuse(session, "placed")
        blockers = session_blockers(merchant_id=merchant_id, checkout_id=checkout_id)
        if blockers:
            raise DomainError(
                "The session is not ready to be placed; fix what blocks it first.",
                code="session_not_ready",
                status_code=409,
                extra={"blockers": blockers},
            )
        data = {
            "calculation_id": session.current_calculation.public_id,
            "approval_mode": session.merchant.approval_mode,
        }
        if merchant_mode:
            session_transition(
                session, "request_approval", actor=actor, data=data, at=now, deadline=now + time_limit(session.merchant)
            )
        else:
            session_touch(session, actor=actor, type="session.placed", data=data)
    return session


def session_approve(*, merchant_id: int, checkout_id: str, actor: str) -> CheckoutSession:
    """The merchant approves a placed order; the shopper may now pay, within the time limit.

    Locks the session. Raises NotFound (404), InvalidStateTransition (409) unless the
    session awaits approval, or once its approval time limit has passed.
    """
    now = timezone.now()
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if not can_proceed(session.approve):
            raise _refuse(session, "approved")
        if session.payment_deadline_at and session.payment_deadline_at <= now:
            # The expiry job may not have run yet; the shopper was already told to wait no longer.
            raise InvalidStateTransition(
                "The time limit for approving this session has passed.",
                code="approval_deadline_passed",
                explain=f"payment_deadline_at was {session.payment_deadline_at.isoformat()}",
            )
        session_transition(session, "approve", actor=actor, at=now, deadline=now + time_limit(session.merchant))
    return session


def session_decline(*, merchant_id: int, checkout_id: str, actor: str, reason: str) -> CheckoutSession:
    """The merchant declines a placed order; `reason` is shown to the shopper.

    Locks the session. Raises NotFound (404), InvalidStateTransition (409) unless the
    session awaits approval. Any stock hold is released with it.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if not can_proceed(session.decline):
            raise _refuse(session, "declined")
        session_transition(session, "decline", actor=actor, reason=reason)
        session_holds_release(session, actor=actor, reason="session declined")
    return session
