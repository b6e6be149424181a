"""Small API helpers shared by the inventory tests."""

BASE = "/v1/checkout"


def load_stock(api, levels: dict[str, int]):
    response = api.post(
        f"{BASE}/inventory", {"items": [{"sku": s, "on_hand": n} for s, n in levels.items()]}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def new_session(api, lines: list[tuple[str, int]]) -> str:
    cart = {
        "currency": "USD",
        "lines": [{"sku": sku, "name": sku, "quantity": qty, "unit_amount": 1000} for sku, qty in lines],
    }
    response = api.post(f"{BASE}/sessions", cart, format="json")
    assert response.status_code == 201, response.content
    return response.json()["checkout_id"]


def reserve(api, checkout_id: str):
    return api.post(f"{BASE}/sessions/{checkout_id}/reserve", format="json")


def stock_levels(api) -> dict[str, dict]:
    response = api.get(f"{BASE}/inventory?limit=100")
    assert response.status_code == 200, response.content
    return {item["sku"]: item for item in response.json()["data"]}
