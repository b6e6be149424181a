"""The fewest shipments that cover a cart (a pure function)."""

from checkout.shipment_planner import EXACT_LIMIT, Candidate, plan_shipments


def loc(key, priority=100, **stock):
    return Candidate(key=key, priority=priority, available=stock)


def test_one_location_holding_everything_is_one_shipment():
    plan = plan_shipments({"A": 1, "B": 2}, [loc(1, A=5), loc(2, A=5, B=5)])
    assert plan.groups == {2: {"A": 1, "B": 2}} and plan.short == {}


def test_the_fewest_locations_win_over_priority():
    # Priority 1 has A only; two parcels from 1+3 would do, but 2 alone covers both.
    plan = plan_shipments({"A": 1, "B": 1}, [loc(1, 1, A=1), loc(2, 50, A=1, B=1), loc(3, 2, B=1)])
    assert plan.groups == {2: {"A": 1, "B": 1}}


def test_ties_go_to_the_better_priority_then_lower_id():
    plan = plan_shipments({"A": 1}, [loc(7, 10, A=1), loc(3, 5, A=1), loc(2, 5, A=1)])
    assert plan.groups == {2: {"A": 1}}


def test_a_split_when_no_location_has_everything():
    plan = plan_shipments({"A": 2, "B": 1, "C": 1}, [loc(1, 1, A=2, C=1), loc(2, 2, B=1, C=5)])
    assert plan.groups == {1: {"A": 2, "C": 1}, 2: {"B": 1}}


def test_a_sku_no_location_has_whole_is_short():
    plan = plan_shipments({"A": 3}, [loc(1, A=2), loc(2, A=2)])
    assert plan.groups == {} and plan.short == {"A": 3}


def test_untracked_skus_ride_in_the_first_parcel():
    plan = plan_shipments({"A": 1, "GIFTWRAP": 1}, [loc(1, 1, B=1), loc(2, 2, A=1)])
    assert plan.groups == {2: {"A": 1, "GIFTWRAP": 1}}
    only_untracked = plan_shipments({"GIFTWRAP": 1}, [loc(4, 3, B=1), loc(5, 1, B=1)])
    assert only_untracked.groups == {5: {"GIFTWRAP": 1}}


def test_many_locations_use_a_bounded_greedy_cover():
    locations = [loc(i, i, **{f"S{i}": 1}) for i in range(EXACT_LIMIT + 5)]
    locations.append(loc(999, 500, **{f"S{i}": 1 for i in range(EXACT_LIMIT + 5)}))
    wanted = {f"S{i}": 1 for i in range(EXACT_LIMIT + 5)}
    plan = plan_shipments(wanted, locations)
    assert plan.groups == {999: wanted}
