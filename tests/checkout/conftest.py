import pytest

CART = {
    "cart_id": "cart_1",
    "currency": "USD",
    "owner": {"type": "user", "id": "cust_1"},
    "lines": [
        {"sku": "TSHIRT-M", "name": "T-shirt", "quantity": 2, "unit_amount": 1999, "tax_code": "apparel"},
        {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 1250},
    ],
    "return_urls": {"success_url": "https://shop.example/ok", "error_url": "https://shop.example/err"},
    "metadata": {"order_ref": "A-1"},
}


@pytest.fixture
def cart():
    return {**CART, "lines": [dict(line) for line in CART["lines"]]}


@pytest.fixture
def session(api, cart):
    response = api.post("/v1/checkout/sessions", cart, format="json")
    assert response.status_code == 201, response.content
    return response.json()
