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
from checkout.providers.inventory import (
    LineAvailability,
    inventory_provider_for,
    inventory_provider_named,
)
from checkout.services.lifecycle import session_touch, session_transition, timeline_record
from core.exceptions import DomainError, InvalidStateTransition

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


def _hold_until(session: CheckoutSession, minutes: int, now):
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


def shortfall_explain(lines: list[dict]) -> dict:
    """`explain` of inventory_shortfall: what a frontend needs to tell the shopper."""
    return {"reason": "inventory_shortfall", "lines": lines, "next_step": "reduce_quantities_or_remove_lines"}


def _shortfall(checks: list[LineAvailability], message: str) -> DomainError:
    lines = [
        {"sku": check.sku, "requested": check.requested, "available": check.available}
        for check in checks
        if check.short
    ]
    return DomainError(
        message,
        code="inventory_shortfall",
        status_code=409,
        param="lines",
        explain=shortfall_explain(lines),
        extra={"lines": lines},
    )


def _wanted(session: CheckoutSession) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for line in session.lines.all():
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return wanted


def session_reserve(*, merchant_id: int, checkout_id: str, actor: str) -> Reservation:
    """Holds the session's whole cart, or nothing, and moves the session to `reserved`.

    Locks the session, its previous hold if any, then the stock rows by sku; availability
    is read under those locks and the hold written in the same transaction, so two carts
    can never both take the last unit. A session already `reserved` whose hold was
    released or lapsed may reserve again (it stays `reserved`).

    Raises NotFound (404); InvalidStateTransition (409) when the status does not allow
    it, the session is past its expiry, or it already holds a live reservation;
    DomainError `inventory_shortfall` (409, `lines` short) with nothing held;
    ServiceUnavailable (503) for an unknown provider.
    """
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
        for previous in lock_active_reservations(session=session):
            if not previous.is_lapsed(now):
                raise InvalidStateTransition(
                    f"The session already holds reservation {previous.public_id}; extend or release it.",
                    explain="one active reservation per session",
                )
            _expire_locked(previous, session=session, actor=actor)

        provider = inventory_provider_for(session.merchant)
        checks = provider.check(merchant_id=merchant_id, wanted=_wanted(session), now=now)
        if any(check.short for check in checks):
            raise _shortfall(checks, "Not enough stock to hold every line; nothing was reserved.")

        reservation = Reservation.objects.create(
            merchant_id=merchant_id,
            session=session,
            provider=provider.name,
            expires_at=_hold_until(session, hold_minutes(session.merchant), now),
        )
        ReservationLine.objects.bulk_create(
            [
                ReservationLine(reservation=reservation, sku=check.sku, quantity=check.requested, tracked=check.tracked)
                for check in checks
            ]
        )
        session.reservation_id = reservation.public_id
        data = {
            "reservation_id": reservation.public_id,
            "provider": provider.name,
            "expires_at": reservation.expires_at.isoformat(),
            "lines": [{"sku": check.sku, "quantity": check.requested} for check in checks],
        }
        if first:
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
        quantities = {line.sku: line.quantity for line in reservation.lines.all()}
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
