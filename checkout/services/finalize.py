"""Finalization: a paid session becomes exactly one Order, with its receipt.

`session_finalize` is one transaction. Its locks, in the house order: the session, its
order (if any), its payment (through payments), then the reservation and the stock rows
by sku (reservation_commit or the reserve-and-commit below), then the promotion row.
Repeated or concurrent calls queue on the session lock and the later ones return the
order the first one made; the one-to-one session column makes a second order impossible
even for a caller that forgot the lock.

Stock: a session that holds a reservation commits it. One without a usable hold (it
never reserved, or released its hold) is reserved and committed in one step under the
stock locks, with the same check the reserve endpoint makes, so finalizing never
oversells whichever provider the merchant runs ("none" grants and commits nothing).

What fails after the money was taken (no stock left, promotion used up) is compensated
through the close service (checkout.services.closing), outside any transaction: the
payment is voided (authorized) or refunded (captured) through payments, the holds are
released, the session fails with the reason, and the merchant gets the alert event
`checkout.finalization_failed`. An attempt still in flight is left to payments' janitor,
which gives the money back once it settles.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from checkout.failures import reason_for_finalization_error
from checkout.fulfillment_selectors import PLAN_MEMO, order_shipments
from checkout.locks import lock_session, lock_session_order, lock_session_pk
from checkout.models import Address, CheckoutSession, Order, Reservation, ReservationLine
from checkout.models.session import CLOSE_FAIL
from checkout.pricing_selectors import session_blockers, session_blockers_for
from checkout.providers.inventory import inventory_provider_for
from checkout.selectors import session_address
from checkout.services.closing import LEAVE_TO_JANITOR, session_close_claim, session_close_run
from checkout.services.confirmation import order_confirmation_queue
from checkout.services.fulfillment import reservation_allocate, reservation_allocations_commit
from checkout.services.inventory import reservation_commit
from checkout.services.lifecycle import (
    session_rows_add,
    session_touch,
    session_transition,
    session_writes,
    timeline_record,
)
from checkout.services.pricing import promotion_redeem
from checkout.services.wallet import session_wallet_pays
from core import metrics
from core.exceptions import Conflict, DomainError, InvalidStateTransition, ServiceUnavailable
from core.rows import rows_write
from merchants.events import event_emit
from payments.bnpl.selectors import payment_may_have_installments
from payments.exceptions import ReviewPending
from payments.selectors import (
    payment_is_held,
    payment_is_manual_capture,
    payment_is_replaceable,
    payment_is_settled,
    payment_is_unpaid,
    payment_review_open,
)
from payments.services import payment_intent_cancel, payment_intent_lock
from payments.services.returns import (  # noqa: F401 (the outcomes, re-exported for checkout)
    CANCELED,
    IN_FLIGHT,
    NOTHING_HELD,
    PENDING,
    REFUNDED,
    REFUSED,
    VOIDED,
    payment_intent_give_back,
)
from payments.wallet.split import payment_paid_parts, split_paid_parts

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
# Blockers that make the order wrong, not merely incomplete: the totals are not the ones
# the shopper paid. The rest (a missing email, say) were for place and validate to
# catch; once paid the session can no longer be edited, so they do not stop the order.
HARD_BLOCKERS = frozenset({"calculation_missing", "stale_calculation"})
ALERT_EVENT = "checkout.finalization_failed"

ELSEWHERE = "handled_elsewhere"  # another request already claimed the session to give it back
OUTCOME_TEXT = {
    VOIDED: "The payment's authorization was voided.",
    REFUNDED: "The payment was refunded.",
    CANCELED: "The payment was canceled.",
    NOTHING_HELD: "No money was held.",
    PENDING: "Giving the payment back is under way and will be retried.",
    IN_FLIGHT: "A payment attempt is still running; it will be given back once it settles.",
    ELSEWHERE: "Another request is giving the payment back.",
    REFUSED: "Giving the payment back was refused; it needs a person to look at it.",
}


@dataclass(frozen=True)
class Finalized:
    order: Order
    created: bool


class _FailedAfterPayment(Exception):
    def __init__(self, cause: DomainError):
        super().__init__(cause.message)
        self.cause = cause


def _lock(*, merchant_id: int, checkout_id: str, skip_locked: bool) -> CheckoutSession | None:
    if not skip_locked:
        # Lines, addresses and the calculation are read several times below: once here.
        return lock_session(merchant_id=merchant_id, checkout_id=checkout_id, with_children=True)
    pk = (
        CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=checkout_id)
        .values_list("pk", flat=True)
        .first()
    )
    return lock_session_pk(pk, skip_locked=True) if pk else None


def session_finalize(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    skip_locked: bool = False,
    order_service_hint: dict | None = None,
) -> Finalized | None:
    """Turns the paid session into its order, or returns the order it already has.

    `order_service_hint` is stored on a new order as given; an order that already exists
    keeps the hint it was made with.

    Needs the session in payment_processing with its payment captured, or authorized for
    manual capture. Raises NotFound (404); InvalidStateTransition (409) from another
    status or while the session is being closed; Conflict `payment_not_settled` (409)
    before the payment succeeded; DomainError `session_not_ready` (409) for totals that
    are not the ones paid; DomainError `finalization_failed` (409, `cause` and
    `compensation`) when it failed after payment and the money was given back.
    With skip_locked (the jobs), a session someone else holds returns None.
    """
    try:
        with transaction.atomic(durable=True):
            session = _lock(merchant_id=merchant_id, checkout_id=checkout_id, skip_locked=skip_locked)
            if session is None:
                return None
            return _finalize_locked(session, actor=actor, order_service_hint=order_service_hint)
    except _FailedAfterPayment as failure:
        # The transaction above rolled back: no order, no stock moved, no promotion used.
        cause = failure.cause
        metrics.count(metrics.FINALIZATIONS, outcome="failed")
        outcome = finalization_compensate(merchant_id=merchant_id, checkout_id=checkout_id, cause=cause, actor=actor)
        raise DomainError(
            f"The order could not be finalized: {cause.message} {OUTCOME_TEXT[outcome]}",
            code="finalization_failed",
            status_code=409,
            param=cause.param,
            extra={"cause": cause.code, "compensation": outcome, **cause.extra},
        ) from cause


def _finalize_locked(session: CheckoutSession, *, actor: str, order_service_hint: dict | None = None) -> Finalized:
    # Nothing here changes the shipping choice, and the session is locked: its selected
    # plan (the blockers, the allocation, the order's parcels) is read once.
    setattr(session, PLAN_MEMO, {})
    # An order is only ever made with the session's move to completed, which no status
    # leaves: a session still paying has none to lock (the one-to-one column backs this).
    existing = lock_session_order(session=session) if session.status != Status.PAYMENT_PROCESSING else None
    if existing is not None:
        return Finalized(order=existing, created=False)
    if session.status == Status.CLOSING:
        raise InvalidStateTransition(
            "The session is being closed and its payment given back; it cannot be finalized.",
            explain=f"closing since {session.closing_claimed_at.isoformat() if session.closing_claimed_at else '?'}",
        )
    # Balances alone cover it: they are taken here, in this transaction, with the order.
    wallet_split = session_wallet_pays(session, actor=actor) if not session.payment_intent_id else None
    if not can_proceed(session.complete):
        raise InvalidStateTransition(
            f"A {session.status} session cannot be finalized.",
            explain="finalize needs a session in payment_processing whose payment succeeded",
        )
    calc = session.current_calculation
    if wallet_split is not None:
        payment, payment_status = None, Order.PaymentStatus.CAPTURED
    else:
        payment = payment_intent_lock(merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id)
        if payment_review_open(payment):
            raise ReviewPending()
        payment_status = _settled_status(payment)
    # The session as locked above, with its children: no second read of it. (Balances
    # that just paid wrote to it: read it as stored.)
    blockers = (
        session_blockers_for(session)
        if wallet_split is None
        else session_blockers(merchant_id=session.merchant_id, checkout_id=session.public_id)
    )
    hard = [blocker for blocker in blockers if blocker["code"] in HARD_BLOCKERS]
    if hard:
        raise DomainError(
            "The session's totals are not the ones that were paid.",
            code="session_not_ready",
            status_code=409,
            extra={"blockers": hard},
        )
    # Gift cards and store credit paid part of it, as earlier parts of the split payment.
    paid_with = payment_paid_parts(payment) if payment is not None else split_paid_parts(wallet_split)
    paid, currency = sum(part["amount"] for part in paid_with), (payment or wallet_split).currency
    if (paid, currency) != (calc.grand_total, calc.currency):
        raise Conflict(
            "The payment does not match the session's total.",
            code="amount_mismatch",
            explain=f"paid {paid} {currency}, total {calc.grand_total} {calc.currency}",
        )

    # The session's save and every row the finalization leaves (order, timeline, audit,
    # outbox) are written at the end of this block: one UPDATE and one INSERT.
    with session_writes(session):
        now = timezone.now()
        try:
            reservation_id = _commit_stock(session, actor=actor, now=now)
            for adjustment in calc.adjustments:
                if adjustment.get("type") == "promotion" and adjustment.get("promotion_id"):
                    promotion_redeem(promotion_id=adjustment["promotion_id"])
        except ServiceUnavailable:
            raise  # an outage, not a verdict: the caller (or finalize_paid) tries again later
        except DomainError as exc:
            raise _FailedAfterPayment(exc) from exc

        order = Order(
            **_order_snapshot(session, calc, payment, payment_status, reservation_id),
            payments=paid_with,
            order_service_hint=order_service_hint or {},
        )
        # An intent that does not accept pay-later has no plan: its answer reads no schedule.
        order.installments_known_none = payment is None or not payment_may_have_installments(payment)
        session_rows_add(session, order)
        timeline_record(
            session,
            type="order.created",
            actor=actor,
            data={
                "order_id": order.public_id,
                "payment_intent_id": payment.public_id if payment else "",
                **({"split_payment": wallet_split.public_id} if wallet_split else {}),
                "payment_status": payment_status,
                "reservation_id": reservation_id,
                # What place/validate would have caught, kept for whoever reads the order.
                "warnings": [blocker["code"] for blocker in blockers if blocker not in hard],
            },
        )
        session_transition(
            session,
            "complete",
            actor=actor,
            data={"order_id": order.public_id},
            event_data={"order_id": order.public_id, "payment_intent_id": payment.public_id if payment else ""},
        )
        order_confirmation_queue(order)
        metrics.count(metrics.FINALIZATIONS, outcome="completed")
        return Finalized(order=order, created=True)


def _settled_status(payment) -> str:
    if payment_is_settled(payment):
        return Order.PaymentStatus.CAPTURED
    if payment_is_held(payment) and payment_is_manual_capture(payment):
        if payment.pending_operation == "void":
            raise InvalidStateTransition("The payment is being voided.", code="operation_in_progress")
        return Order.PaymentStatus.AUTHORIZED
    raise Conflict(
        "The payment has not succeeded yet; finalize once it is captured (or authorized, for manual capture).",
        code="payment_not_settled",
        explain=f"payment intent {payment.public_id} is {payment.state}",
    )


def _wanted(session: CheckoutSession) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for line in session.lines.all():
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def _commit_stock(session: CheckoutSession, *, actor: str, now) -> str:
    """Commits the session's hold, or reserves and commits in one step; returns its id."""
    # No reservation id: nothing to look up (every reservation has one).
    held = (
        Reservation.objects.filter(session=session, public_id=session.reservation_id).first()
        if session.reservation_id
        else None
    )
    usable = (Reservation.Status.ACTIVE, Reservation.Status.EXPIRED, Reservation.Status.COMMITTED)
    if held is not None and held.status in usable:
        # Re-locks the session (already ours), then the reservation and the stock rows.
        reservation_commit(reservation_id=held.public_id, actor=actor, merchant_id=session.merchant_id)
        return held.public_id

    provider = inventory_provider_for(session.merchant)
    checks = provider.check(merchant_id=session.merchant_id, wanted=_wanted(session), now=now)
    short = [check for check in checks if check.short]
    if short:
        lines = [{"sku": c.sku, "requested": c.requested, "available": c.available} for c in short]
        raise DomainError(
            "There is not enough stock left for this order.",
            code="inventory_shortfall",
            status_code=409,
            param="lines",
            explain="; ".join(f"{c.sku}: requested {c.requested}, available {c.available}" for c in short),
            extra={"lines": lines},
        )
    # Made and committed in this one transaction, under the stock locks the check took:
    # nobody ever sees it active, so it is written committed (one INSERT, not two writes).
    reservation = Reservation(merchant_id=session.merchant_id, session=session, provider=provider.name, expires_at=now)
    reservation.commit()
    reservation.save()
    # Its lines go with the change's other rows (in session_writes, at the end of the block).
    rows_write(
        [ReservationLine(reservation=reservation, sku=c.sku, quantity=c.requested, tracked=c.tracked) for c in checks]
    )
    allocations = reservation_allocate(session, reservation, now=now)
    # Only what the provider counts leaves its stock: an untracked SKU has nothing to take
    # (and a cart of untracked SKUs needs no second look at the stock rows).
    counted = {c.sku: c.requested for c in checks if c.tracked}
    if counted:
        provider.commit(
            merchant_id=session.merchant_id, quantities=counted, reference=reservation.public_id, actor=actor
        )
    reservation_allocations_commit(reservation, allocations=allocations)  # the new hold's: all it has
    session.reservation_id = reservation.public_id  # saved with the completion
    timeline_record(
        session,
        type="reservation.committed",
        actor=actor,
        data={
            "reservation_id": reservation.public_id,
            "provider": provider.name,
            "reserved_at_finalize": True,
            "lines": [{"sku": c.sku, "quantity": c.requested} for c in checks],
        },
    )
    return reservation.public_id


