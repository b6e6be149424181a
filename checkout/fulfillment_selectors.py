"""Reads for split fulfilment: locations, stock free at each, and a session's chosen plan."""

import hashlib
import json

from django.db.models import Sum

from checkout.models import (
    Address,
    CheckoutSession,
    LocationStock,
    ReservationAllocation,
    ShipmentPlan,
    StockLocation,
)
from checkout.models.inventory import ReservationStatus
from checkout.selectors import session_address
from core.exceptions import NotFound


def location_list(*, merchant_id: int):
    return StockLocation.objects.filter(merchant_id=merchant_id).order_by("priority", "id")


def location_get(*, merchant_id: int, location_id: str) -> StockLocation:
    location = StockLocation.objects.filter(merchant_id=merchant_id, public_id=location_id).first()
    if location is None:
        raise NotFound("No such stock location.", param="id")
    return location


def location_stock(location: StockLocation) -> list[LocationStock]:
    return list(location.stock.order_by("sku"))


def allocated_quantities(*, location_ids, skus, now, exclude_reservation_id: int | None = None) -> dict:
    """{(location pk, sku): units held by active, unlapsed holds} for these locations and SKUs."""
    held = ReservationAllocation.objects.filter(
        location_id__in=list(location_ids),
        sku__in=list(skus),
        reservation__status=ReservationStatus.ACTIVE,
        reservation__expires_at__gt=now,
    )
    if exclude_reservation_id is not None:
        held = held.exclude(reservation_id=exclude_reservation_id)
    rows = held.values("location_id", "sku").annotate(total=Sum("quantity"))
    return {(row["location_id"], row["sku"]): row["total"] for row in rows}


def available_by_location(*, merchant_id: int, skus, now) -> tuple[list[StockLocation], dict[int, dict[str, int]]]:
    """The merchant's active locations (priority order) and what each can still give of
    each SKU it stocks: on_hand less what live holds took there."""
    locations = list(location_list(merchant_id=merchant_id).filter(is_active=True))
    levels = LocationStock.objects.filter(location__in=locations, sku__in=list(skus))
    held = allocated_quantities(location_ids=[loc.pk for loc in locations], skus=skus, now=now)
    free: dict[int, dict[str, int]] = {location.pk: {} for location in locations}
    for level in levels:
        free[level.location_id][level.sku] = max(level.on_hand - held.get((level.location_id, level.sku), 0), 0)
    return locations, free


def session_shipment_fingerprint(session: CheckoutSession) -> str:
    """What a plan depends on: the shipped lines, their quantities and prices, the
    destination country and the currency."""
    address = session_address(session, Address.Kind.SHIPPING)
    lines = sorted(
        (line.public_id, line.sku, line.quantity, line.unit_amount, line.weight_grams)
        for line in session.lines.all()
        if line.requires_shipping
    )
    material = json.dumps([session.currency, address.country if address else None, lines], default=str)
    return hashlib.sha256(material.encode()).hexdigest()


# Set on a locked session by a service that chooses no shipping (finalize), so the
# selected plan it asks for several times is read once.
PLAN_MEMO = "_selected_plan_memo"


def selected_shipment_plan(session: CheckoutSession) -> ShipmentPlan | None:
    """The session's selected plan while it still fits the cart and address; else None
    (the session then needs shipping chosen again)."""
    if session.__dict__.get("_selected_plan_id", 0) is None:
        return None  # the locking query found none (checkout.locks), and none was chosen since
    memo = getattr(session, PLAN_MEMO, None)
    if memo is None:
        plan = ShipmentPlan.objects.filter(session=session, status=ShipmentPlan.Status.SELECTED).first()
    else:
        if "plan" not in memo:
            memo["plan"] = ShipmentPlan.objects.filter(session=session, status=ShipmentPlan.Status.SELECTED).first()
        plan = memo["plan"]
    if plan is None or plan.fingerprint != session_shipment_fingerprint(session):
        return None
    return plan


def order_shipments(session: CheckoutSession) -> list[dict]:
    """The parcels an order records from its selected plan: [] for one shipment or none."""
    plan = selected_shipment_plan(session)
    if plan is None:
        return []
    return [
        {
            "shipment_id": group["group_id"],
            "location": group["location"],
            "lines": group["lines"],
            "shipping_option": next(
                (o for o in group["shipping_options"] if o["id"] == group["selected_shipping_option_id"]), None
            ),
            "shipping_amount": group["shipping_amount"],
            "estimate": group["estimate"],
            "status": "pending",
        }
        for group in plan.groups
    ]
