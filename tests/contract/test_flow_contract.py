"""A merchant integration written only from the API document's examples runs end to end.

Every body comes from the document (tests.contract.flow sends them verbatim) or, where the
document writes prose, from the bodies spelled out in flow.py. The session read at the end
must have the canonical resource's every key, with its types.
"""

import pytest

from tests.contract.flow import V1, assert_shape, checkout_until_reserved, document_merchant
from tests.contract.seed import canonical_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("owner_type,capture_mode", [("guest", "auto"), ("user", "manual")])
def test_document_flow_until_reserved(api, merchant, owner_type, capture_mode):
    document_merchant(merchant)
    steps = checkout_until_reserved(api, owner_type=owner_type, capture_mode=capture_mode)

    created = steps["create"]
    assert created["status"] == "created"
    assert created["owner"]["type"] == owner_type
    assert created["options"]["capture_mode"] == capture_mode
    assert created["cart_snapshot"]["lines"] == [] and created["cart_snapshot"]["cart_id"] == "cart_123"

    options = steps["shipping_options"]["data"]
    assert {o["id"] for o in options} >= {"ship_1"}
    assert all(o["estimated_delivery"]["earliest"] <= o["estimated_delivery"]["latest"] for o in options)

    assert steps["select_shipping"]["selected_shipping"] == {
        **steps["select_shipping"]["selected_shipping"],
        "id": "ship_1",
        "label": "Next day",
        "cost": 399,
    }

    calc = steps["calculate"]
    # 2500 + 2 × 1250 goods, 20% VAT on them (prices exclude tax), 3.99 shipping untaxed.
    assert calc["totals"] == {
        "currency": "GBP",
        "sub_total": 5000,
        "discount_total": 0,
        "tax_total": 1000,
        "shipping_total": 399,
        "fee_total": 0,
        "grand_total": 6399,
    }
    assert calc["calculation_id"] and calc["calculated_at"]

    reservation = steps["reserve"]
    assert reservation["partial"] is False
    assert [(line["sku"], line["reserved"]) for line in reservation["lines"]] == [("BOOK-1", 1), ("MUG", 2)]

    session = steps["session"]
    assert session["status"] == "reserved"
    assert session["reservation_id"] == reservation["reservation_id"]
    assert session["calculation_id"] == calc["calculation_id"]
    assert session["totals"]["grand_total"] == 6399
    assert session["owner"] == {"type": owner_type, "id": "user_1"}
    assert session["customer"]["save_for_later"] is True
    # The canonical resource, key by key (the payment intent comes with payment).
    assert_shape(session, canonical_session(), nullable={"session.payment_intent"})
    assert session["payment_intent"] is None
    assert api.get(f"{V1}/reservations/{reservation['reservation_id']}").json()["status"] == "active"