def _address(session: CheckoutSession, kind: str) -> dict | None:
    address = session_address(session, kind)
    if address is None:
        return None
    fields = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")
    return {field: getattr(address, field) for field in fields}


def _order_snapshot(session, calc, payment, payment_status: str, reservation_id: str) -> dict:
    names = {line.public_id: line.name for line in session.lines.all()}
    method = payment.payment_method if payment else None
    return {
        "merchant": session.merchant,  # loaded with the session: the order's own needs no read
        "session": session,
        "amount": calc.grand_total,
        "currency": calc.currency,
        "totals": {
            "sub_total": calc.sub_total,
            "discount_total": calc.discount_total,
            "tax_total": calc.tax_total,
            "shipping_total": calc.shipping_total,
            "fee_total": calc.fee_total,
            "grand_total": calc.grand_total,
        },
        "lines": [{**line, "name": names.get(line.get("line_id"), line.get("sku", ""))} for line in calc.lines],
        "adjustments": [{k: v for k, v in adj.items() if k != "promotion_id"} for adj in calc.adjustments],
        "shipping": calc.shipping,
        "shipments": order_shipments(session),
        "customer": {
            "email": session.customer_email,
            "name": session.customer_name,
            "phone": session.customer_phone,
            "reference": session.customer_reference,
        },
        "shipping_address": _address(session, Address.Kind.SHIPPING),
        "billing_address": _address(session, Address.Kind.BILLING),
        "calculation_id": calc.public_id,
        "reservation_id": reservation_id,
        "payment_intent_id": payment.public_id if payment else "",
        "payment_status": payment_status,
        "amount_captured": payment.amount_captured if payment else 0,
        "payment_method": {"brand": method.brand, "last4": method.last4} if method else None,
        "locale": session.locale,
    }


