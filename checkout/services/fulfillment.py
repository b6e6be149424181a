"""Split fulfilment: stock locations, shipment plans, and holds taken per location.

Lock order is the house order (checkout.locks): the session, its plan or reservation,
the ledger rows by sku, then per-location rows by (sku, location). A SKU stocked at
locations keeps its ledger total (StockItem.on_hand) equal to the sum of its locations:
both are written in one transaction here, and a commit takes units from both.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from checkout.fulfillment_selectors import (
    allocated_quantities,
    available_by_location,
    location_get,
    selected_shipment_plan,
    session_shipment_fingerprint,
)
from checkout.locks import lock_location_stock, lock_session
from checkout.models import (
    Address,
    CheckoutSession,
    LocationStock,
    Reservation,
    ReservationAllocation,
    ShipmentPlan,
    StockLocation,
    StockMovement,
)
from checkout.providers.shipping import ShippingQuery, shipping_provider_for
from checkout.selectors import session_address, session_shipping_query
from checkout.services.lifecycle import ensure_editable, session_touch, timeline_record
from checkout.services.pricing import session_calculate_locked
from checkout.services.stock import stock_apply, stock_rows_ensure
from core.exceptions import Conflict, DomainError, NotFound
from core.versioning import check_version


# --- locations and their stock ------------------------------------------------------------
def location_create(*, merchant_id: int, **fields) -> StockLocation:
    """Raises Conflict `location_code_taken` (409) when the merchant already uses the code."""
    try:
        with transaction.atomic():
            return StockLocation.objects.create(merchant_id=merchant_id, **fields)
    except IntegrityError as exc:
        raise Conflict(
            f"A stock location with code {fields.get('code')!r} exists already.",
            code="location_code_taken",
            param="code",
        ) from exc


def location_stock_set(*, merchant_id: int, location_id: str, items: list[dict], actor: str) -> list[LocationStock]:
    """Sets on_hand of each {sku, on_hand} at the location, and each SKU's ledger total to
    the sum over its locations (a SET movement naming the location). SKUs are distinct
    (the API checks). Locks the ledger rows by sku, then every location's rows of them."""
    wanted = {item["sku"]: item["on_hand"] for item in items}
    skus = sorted(wanted)
    with transaction.atomic():
        location = location_get(merchant_id=merchant_id, location_id=location_id)
        ledger = stock_rows_ensure(merchant_id=merchant_id, skus=skus)
        LocationStock.objects.bulk_create(
            [LocationStock(location=location, sku=sku, on_hand=0) for sku in skus], ignore_conflicts=True
        )
        all_locations = StockLocation.objects.filter(merchant_id=merchant_id).values_list("pk", flat=True)
        levels = lock_location_stock(location_ids=all_locations, skus=skus)
        for sku in skus:
            level = levels[(location.pk, sku)]
            level.on_hand = wanted[sku]
            level.save(update_fields=["on_hand", "updated_at"])
            total = sum(row.on_hand for (_, row_sku), row in levels.items() if row_sku == sku)
            stock_apply(
                ledger[sku],
                delta=total - ledger[sku].on_hand,
                reason=StockMovement.Reason.SET,
                actor=actor,
                reference=location.public_id,
            )
    return [levels[(location.pk, sku)] for sku in skus]


# --- plans ---------------------------------------------------------------------------
def _shortfall(short: dict[str, int]) -> DomainError:
    return DomainError(
        "No set of locations holds every line whole; nothing was planned.",
        code="inventory_shortfall",
        status_code=409,
        param="lines",
        explain="; ".join(f"{sku}: requested {qty}, no single location has it" for sku, qty in sorted(short.items())),
        extra={"lines": [{"sku": sku, "requested": qty, "available": None} for sku, qty in sorted(short.items())]},
    )


def _option_dict(option) -> dict:
    return {
        "id": option.id,
        "name": option.name,
        "carrier": option.carrier,
        "service_code": option.service_code,
        "amount": option.amount,
        "currency": option.currency,
        "min_delivery_days": option.min_delivery_days,
        "max_delivery_days": option.max_delivery_days,
    }


