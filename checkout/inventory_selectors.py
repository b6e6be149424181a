"""Reads of stock and reservations; never write."""

from django.db.models import F, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from checkout.models import CheckoutSession, Reservation, ReservationAllocation, ReservationLine, StockItem
from core.exceptions import NotFound

LEDGER = "ledger"


def reserved_quantities(*, merchant_id: int, skus, now) -> dict[str, int]:
    """{sku: quantity held} by the ledger's live holds: ACTIVE and not yet past expires_at.

    The expires_at filter is what makes a lapsed hold stop counting at once, before any
    job has flipped its status. Holds granted by another provider never count here.
    """
    rows = (
        ReservationLine.objects.filter(
            reservation__merchant_id=merchant_id,
            reservation__provider=LEDGER,
            reservation__status=Reservation.Status.ACTIVE,
            reservation__expires_at__gt=now,
            sku__in=list(skus),
        )
        .values("sku")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["sku"]: row["total"] for row in rows}


def stock_with_reserved(queryset, *, now):
    """Annotates StockItem rows with `reserved`: reserved_quantities as one subquery, for
    lists (the admin) that would otherwise ask once per row."""
    held = (
        ReservationLine.objects.filter(
            reservation__merchant_id=OuterRef("merchant_id"),
            reservation__provider=LEDGER,
            reservation__status=Reservation.Status.ACTIVE,
            reservation__expires_at__gt=now,
            sku=OuterRef("sku"),
        )
        .order_by()
        .values("sku")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return queryset.annotate(reserved=Coalesce(Subquery(held), Value(0)))


def stock_list(*, merchant_id: int, sku: str | None = None):
    qs = StockItem.objects.filter(merchant_id=merchant_id)
    if sku:
        qs = qs.filter(sku=sku)
    return qs


def stock_get(*, merchant_id: int, sku: str) -> StockItem:
    item = stock_list(merchant_id=merchant_id, sku=sku).first()
    if item is None:
        raise NotFound("This SKU has no stock record.", param="sku")
    return item


def reservation_queryset():
    return Reservation.objects.select_related("session").prefetch_related(
        Prefetch("lines", queryset=ReservationLine.objects.order_by("sku")),
        Prefetch("allocations", queryset=ReservationAllocation.objects.select_related("location")),
    )


def reservation_get(*, merchant_id: int, reservation_id: str) -> Reservation:
    """The merchant's reservation, or NotFound; another merchant's is 'not found' too."""
    reservation = reservation_queryset().filter(merchant_id=merchant_id, public_id=reservation_id).first()
    if reservation is None:
        raise NotFound("No such reservation.", param="id")
    return reservation


def session_reservations(*, merchant_id: int, checkout_id: str):
    """Every hold the session has taken, for its holds list."""
    session = CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=checkout_id).only("id").first()
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return reservation_queryset().filter(session=session)


def session_hold_is_partial(session: CheckoutSession) -> bool:
    """True while the session's active hold is a best_fit hold short of its cart."""
    if not session.reservation_id:
        return False
    return ReservationLine.objects.filter(
        reservation__session=session,
        reservation__public_id=session.reservation_id,
        reservation__status=Reservation.Status.ACTIVE,
        requested__gt=F("quantity"),
    ).exists()