def session_finalize_settled_outside(
    *, merchant_id: int, checkout_id: str, actor: str, reason: str, external_reference: str = ""
) -> Finalized:
    """Manual override: the shopper paid by other means (bank transfer, phone), so the
    session becomes its order with payment_status `settled_outside`, without a charge.

    One transaction; locks the session, its order, then its payment (house order). An
    open intent with nothing at the gateway is canceled so it can never be paid as well.
    Returns the order already made on a repeat. Raises NotFound (404);
    InvalidStateTransition (409) unless payment_processing or failed; Conflict
    `payment_on_file` (409) when the session's intent took money or has an attempt under
    way (finalize it, or let it settle); DomainError `session_not_ready` (409) without
    totals; `inventory_shortfall` (409) when the stock is gone (nothing is written).
    """
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        existing = lock_session_order(session=session)
        if existing is not None:
            return Finalized(order=existing, created=False)
        if not can_proceed(session.complete_manually):
            raise InvalidStateTransition(
                f"A {session.status} session cannot be completed by a manual override.",
                explain="an override needs a session in payment_processing or failed",
            )
        if session.payment_intent_id:
            payment = payment_intent_lock(merchant_id=merchant_id, payment_intent_id=session.payment_intent_id)
            if not payment_is_replaceable(payment):
                raise Conflict(
                    "The session's own payment took money or is still running; finalize it or let it settle.",
                    code="payment_on_file",
                    explain=f"payment intent {payment.public_id} is {payment.state}",
                )
            if payment_is_unpaid(payment):
                payment_intent_cancel(
                    merchant_id=merchant_id,
                    payment_intent_id=payment.public_id,
                    actor=actor,
                    reason="Settled outside the platform (manual override).",
                )
        calc = session.current_calculation
        if calc is None or not session.calculation_is_current:
            raise DomainError(
                "The session has no current totals to record as paid.", code="session_not_ready", status_code=409
            )
        reservation_id = _commit_stock(session, actor=actor, now=timezone.now())
        for adjustment in calc.adjustments:
            if adjustment.get("type") == "promotion" and adjustment.get("promotion_id"):
                promotion_redeem(promotion_id=adjustment["promotion_id"])
        override = {"reason": reason, "external_reference": external_reference, "by": actor}
        order = Order.objects.create(
            **_order_snapshot(session, calc, None, Order.PaymentStatus.SETTLED_OUTSIDE, reservation_id),
            order_service_hint={"settled_outside": override},
        )
        timeline_record(
            session,
            type="order.created",
            actor=actor,
            data={"order_id": order.public_id, "payment_status": order.payment_status, "override": override},
        )
        session_transition(
            session,
            "complete_manually",
            actor=actor,
            data={"order_id": order.public_id, "override": override},
            event_data={"order_id": order.public_id, "payment_intent_id": "", "settled_outside": True},
            reason=reason,
        )
    return Finalized(order=order, created=True)


