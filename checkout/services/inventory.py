"""Stock holds for checkout sessions: reserve, extend, release, commit, expire.

Lock order everywhere: the session, then its reservation, then stock rows by sku
(checkout.locks). Every change to a reservation writes a `reservation.*` row to the
session's timeline in the same transaction.

Hold length: `extra_settings["hold_minutes"]` (default 15) from the reserve or extend,
capped per call by `extra_settings["max_hold_minutes"]` (default 60), and never past the
session's own expires_at: a hold outliving its session would hold stock for nobody.
Refresh the session first to hold longer than it lives.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from checkout.locks import lock_active_reservations, lock_reservation, lock_session, lock_session_pk
from checkout.models import CheckoutSession, Reservation, ReservationLine
from checkout.models.inventory import AllocationStrategy
from checkout.providers.inventory import (
    LineAvailability,
    inventory_provider_for,
    inventory_provider_named,
)
from checkout.services.fulfillment import reservation_allocate, reservation_allocations_commit
from checkout.services.lifecycle import session_touch, session_transition, timeline_record
from core.exceptions import Conflict, DomainError, InvalidStateTransition

DEFAULT_HOLD_MINUTES = 15
DEFAULT_MAX_HOLD_MINUTES = 60
# Whatever a merchant's settings say, no hold is asked for longer than a day.
HOLD_MINUTES_CEILING = 24 * 60
TIDY_BATCH = 500


def _minutes_setting(merchant, key: str, default: int) -> int:
    try:
        value = int((merchant.extra_settings or {}).get(key, default))
    except (TypeError, ValueError):
        value = default
    return min(max(value, 1), HOLD_MINUTES_CEILING)


def hold_minutes(merchant) -> int:
    return _minutes_setting(merchant, "hold_minutes", DEFAULT_HOLD_MINUTES)


def max_hold_minutes(merchant) -> int:
    return max(_minutes_setting(merchant, "max_hold_minutes", DEFAULT_MAX_HOLD_MINUTES), hold_minutes(merchant))


def _hold_until(session: CheckoutSession, minutes: float, now):
    return min(now + timedelta(minutes=minutes), session.expires_at)


def _record(session, reservation: Reservation, change: str, *, actor: str, **data) -> None:
    timeline_record(
        session,
        type=f"reservation.{change}",
        actor=actor,
        data={
            "reservation_id": reservation.public_id,
            "status": reservation.status,
            "expires_at": reservation.expires_at.isoformat(),
            **data,
        },
    )


def _shortfall(checks: list[LineAvailability], message: str) -> DomainError:
    short = [check for check in checks if check.short]
    return DomainError(
        message,
        code="inventory_shortfall",
        status_code=409,
        param="lines",
        explain="; ".join(f"{c.sku}: requested {c.requested}, available {c.available}" for c in short),
        extra={
            "lines": [
                {"sku": check.sku, "requested": check.requested, "available": check.available}
                for check in checks
                if check.short
            ]
        },
    )


def _wanted(session: CheckoutSession) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for line in session.lines.all():
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def _is_partial(reservation: Reservation) -> bool:
    return any(line.shortfall for line in reservation.lines.all())


def session_partial_hold_release(session: CheckoutSession, *, actor: str) -> bool:
    """Releases the session's active hold if it is partial (its cart is about to change);
    the caller holds the session lock. True when one was released."""
    for reservation in lock_active_reservations(session=session):
        if _is_partial(reservation):
            _release_locked(reservation, session=session, actor=actor, reason="cart changed")
            return True
    return False


def _hold_minutes_for(session: CheckoutSession, expires_in_seconds: int | None) -> float:
    """The hold's length: the merchant's hold_minutes, or `expires_in_seconds` when asked,
    which may not exceed max_hold_minutes (400 naming it)."""
    if expires_in_seconds is None:
        return hold_minutes(session.merchant)
    limit = max_hold_minutes(session.merchant)
    if expires_in_seconds > limit * 60:
        raise DomainError(
            f"A hold can last at most {limit * 60} seconds for this merchant.",
            param="expires_in_seconds",
            explain="the merchant's extra_settings['max_hold_minutes'] bounds every hold",
        )
    return expires_in_seconds / 60


def session_reserve(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    expires_in_seconds: int | None = None,
    allocation_strategy: str = AllocationStrategy.FIFO,
) -> Reservation:
    """Holds stock for the session's cart and moves the session to `reserved`.

    `allocation_strategy`:
    - `fifo` (default): every line in full, or nothing: 409 `inventory_shortfall`, whose
      `explain` and `lines` say what is short.
    - `best_fit`: what is available of each line; a line short of stock holds less (its
      `shortfall` says how much), and `validate` reports the hold as a blocker until the
      cart is changed to fit. Still 409 `inventory_shortfall` when nothing at all can be held.
    - `explicit_lots`: refused (400 `allocation_strategy_unsupported`): the stock ledger
      counts SKUs, not lots.
    `expires_in_seconds` sets the hold's length (default the merchant's hold_minutes; at
    most max_hold_minutes, 400 beyond); never past the session's expiry.

    Locks the session, its previous hold if any, then the stock rows by sku; availability
    is read under those locks and the hold written in the same transaction, so two carts
    can never both take the last unit. A session already `reserved` whose hold was
    released or lapsed may reserve again (it stays `reserved`).

    Raises NotFound (404); InvalidStateTransition (409) when the status does not allow
    it, the session is past its expiry, or it already holds a live reservation;
    Conflict `cart_empty` (409); DomainError `inventory_shortfall` (409) with nothing
    held; ServiceUnavailable (503) for an unknown provider.
    """
    if allocation_strategy == AllocationStrategy.EXPLICIT_LOTS:
        raise DomainError(
            "allocation_strategy explicit_lots is not supported: this stock ledger counts SKUs, not lots.",
            code="allocation_strategy_unsupported",
            param="allocation_strategy",
            explain="use fifo (all lines or nothing) or best_fit (what is available of each line)",
        )
    now = timezone.now()
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        first = session.status != CheckoutSession.Status.RESERVED
        if first and not can_proceed(session.reserve):
            raise InvalidStateTransition(
                f"A {session.status} session cannot reserve stock.",
                explain=f"transition 'reserve' is not allowed from '{session.status}'",
            )
        if session.expires_at <= now:
            raise InvalidStateTransition("The session has expired.", explain="session expires_at has passed")
        minutes = _hold_minutes_for(session, expires_in_seconds)
        wanted = _wanted(session)
        if not wanted:
            raise Conflict(
                "The cart has no lines to reserve; add them with PATCH /sessions/{id}.",
                code="cart_empty",
                param="lines",
            )
        for previous in lock_active_reservations(session=session):
            if previous.is_lapsed(now):
                _expire_locked(previous, session=session, actor=actor)
            elif _is_partial(previous):
                # A best_fit hold that fell short is replaced by the new attempt.
                _release_locked(previous, session=session, actor=actor, reason="replaced by a new reservation")
            else:
                raise InvalidStateTransition(
                    f"The session already holds reservation {previous.public_id}; extend or release it.",
                    explain="one active reservation per session",
                )

        provider = inventory_provider_for(session.merchant)
        checks = provider.check(merchant_id=merchant_id, wanted=wanted, now=now)
        short = [check for check in checks if check.short]
        partial = allocation_strategy == AllocationStrategy.BEST_FIT
        nothing_to_hold = len(short) == len(checks) and all(check.available == 0 for check in short)
        if short and (not partial or nothing_to_hold):
            raise _shortfall(checks, "Not enough stock to hold every line; nothing was reserved.")

        reservation = Reservation.objects.create(
            merchant_id=merchant_id,
            session=session,
            provider=provider.name,
            allocation_strategy=allocation_strategy,
            expires_at=_hold_until(session, minutes, now),
        )
        ReservationLine.objects.bulk_create(
            [
                ReservationLine(
                    reservation=reservation,
                    sku=check.sku,
                    quantity=min(check.requested, check.available) if check.short else check.requested,
                    requested=check.requested,
                    tracked=check.tracked,
                )
                for check in checks
            ]
        )
        if not short:
            # Per location when a split shipment plan is chosen: each parcel's units held
            # where it ships from (409 inventory_shortfall, nothing held, if gone since).
            reservation_allocate(session, reservation, now=now)
        session.reservation_id = reservation.public_id
        data = {
            "reservation_id": reservation.public_id,
            "provider": provider.name,
            "allocation_strategy": allocation_strategy,
            "expires_at": reservation.expires_at.isoformat(),
            # From the request to the hold, lock waits and the provider included (diagnostics).
            "latency_ms": round((timezone.now() - now).total_seconds() * 1000),
            "lines": [
                {
                    "sku": check.sku,
                    "quantity": min(check.requested, check.available) if check.short else check.requested,
                    "requested": check.requested,
                }
                for check in checks
            ],
        }
        if short:
            # A partial hold leaves the session where it was (editable): the shopper is
            # shown the shortfall, changes the cart (which releases this hold) and
            # reserves again. Payment refuses the session while the hold is partial.
            data["partial"] = True
            if session.status == CheckoutSession.Status.CREATED:
                session_transition(session, "start_collecting", actor=actor)
            session_touch(session, actor=actor, type="reservation.partial", data=data)
        elif first:
            timeline_record(session, type="reservation.created", actor=actor, data=data)
            session_transition(session, "reserve", actor=actor, data={"reservation_id": reservation.public_id})
        else:
            session_touch(session, actor=actor, type="reservation.created", data=data)
    return reservation


def _extend_locked(reservation: Reservation, *, session, minutes: int | None, actor: str, now) -> Reservation:
    if reservation.is_lapsed(now) or reservation.status != Reservation.Status.ACTIVE:
        raise InvalidStateTransition(
            f"A {reservation.effective_status(now)} reservation cannot be extended.",
            explain="only an active reservation that has not lapsed can be extended",
        )
    limit = max_hold_minutes(session.merchant)
    minutes = minutes or hold_minutes(session.merchant)
    if minutes > limit:
        raise DomainError(f"A hold can be extended by at most {limit} minutes.", param="minutes")
    until = _hold_until(session, minutes, now)
    if until <= reservation.expires_at:
        return reservation  # extending never shortens; the session's expiry may already cap it
    previous = reservation.expires_at
    reservation.expires_at = until
    reservation.save(update_fields=["expires_at", "updated_at"])
    _record(session, reservation, "extended", actor=actor, previous_expires_at=previous.isoformat())
    return reservation


def reservation_extend(*, merchant_id: int, reservation_id: str, actor: str, minutes: int | None = None):
    """Moves an active hold's expiry to now + minutes (default: hold_minutes), bounded by
    max_hold_minutes (400 `minutes`) and by the session's expiry.

    Locks the session, then the reservation. Raises NotFound (404) and
    InvalidStateTransition (409) for a released, committed or lapsed hold.
    """
    with transaction.atomic():
        reservation = lock_reservation(reservation_id=reservation_id, merchant_id=merchant_id)
        return _extend_locked(
            reservation, session=reservation.session, minutes=minutes, actor=actor, now=timezone.now()
        )


def session_holds_extend(*, merchant_id: int, checkout_id: str, actor: str, minutes: int | None = None):
    """reservation_extend for the session's active hold; 409 when it holds none."""
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        active = lock_active_reservations(session=session)
        if not active:
            raise InvalidStateTransition("The session holds no active reservation.", explain="reserve first")
        return _extend_locked(active[0], session=session, minutes=minutes, actor=actor, now=timezone.now())


