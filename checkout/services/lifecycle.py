"""The one path by which a session changes state or records a notable change.

Callers hold the session's row lock (checkout.locks) inside transaction.atomic(); these
helpers save, append to the timeline and emit the merchant's event in that transaction.

Inside `session_writes(session)` they hold their writes back to the end of the block:
the session is saved once, and every row of the change (timeline, audit trail, outbox,
and rows the service adds with `session_rows_add`) goes in one statement (core.rows'
`rows_held`, which the payment services use too). A request that moves a fresh session
to collecting and records its own change then costs one UPDATE and one INSERT, not two
of each.
"""

from contextlib import contextmanager

from django.utils import timezone
from django_fsm import can_proceed

from checkout.failures import FAILURE_STATUSES, default_reason
from checkout.models import CheckoutSession, SessionEvent
from core.exceptions import InvalidStateTransition
from core.rows import rows_held, rows_write
from merchants.audit.services import audit_entry
from merchants.events import events_emit

# Merchant-facing event for each state a session can enter.
STATUS_EVENTS = {
    CheckoutSession.Status.AWAITING_APPROVAL: "checkout.pending_approval",
    CheckoutSession.Status.APPROVED: "checkout.approved",
    CheckoutSession.Status.DECLINED: "checkout.declined",
    CheckoutSession.Status.COMPLETED: "checkout.completed",
    CheckoutSession.Status.FAILED: "checkout.failed",
    CheckoutSession.Status.CANCELED: "checkout.canceled",
    CheckoutSession.Status.EXPIRED: "checkout.expired",
}
# The session's final result, also POSTed to its callback_url (SPEC 6.2).
CALLBACK_EVENTS = {
    "checkout.completed",
    "checkout.failed",
    "checkout.canceled",
    "checkout.expired",
    "checkout.declined",
}


def session_snapshot(session: CheckoutSession) -> dict:
    """The small, stable view of a session carried in events (before/after)."""
    calc = session.current_calculation
    return {
        "checkout_id": session.public_id,
        "status": session.status,
        "currency": session.currency,
        "grand_total": calc.grand_total if calc else None,
        "calculation_id": calc.public_id if calc else None,
        "version": session.version,
    }


class _Writes:
    def __init__(self):
        self.save = False


@contextmanager
def session_writes(session: CheckoutSession):
    """Holds back the session's saves and the change's rows until the block ends, then
    writes the rows in one statement and the session in one UPDATE. Use inside the
    transaction and after the lock, where nothing reads the change's rows back from the
    database before the end. On an exception nothing is written (the transaction rolls
    back anyway). Nested blocks join the outer one."""
    if getattr(session, "_writes", None) is not None:
        yield session
        return
    writes = session._writes = _Writes()
    try:
        with rows_held():
            yield session
    finally:
        session._writes = None
    if writes.save:
        # After the rows (a new calculation needs its id first): at once, or after an
        # enclosing block's rows when this one joined it.
        rows_write(then=session.save)


def session_rows_add(session: CheckoutSession, *rows) -> None:
    """Writes new rows of the session's change (lines, an address, a calculation): with
    the block's other rows inside `session_writes`, else now."""
    rows_write(*([row] for row in rows))


def _session_save(session: CheckoutSession) -> None:
    writes = getattr(session, "_writes", None)
    if writes is None:
        session.save()
    else:
        writes.save = True


def session_event_emit(session: CheckoutSession, **spec) -> None:
    """The merchant's event of a session change (merchants.events.event_emit's keywords),
    written with the block's rows inside `session_writes`."""
    events_emit([spec])


def timeline_record(
    session: CheckoutSession,
    *,
    type: str,
    actor: str,
    data=None,
    from_status="",
    to_status="",
    before=None,
    after=None,
    audit_object: tuple[str, str] | None = None,
):
    """Appends to the session's timeline and to the merchant's audit trail, in the caller's
    transaction: every timeline row is a change of the session someone may ask about. Both
    rows go in one statement. `audit_object` = (object_type, object_id) files the audit row
    under what the change is about when that is the session's order rather than the session."""
    event = SessionEvent(
        session=session, type=type, actor=actor, data=data or {}, from_status=from_status, to_status=to_status
    )
    object_type, object_id = audit_object or ("checkout_session", session.public_id)
    entry = audit_entry(
        merchant_id=session.merchant_id,
        object_type=object_type,
        object_id=object_id,
        action=type,
        actor=actor,
        before=before,
        after=after,
        data=data,
    )
    rows_write([event], [entry])
    return event