def _location_dict(location: StockLocation | None) -> dict | None:
    if location is None:
        return None
    return {
        "id": location.public_id,
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "country": location.country,
    }


def _with_choice(group: dict, option_id: str | None, handling_days: int) -> dict:
    option = next((o for o in group["shipping_options"] if o["id"] == option_id), None)
    amount = option["amount"] if option else None
    return {
        **group,
        "selected_shipping_option_id": option["id"] if option else None,
        "shipping_amount": amount,
        "estimate": {
            "min_delivery_days": handling_days + option["min_delivery_days"],
            "max_delivery_days": handling_days + option["max_delivery_days"],
        }
        if option
        else None,
        "total": group["sub_total"] + (amount or 0),
    }


def _group(number: int, location, lines, *, session, country, handling_days: int) -> dict:
    sub_total = sum(line.quantity * line.unit_amount for line in lines)
    query = ShippingQuery(
        country=country,
        currency=session.currency,
        sub_total=sub_total,
        weight_grams=sum(line.weight_grams * line.quantity for line in lines),
    )
    options = shipping_provider_for(session.merchant).options(merchant_id=session.merchant_id, query=query)
    group = {
        "group_id": f"shg_{number}",
        "location": _location_dict(location),
        "lines": [
            {"line_id": line.public_id, "sku": line.sku, "name": line.name, "quantity": line.quantity} for line in lines
        ],
        "sub_total": sub_total,
        "weight_grams": query.weight_grams,
        "shipping_options": [_option_dict(option) for option in options],
        "handling_days": handling_days,
    }
    return _with_choice(group, options[0].id if options else None, handling_days)


def _plan_groups(session: CheckoutSession, shipped, *, now) -> list[dict]:
    from checkout.shipment_planner import Candidate, plan_shipments

    wanted: dict[str, int] = {}
    for line in shipped:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    address = session_address(session, Address.Kind.SHIPPING)
    country = address.country if address else None
    locations, free = available_by_location(merchant_id=session.merchant_id, skus=list(wanted), now=now)
    if not locations:
        return [_group(1, None, shipped, session=session, country=country, handling_days=0)]
    plan = plan_shipments(
        wanted, [Candidate(key=loc.pk, priority=loc.priority, available=free[loc.pk]) for loc in locations]
    )
    if plan.short:
        raise _shortfall(plan.short)
    by_pk = {location.pk: location for location in locations}
    ordered = [pk for pk in (loc.pk for loc in locations) if pk in plan.groups]
    return [
        _group(
            number,
            by_pk[pk],
            [line for line in shipped if line.sku in plan.groups[pk]],
            session=session,
            country=country,
            handling_days=by_pk[pk].handling_days,
        )
        for number, pk in enumerate(ordered, start=1)
    ]


def shipment_groups_preview(session: CheckoutSession) -> list[dict] | None:
    """The groups a plan would have now, without storing one (the hosted delivery step
    shows them before the shopper chooses); None when nothing ships or no set of
    locations covers the cart. Reads only."""
    shipped = [line for line in session.lines.all() if line.requires_shipping]
    if not shipped or not StockLocation.objects.filter(merchant_id=session.merchant_id, is_active=True).exists():
        return None
    try:
        return _plan_groups(session, shipped, now=timezone.now())
    except DomainError:
        return None