def session_holds_keep_until(session: CheckoutSession, *, until, actor: str, reason: str) -> int:
    """Keeps the session's active holds until `until`, the deadline of a payment that waits
    for its payer (a bank transfer's days), past hold_minutes, max_hold_minutes and the
    session's own expires_at: the deadlines job leaves a session whose payment waits alone,
    so the payment's deadline ends the wait, and its expiry fails the session and releases
    the holds at that moment. Without this the stock would go back on sale while the
    shopper's money is on its way.

    The caller holds the session lock in its transaction. A hold that lapsed already is
    left as it is (its stock may be sold; committing the order re-checks it). Never
    shortens a hold. Returns how many holds it extended.
    """
    now = timezone.now()
    extended = 0
    for reservation in lock_active_reservations(session=session):
        if reservation.is_lapsed(now) or until <= reservation.expires_at:
            continue
        previous = reservation.expires_at
        reservation.expires_at = until
        reservation.save(update_fields=["expires_at", "updated_at"])
        _record(session, reservation, "extended", actor=actor, previous_expires_at=previous.isoformat(), reason=reason)
        extended += 1
    return extended


def _release_locked(reservation: Reservation, *, session, actor: str, reason: str) -> None:
    reservation.release()
    reservation.save()
    _record(session, reservation, "released", actor=actor, reason=reason)