def session_touch(session: CheckoutSession, *, actor: str, type: str, data=None, pricing_changed=False):
    """Saves a non-state change: bumps the version (and pricing_version when the totals
    may move, which makes the current calculation stale) and writes the timeline."""
    session.version += 1
    if pricing_changed:
        session.pricing_version += 1
    _session_save(session)
    timeline_record(session, type=type, actor=actor, data=data)


def _event_data(session: CheckoutSession, event_type: str, before: dict, after: dict, extra: dict | None) -> dict:
    if event_type == "checkout.pending_approval":
        # Only ids (SPEC 6.1): the merchant fetches the session itself, over an
        # authenticated call, before it approves a price or a stock level.
        return {"checkout_id": session.public_id, "merchant": session.merchant.public_id}
    return {"before": before, "after": after, **(extra or {})}


def _failure_follow(session: CheckoutSession, failure_code: str | None) -> None:
    """Keeps failure_code/failed_at true to the status just entered (saved with it)."""
    if session.status in FAILURE_STATUSES:
        if failure_code or not session.failure_code:
            session.failure_code = failure_code or default_reason(session.status)
        session.failed_at = session.failed_at or timezone.now()
    elif session.status != CheckoutSession.Status.CLOSING:
        session.failure_code, session.failed_at = "", None


def session_failure_mark(session: CheckoutSession, failure_code: str) -> None:
    """Lists a session that is still open under `failure_code` (a declined attempt while
    attempts remain, a finalization job that failed). The caller holds the lock; no
    version bump: nothing a client may edit changed."""
    session.failure_code, session.failed_at = failure_code, timezone.now()
    CheckoutSession.objects.filter(pk=session.pk).update(failure_code=session.failure_code, failed_at=session.failed_at)


def session_failure_clear(session: CheckoutSession) -> None:
    if session.failure_code:
        session.failure_code, session.failed_at = "", None
        CheckoutSession.objects.filter(pk=session.pk).update(failure_code="", failed_at=None)


def session_transition(
    session: CheckoutSession,
    name: str,
    *,
    actor: str,
    data=None,
    event_data=None,
    announce=True,
    failure_code: str | None = None,
    **kwargs,
):
    """Runs the named @transition, saves, writes the timeline and the merchant event.

    `event_data` adds keys to the merchant event (e.g. the order id on completion);
    `announce=False` skips the event for a return to a status already announced;
    `failure_code` names why (checkout.failures) when it enters failed, expired or declined.
    Raises InvalidStateTransition (409) when the session's state does not allow it.
    """
    method = getattr(session, name)
    if not can_proceed(method):
        raise InvalidStateTransition(
            f"A {session.status} session cannot {name.replace('_', ' ')}.",
            explain=f"transition '{name}' is not allowed from '{session.status}'",
        )
    before = session_snapshot(session)
    from_status = session.status
    method(**kwargs)
    _failure_follow(session, failure_code)
    session.version += 1
    _session_save(session)
    after = session_snapshot(session)
    timeline_record(
        session,
        type=f"status.{session.status}",
        actor=actor,
        data={**(data or {}), **({"reason": session.status_reason} if session.status_reason else {})},
        from_status=from_status,
        to_status=session.status,
        before=before,
        after=after,
    )
    event_type = STATUS_EVENTS.get(session.status) if announce else None
    if event_type:
        session_event_emit(
            session,
            merchant_id=session.merchant_id,
            type=event_type,
            checkout_id=session.public_id,
            payment_intent_id=session.payment_intent_id,
            data=_event_data(session, event_type, before, after, event_data),
            callback_url=session.callback_url if event_type in CALLBACK_EVENTS else "",
        )
    return session


def ensure_editable(session: CheckoutSession, *, actor: str) -> None:
    """Shopper details may change only before approval, reservation or payment; the first
    change moves a fresh session to `collecting`."""
    if not session.is_editable:
        raise InvalidStateTransition(
            f"A {session.status} session can no longer be changed.",
            explain="details may change only while the session is created or collecting",
        )
    if session.status == CheckoutSession.Status.CREATED:
        session_transition(session, "start_collecting", actor=actor)