# --- giving the money back ----------------------------------------------------------


def payment_give_back(*, merchant_id: int, payment_intent_id: str, actor: str, reason: str) -> str:
    """Voids, cancels or refunds the payment through payments, whichever its state needs
    (payments decides which); see payments.services.returns.payment_intent_give_back."""
    return payment_intent_give_back(
        merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor, reason=reason
    )


def finalization_compensate(*, merchant_id: int, checkout_id: str, cause: DomainError, actor: str) -> str:
    """After a finalize failed past payment: claim the session for closing, give the money
    back, then fail the session with the reason and raise the alert. Returns what the
    money did.

    Through the close service: claim (session locked: `closing`, timeline) → payments
    called with no lock held → record (session locked: holds released, `fail`). An
    attempt still in flight is left to payments' janitor; a give-back that got no answer
    leaves the session closing, and checkout.enforce_deadlines resumes it.
    """
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if session.status != Status.PAYMENT_PROCESSING:
            return ELSEWHERE
        timeline_record(
            session,
            type="finalization.failed",
            actor=actor,
            data={"code": cause.code, "message": cause.message, **cause.extra},
        )
        reason = f"The order could not be finalized: {cause.message}"[:500]
        session_close_claim(
            session,
            kind=CLOSE_FAIL,
            reason=reason,
            actor=actor,
            data={"code": cause.code},
            failure_code=reason_for_finalization_error(cause.code),
        )
        payment_intent_id = session.payment_intent_id
        session_pk = session.pk

    result = session_close_run(session_pk=session_pk, actor=actor, on_in_flight=LEAVE_TO_JANITOR)
    outcome = result.payment

    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        session_touch(
            session,
            actor=actor,
            type="finalization.compensated",
            data={"code": cause.code, "compensation": outcome, "holds_released": result.released},
        )
        event_emit(
            merchant_id=merchant_id,
            type=ALERT_EVENT,
            checkout_id=session.public_id,
            payment_intent_id=payment_intent_id,
            data={
                "checkout_id": session.public_id,
                "payment_intent_id": payment_intent_id,
                "code": cause.code,
                "message": cause.message,
                "compensation": outcome,
                **cause.extra,
            },
        )
    logger.warning("finalization of %s failed (%s); payment %s", checkout_id, cause.code, outcome)
    return outcome