def shipment_plan_propose(*, merchant_id: int, checkout_id: str, actor: str) -> ShipmentPlan:
    """Plans the fewest shipments covering the cart's shipped lines from the merchant's
    stock locations, with each group's shipping options (cheapest preselected), delivery
    estimate (the location's handling days plus the option's) and totals.

    Reads stock without holding it (a proposal); `reserve` holds per location under
    locks. Locks the session. Raises NotFound (404), InvalidStateTransition (409) past
    collecting, DomainError `shipping_not_required` (400) when nothing ships,
    `inventory_shortfall` (409) when no set of locations covers every line whole.
    """
    now = timezone.now()
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        ensure_editable(session, actor=actor)
        shipped = [line for line in session.lines.all() if line.requires_shipping]
        if not shipped:
            raise DomainError(
                "Nothing in this cart is shipped, so there is nothing to plan.",
                code="shipping_not_required",
                param="lines",
            )
        groups = _plan_groups(session, shipped, now=now)
        plan = ShipmentPlan.objects.create(
            merchant_id=merchant_id,
            session=session,
            fingerprint=session_shipment_fingerprint(session),
            currency=session.currency,
            groups=groups,
            shipping_total=sum(group["shipping_amount"] or 0 for group in groups),
        )
        timeline_record(
            session,
            type="shipment_plan.proposed",
            actor=actor,
            data={
                "plan_id": plan.public_id,
                "shipments": len(groups),
                "country": session_shipping_query(session).country,
            },
        )
    return plan


def _stale(plan: ShipmentPlan) -> DomainError:
    return DomainError(
        f"Shipment plan {plan.public_id} no longer fits the cart or address; ask for a new one.",
        code="shipment_plan_stale",
        status_code=409,
        param="plan_id",
    )


def shipment_plan_select(
    *,
    merchant_id: int,
    checkout_id: str,
    plan_id: str,
    actor: str,
    shipping_options: dict[str, str] | None = None,
    expected_versions=None,
) -> ShipmentPlan:
    """Chooses a proposed plan (and, per group, one of its shipping options; default the
    preselected cheapest), drops any single shipping option or pickup, supersedes the
    previously selected plan and recalculates the totals.

    Locks the session, then the plan. Raises NotFound (404, `plan_id`), PreconditionFailed
    (412), InvalidStateTransition (409) past collecting, DomainError `shipment_plan_stale`
    (409) when the cart or address changed since, `shipping_option_unavailable` (400) for
    an option the group was not offered or an unknown group, `shipping_unavailable` (409)
    for a group with no option (no address yet, or no rate reaches it).
    """
    choices = dict(shipping_options or {})
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        check_version(expected_versions, session.version)
        ensure_editable(session, actor=actor)
        plan = ShipmentPlan.objects.select_for_update().filter(session=session, public_id=plan_id).first()
        if plan is None:
            raise NotFound("No such shipment plan for this session.", param="plan_id")
        if plan.status == ShipmentPlan.Status.SUPERSEDED or plan.fingerprint != session_shipment_fingerprint(session):
            raise _stale(plan)
        known = {group["group_id"] for group in plan.groups}
        unknown = sorted(set(choices) - known)
        if unknown:
            raise DomainError(
                f"The plan has no shipment group {unknown[0]!r}.",
                code="shipping_option_unavailable",
                param=f"shipping_options.{unknown[0]}",
            )
        groups = []
        for group in plan.groups:
            option_id = choices.get(group["group_id"], group["selected_shipping_option_id"])
            if not group["shipping_options"]:
                raise DomainError(
                    f"No shipping option reaches shipment {group['group_id']}; add a shipping address first.",
                    code="shipping_unavailable",
                    status_code=409,
                    param="shipping_address",
                )
            if option_id not in {option["id"] for option in group["shipping_options"]}:
                raise DomainError(
                    f"Shipping option {option_id!r} was not offered for shipment {group['group_id']}.",
                    code="shipping_option_unavailable",
                    param=f"shipping_options.{group['group_id']}",
                )
            groups.append(_with_choice(group, option_id, group.get("handling_days", 0)))
        for other in (
            ShipmentPlan.objects.select_for_update()
            .filter(session=session, status=ShipmentPlan.Status.SELECTED)
            .exclude(pk=plan.pk)
        ):
            other.supersede()
            other.save()
        plan.select(groups=groups, shipping_total=sum(g["shipping_amount"] for g in groups), at=timezone.now())
        plan.save()
        session._selected_plan_id = plan.pk
        session.selected_shipping_rate = None
        session.pickup_location = None
        session_touch(
            session,
            actor=actor,
            type="shipment_plan.selected",
            data={
                "plan_id": plan.public_id,
                "shipments": len(groups),
                "shipping_total": plan.shipping_total,
                "currency": plan.currency,
            },
            pricing_changed=True,
        )
        session_calculate_locked(session, actor=actor)
    return plan


