"""The fewest shipments that cover a cart: a pure function of what is where.

Each SKU ships whole from one location (a parcel per location, never one line torn
across two). Among the location sets that can cover every tracked SKU, the smallest wins;
ties go to the set whose locations have the better (lower) priorities, then to lower ids,
so the same stock always gives the same plan. Up to EXACT_LIMIT candidate locations are
searched exhaustively; beyond that a greedy cover (the location covering most units
first) keeps the work bounded, at the risk of one parcel more than the optimum.
"""

from dataclasses import dataclass
from itertools import combinations

EXACT_LIMIT = 12


@dataclass(frozen=True)
class Candidate:
    key: int  # the location's primary key
    priority: int
    available: dict[str, int]  # sku -> units free to hold here


@dataclass(frozen=True)
class Plan:
    groups: dict[int, dict[str, int]]  # location key -> {sku: quantity}
    short: dict[str, int]  # sku -> quantity no location can cover whole (empty when covered)


def _covers(location: Candidate, sku: str, quantity: int) -> bool:
    return location.available.get(sku, 0) >= quantity


def _assign(chosen: list[Candidate], tracked: dict[str, int], untracked: dict[str, int]) -> dict[int, dict[str, int]]:
    groups: dict[int, dict[str, int]] = {}
    for sku, quantity in sorted(tracked.items()):
        location = next(candidate for candidate in chosen if _covers(candidate, sku, quantity))
        groups.setdefault(location.key, {})[sku] = quantity
    # Untracked SKUs (no location counts them) ride in the first parcel rather than adding one.
    if untracked:
        target = next((c.key for c in chosen if c.key in groups), chosen[0].key)
        groups.setdefault(target, {}).update(untracked)
    return groups


def plan_shipments(wanted: dict[str, int], candidates: list[Candidate]) -> Plan:
    """`wanted`: {sku: quantity} of the lines that ship; `candidates`: active locations
    ordered by (priority, key). A SKU no candidate stocks at all is untracked."""
    candidates = sorted(candidates, key=lambda c: (c.priority, c.key))
    stocked = {sku for candidate in candidates for sku in candidate.available}
    tracked = {sku: qty for sku, qty in wanted.items() if sku in stocked}
    untracked = {sku: qty for sku, qty in wanted.items() if sku not in stocked}
    short = {sku: qty for sku, qty in tracked.items() if not any(_covers(c, sku, qty) for c in candidates)}
    if short or not candidates:
        return Plan(groups={}, short=short)
    useful = [c for c in candidates if any(_covers(c, sku, qty) for sku, qty in tracked.items())] or candidates[:1]
    if len(useful) <= EXACT_LIMIT:
        for size in range(1, len(useful) + 1):
            # combinations() keeps the (priority, key) order, so the first fit is the best tie.
            for chosen in combinations(useful, size):
                if all(any(_covers(c, sku, qty) for c in chosen) for sku, qty in tracked.items()):
                    return Plan(groups=_assign(list(chosen), tracked, untracked), short={})
    chosen: list[Candidate] = []
    left = dict(tracked)
    while left:
        best = max(
            (c for c in useful if c not in chosen),
            key=lambda c: (sum(qty for sku, qty in left.items() if _covers(c, sku, qty)), -c.priority, -c.key),
        )
        chosen.append(best)
        left = {sku: qty for sku, qty in left.items() if not _covers(best, sku, qty)}
    chosen.sort(key=lambda c: (c.priority, c.key))
    return Plan(groups=_assign(chosen, tracked, untracked), short={})