def _expire_locked(reservation: Reservation, *, session, actor: str) -> None:
    reservation.expire()
    reservation.save()
    _record(session, reservation, "expired", actor=actor)


def reservation_release(*, merchant_id: int, reservation_id: str, actor: str) -> Reservation:
    """Gives the held stock back. The session keeps its status and may reserve again.

    Releasing a released hold is a no-op (safe to retry); a committed or expired one is
    409. Locks the session, then the reservation.
    """
    with transaction.atomic():
        reservation = lock_reservation(reservation_id=reservation_id, merchant_id=merchant_id)
        if reservation.status == Reservation.Status.RELEASED:
            return reservation
        if not can_proceed(reservation.release):
            raise InvalidStateTransition(
                f"A {reservation.status} reservation cannot be released.",
                explain=f"transition 'release' is not allowed from '{reservation.status}'",
            )
        _release_locked(reservation, session=reservation.session, actor=actor, reason="released by request")
    return reservation


def session_holds_release(session: CheckoutSession, *, actor: str, reason: str) -> int:
    """Releases the session's active holds as part of the caller's change (cancel, expiry).

    The caller holds the session lock inside its transaction.
    """
    held = lock_active_reservations(session=session)
    for reservation in held:
        _release_locked(reservation, session=session, actor=actor, reason=reason)
    return len(held)