def shipment_plans_supersede(session: CheckoutSession) -> int:
    """Drops the session's selected plan when a single option or a pickup is chosen
    instead; the caller holds the session lock."""
    if session.__dict__.get("_selected_plan_id", 0) is None:
        return 0  # the locking query found none (checkout.locks)
    count = 0
    for plan in ShipmentPlan.objects.select_for_update().filter(session=session, status=ShipmentPlan.Status.SELECTED):
        plan.supersede()
        plan.save()
        count += 1
    session._selected_plan_id = None
    return count


# --- holds per location -----------------------------------------------------------------
def reservation_allocate(session: CheckoutSession, reservation: Reservation, *, now) -> list[ReservationAllocation]:
    """Takes the selected plan's units from each group's location for the new hold.

    The caller holds the session and the ledger rows (the provider's check) in its
    transaction; this locks the locations' rows, re-reads what live holds took there,
    and refuses with `inventory_shortfall` (409) when a location can no longer give its
    group's units (the caller's transaction then rolls the hold back)."""
    plan = selected_shipment_plan(session)
    if plan is None:
        return []
    # The plan's fingerprint matches the cart, so its quantities are the cart's.
    wanted: dict[tuple[str, str], int] = {}
    for group in plan.groups:
        if group["location"] is None:
            continue
        for line in group["lines"]:
            key = (group["location"]["id"], line["sku"])
            wanted[key] = wanted.get(key, 0) + line["quantity"]
    if not wanted:
        return []
    locations = {
        loc.public_id: loc
        for loc in StockLocation.objects.filter(
            merchant_id=session.merchant_id, public_id__in={key[0] for key in wanted}
        )
    }
    location_pks = [loc.pk for loc in locations.values()]
    skus = {key[1] for key in wanted}
    levels = lock_location_stock(location_ids=location_pks, skus=skus)
    held = allocated_quantities(location_ids=location_pks, skus=skus, now=now, exclude_reservation_id=reservation.pk)
    short = []
    allocations = []
    for (location_id, sku), quantity in sorted(wanted.items()):
        location = locations.get(location_id)
        level = levels.get((location.pk, sku)) if location else None
        if level is None:
            continue  # the location does not count this SKU: untracked there
        free = level.on_hand - held.get((location.pk, sku), 0)
        if free < quantity:
            short.append(f"{sku} at {location.code}: requested {quantity}, available {max(free, 0)}")
        allocations.append(
            ReservationAllocation(reservation=reservation, location=location, sku=sku, quantity=quantity)
        )
    if short:
        raise DomainError(
            "A location of the chosen shipment plan no longer has the stock; ask for a new plan.",
            code="inventory_shortfall",
            status_code=409,
            param="lines",
            explain="; ".join(short),
        )
    return ReservationAllocation.objects.bulk_create(allocations)


def reservation_allocations_commit(reservation: Reservation, *, allocations=None) -> None:
    """Takes a committed hold's units out of each location (the ledger total was taken by
    the inventory provider). The caller holds the reservation and the ledger rows.
    `allocations`: all of the hold's, when the caller has just made them."""
    allocations = list(reservation.allocations.all()) if allocations is None else list(allocations)
    if not allocations:
        return
    levels = lock_location_stock(location_ids={a.location_id for a in allocations}, skus={a.sku for a in allocations})
    for allocation in allocations:
        level = levels.get((allocation.location_id, allocation.sku))
        if level is not None:
            level.on_hand -= allocation.quantity
            level.save(update_fields=["on_hand", "updated_at"])
