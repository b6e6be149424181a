"""The only place checkout builds select_for_update querysets.

Order when several rows are locked: session → order → payment → refund, by primary key.
Inventory rows are leaves of that order: a session's reservation right after whatever
else the service holds, stock items last of all, by sku. Two carts naming the same SKUs
in different orders then queue on them instead of deadlocking.
"""

from checkout.models import CheckoutSession, FinalizationJob, Order, Reservation, StockItem
from checkout.selectors import PAYER_FACTS, SESSION_CHILDREN, session_children_attach
from core.exceptions import NotFound


def lock_session(*, merchant_id: int, checkout_id: str, with_children: bool = False) -> CheckoutSession:
    """Locks the merchant's session row for the rest of the transaction, or 404s.

    Another merchant's session is indistinguishable from a missing one. `with_children`
    also reads, under the lock, all that answering with the session needs (calculation,
    shipping choice, lines and addresses, in the one locking query), so the service can hand
    the session back to its view instead of the view reading it again. A service that
    then writes lines or addresses must put what it wrote in the prefetched lists
    (checkout.selectors.session_with_children).
    """
    related = ("merchant", "current_calculation", "selected_shipping_rate", "pickup_location")
    found = CheckoutSession.objects.select_for_update(of=("self",)).select_related(
        *(related if with_children else related[:1])
    )
    if with_children:
        found = found.annotate(**SESSION_CHILDREN)
    session = found.filter(merchant_id=merchant_id, public_id=checkout_id).first()
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    if with_children:
        session_children_attach(session)
    return session


def lock_session_payer(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    """lock_session for payments' payable check: with what the session knows of the payer
    (checkout.selectors.PAYER_FACTS) in the same statement, for the confirm's fraud scoring."""
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .annotate(**PAYER_FACTS)
        .filter(merchant_id=merchant_id, public_id=checkout_id)
        .first()
    )
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return session


def lock_session_to_pay(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    """lock_session for making its payment intent: with the merchant and the current
    calculation (the amount due) read in the same statement."""
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("merchant", "current_calculation")
        .filter(merchant_id=merchant_id, public_id=checkout_id)
        .first()
    )
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return session


def lock_session_pk(session_pk: int, *, skip_locked: bool = False) -> CheckoutSession | None:
    """Locks a session found by a job or a reservation; None if gone (or busy, with skip_locked)."""
    return (
        CheckoutSession.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("merchant")
        .filter(pk=session_pk)
        .first()
    )


def lock_reservation(*, reservation_id: str, merchant_id: int | None = None) -> Reservation:
    """Locks the reservation's session, then the reservation, or 404s.

    The session goes first (house order), so the session id is read unlocked; it never
    changes for a reservation. With merchant_id, another merchant's reservation is 404.
    """
    found = Reservation.objects.filter(public_id=reservation_id)
    if merchant_id is not None:
        found = found.filter(merchant_id=merchant_id)
    session_pk = found.values_list("session_id", flat=True).first()
    session = lock_session_pk(session_pk) if session_pk is not None else None
    if session is None:
        raise NotFound("No such reservation.", param="id")
    reservation = Reservation.objects.select_for_update().get(public_id=reservation_id)
    reservation.session = session
    return reservation


def lock_active_reservations(*, session: CheckoutSession) -> list[Reservation]:
    """The session's active holds (at most one by constraint); call with the session locked."""
    return list(Reservation.objects.select_for_update().filter(session=session, status="active").order_by("pk"))


def lock_stock_items(*, merchant_id: int, skus) -> dict[str, StockItem]:
    """Locks the merchant's ledger rows for these SKUs in sku order; SKUs without a row
    are absent from the result (untracked).

    PostgreSQL takes the row locks as the sorted rows come out, so the ORDER BY is what
    makes the order fixed.
    """
    rows = StockItem.objects.select_for_update().filter(merchant_id=merchant_id, sku__in=list(skus)).order_by("sku")
    return {item.sku: item for item in rows}


def lock_location_stock(*, location_ids, skus) -> dict:
    """Locks per-location stock rows, {(location pk, sku): row}, in (sku, location) order:
    taken after the ledger rows (lock_stock_items), the last leaves of the house order."""
    from checkout.models import LocationStock

    rows = (
        LocationStock.objects.select_for_update()
        .filter(location_id__in=list(location_ids), sku__in=list(skus))
        .order_by("sku", "location_id")
    )
    return {(row.location_id, row.sku): row for row in rows}


def lock_session_order(*, session: CheckoutSession) -> Order | None:
    """The session's order, locked (second in the house order, after the session)."""
    return Order.objects.select_for_update(of=("self",)).filter(session=session).first()


def lock_finalization_job(job_pk: int, *, skip_locked: bool = False) -> FinalizationJob | None:
    """A finalization job row; lock its session first when the session changes too.
    `skip_locked`: None when another worker holds it (a claim, not a wait)."""
    return FinalizationJob.objects.select_for_update(of=("self",), skip_locked=skip_locked).filter(pk=job_pk).first()