def reservation_commit(*, reservation_id: str, actor: str = "system:finalize", merchant_id: int | None = None):
    """Turns the hold into a permanent stock decrement (on_hand -= quantity per line).

    Locks the session, the reservation, then the stock rows by sku. Safe to call twice: a
    committed reservation comes back unchanged and stock moves once. A hold that lapsed
    is still committed if the stock is there (re-checked under the locks), else
    `inventory_shortfall` (409). A released hold is 409 invalid_state_transition.
    """
    now = timezone.now()
    with transaction.atomic():
        reservation = lock_reservation(reservation_id=reservation_id, merchant_id=merchant_id)
        if reservation.status == Reservation.Status.COMMITTED:
            return reservation
        if not can_proceed(reservation.commit):
            raise InvalidStateTransition(
                f"A {reservation.status} reservation cannot be committed.",
                explain=f"transition 'commit' is not allowed from '{reservation.status}'",
            )
        provider = inventory_provider_named(reservation.provider)
        held = list(reservation.lines.all())
        if any(line.shortfall for line in held):
            raise DomainError(
                "The hold is short of the cart (a best_fit reservation); it cannot be committed as the order.",
                code="inventory_shortfall",
                status_code=409,
                param="lines",
                explain="; ".join(
                    f"{line.sku}: requested {line.requested_quantity}, reserved {line.quantity}"
                    for line in held
                    if line.shortfall
                ),
            )
        quantities = {line.sku: line.quantity for line in held}
        lapsed = reservation.is_lapsed(now)
        if lapsed:
            # Its quantities stopped counting when it lapsed, so the check below sees
            # exactly what others left: commit only if that still covers this cart.
            checks = provider.check(merchant_id=reservation.merchant_id, wanted=quantities, now=now)
            if any(check.short for check in checks):
                raise _shortfall(checks, "The hold lapsed and the stock has since been taken.")
        provider.commit(
            merchant_id=reservation.merchant_id, quantities=quantities, reference=reservation.public_id, actor=actor
        )
        reservation_allocations_commit(reservation)
        reservation.commit()
        reservation.save()
        _record(reservation.session, reservation, "committed", actor=actor, lapsed=lapsed)
    return reservation


def reservations_expire_lapsed(*, now=None, batch_size: int = TIDY_BATCH) -> int:
    """Flips lapsed active holds to `expired`. Bookkeeping only: they stopped counting
    against stock when expires_at passed.

    One short transaction per hold, session first; a session someone else has locked is
    skipped (skip_locked) and picked up by the next run. Safe to run twice or in parallel.
    """
    now = now or timezone.now()
    candidates = list(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("pk", "session_id")[:batch_size]
    )
    expired = 0
    for reservation_pk, session_pk in candidates:
        with transaction.atomic():
            session = lock_session_pk(session_pk, skip_locked=True)
            if session is None:
                continue
            for reservation in lock_active_reservations(session=session):
                # Re-checked under the lock: it may have been extended since we looked.
                if reservation.pk == reservation_pk and reservation.expires_at <= now:
                    _expire_locked(reservation, session=session, actor="system:tidy_reservations")
                    expired += 1
    return expired
