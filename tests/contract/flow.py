"""A merchant integration written only from the API document's examples, step by step.

Each step sends the document's body verbatim (tests.contract.seed) where it gives JSON, and
the body spelled out here where it gives prose. The steps return the parsed answer, so a
test (or a longer flow: payment, finalize) carries on from where one stops.

The merchant behind `api` is set up the way the document's examples assume: it sells in
GBP, ships with DHL express ("Next day", 3.99) under the id the document uses (`ship_1`),
charges UK VAT, and has the stock the cart asks for.
"""

from checkout.models import ShippingRate, StockItem, TaxRate
from tests.contract.seed import example

V1 = "/v1/checkout"

# The document writes the cart-less create; these are the lines PATCH later gives it.
CART_LINES = [
    {"sku": "BOOK-1", "name": "A novel", "quantity": 1, "unit_amount": 2500, "weight_grams": 400},
    {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 1250, "weight_grams": 300},
]
# Section 2 gives the customer and address endpoints in prose: bodies a merchant would send.
CUSTOMER = {"email": "ada@example.com", "phone": "+447911123456", "customer_id": "user_1", "save_for_later": True}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "10 Downing Street",
    "city": "London",
    "postal_code": "SW1A 2AA",
    "country": "GB",
    "phone": "+442071234567",
}


def document_merchant(merchant, *, stock: int = 10) -> None:
    """Gives the merchant what the document's examples take for granted."""
    merchant.supported_currencies = sorted({*merchant.supported_currencies, "GBP"})
    merchant.country = "GB"
    merchant.save(update_fields=["supported_currencies", "country"])
    ShippingRate.objects.create(
        merchant=merchant,
        public_id="ship_1",
        name="Next day",
        carrier="DHL",
        service_code="express",
        countries=["GB"],
        currency="GBP",
        amount=399,
        min_delivery_days=1,
        max_delivery_days=2,
    )
    ShippingRate.objects.create(
        merchant=merchant,
        name="Standard",
        carrier="Royal Mail",
        service_code="tracked48",
        countries=["GB"],
        currency="GBP",
        amount=299,
        min_delivery_days=2,
        max_delivery_days=4,
    )
    TaxRate.objects.create(merchant=merchant, country="GB", tax_code="", name="VAT", rate_bps=2000)
    for line in CART_LINES:
        StockItem.objects.update_or_create(merchant=merchant, sku=line["sku"], defaults={"on_hand": stock})


def document_body(method: str, route: str, **choose) -> dict:
    """The document's example body for the endpoint; `choose` picks among its `a|b`
    alternatives by top-level or dotted key (owner.type="guest")."""
    for variant in example(method, route).variants():
        if all(_pick(variant, key) == value for key, value in choose.items()):
            return variant
    raise LookupError(f"no example of {method} {route} with {choose}")


def _pick(body: dict, dotted: str):
    node = body
    for key in dotted.replace("__", ".").split("."):
        node = node[key]
    return node


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def create_session(api, **choose) -> dict:
    """Section 1: the document's create body, verbatim (no lines: bound to cart_id)."""
    body = document_body("POST", "sessions", **choose)
    response = api.post(f"{V1}/sessions", body, format="json")
    session = ok(response, 201)
    assert response["Location"].endswith(f"{V1}/sessions/{session['checkout_id']}")
    return session


def give_lines(api, checkout_id: str, etag_version: int) -> dict:
    """Section 1 PATCH: the cart's lines arrive after the session was bound to cart_id."""
    return ok(
        api.patch(
            f"{V1}/sessions/{checkout_id}",
            {"lines": CART_LINES},
            format="json",
            HTTP_IF_MATCH=f'"{etag_version}"',
        )
    )


def set_customer(api, checkout_id: str) -> dict:
    return ok(api.post(f"{V1}/sessions/{checkout_id}/customer", CUSTOMER, format="json"))


def set_addresses(api, checkout_id: str) -> dict:
    ok(api.post(f"{V1}/sessions/{checkout_id}/shipping-address", ADDRESS, format="json"))
    return ok(api.post(f"{V1}/sessions/{checkout_id}/billing-address", ADDRESS, format="json"))


def shipping_options(api, checkout_id: str) -> dict:
    return ok(api.get(f"{V1}/sessions/{checkout_id}/shipping-options?include_estimated_delivery_dates=true"))


def select_shipping(api, checkout_id: str) -> dict:
    body = document_body("POST", "sessions/{checkoutId}/select-shipping")
    return ok(api.post(f"{V1}/sessions/{checkout_id}/select-shipping", body, format="json"))


def calculate(api, checkout_id: str) -> dict:
    body = document_body("POST", "sessions/{checkoutId}/calculate")
    return ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", body, format="json"))


def reserve(api, checkout_id: str, *, allocation_strategy: str = "fifo") -> dict:
    body = document_body("POST", "sessions/{checkoutId}/reserve", allocation_strategy=allocation_strategy)
    response = api.post(f"{V1}/sessions/{checkout_id}/reserve", body, format="json")
    reservation = ok(response, 201)
    assert response["Location"].endswith(f"{V1}/reservations/{reservation['reservation_id']}")
    return reservation


def checkout_until_reserved(api, *, owner_type: str = "guest", capture_mode: str = "auto") -> dict:
    """create (owner object, capture_mode) → lines → customer → addresses → shipping
    options → select shipping → calculate → reserve. Returns every answer by step name."""
    steps = {}
    steps["create"] = create_session(api, owner__type=owner_type, options__capture_mode=capture_mode)
    checkout_id = steps["create"]["checkout_id"]
    steps["lines"] = give_lines(api, checkout_id, steps["create"]["version"])
    steps["customer"] = set_customer(api, checkout_id)
    steps["addresses"] = set_addresses(api, checkout_id)
    steps["shipping_options"] = shipping_options(api, checkout_id)
    steps["select_shipping"] = select_shipping(api, checkout_id)
    steps["calculate"] = calculate(api, checkout_id)
    steps["reserve"] = reserve(api, checkout_id)
    steps["session"] = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    steps["checkout_id"] = checkout_id
    return steps


def assert_shape(actual, documented, *, path="session", nullable=()):
    """Every key the document shows is in `actual`, with the same JSON type; ours may add
    keys. `nullable`: dotted paths that may be null at this point of the flow (e.g. the
    payment intent before payment)."""
    if path in nullable and actual is None:
        return
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in documented.items():
            assert key in actual, f"{path}.{key} is missing"
            assert_shape(actual[key], value, path=f"{path}.{key}", nullable=nullable)
    elif isinstance(documented, bool):
        assert isinstance(actual, bool), f"{path}: expected a boolean, got {actual!r}"
    elif isinstance(documented, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{path}: expected an integer, got {actual!r}"
    elif isinstance(documented, str):
        assert isinstance(actual, str), f"{path}: expected a string, got {actual!r}"
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
