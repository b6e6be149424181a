"""API-only steps of a card payment, shared by the payments tests."""

from rest_framework.test import APIClient

V1 = "/v1/checkout"
SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
EXPIRED = "4000000000000069"
INCORRECT_CVC = "4000000000000127"
PROCESSING_ERROR = "4000000000000119"
THREE_DS = "4000002760003184"
THREE_DS_OTHER = "4000000000003220"
THREE_DS_THEN_DECLINE = "4000008400001629"

# A cart that needs no shipping, so calculate needs no address or rate.
DIGITAL_CART = {
    "currency": "USD",
    "lines": [
        {"sku": "EBOOK", "name": "E-book", "quantity": 2, "unit_amount": 1500, "requires_shipping": False},
        {"sku": "COURSE", "name": "Course", "quantity": 1, "unit_amount": 2000, "requires_shipping": False},
    ],
    "return_urls": {"success_url": "https://shop.example/thanks", "error_url": "https://shop.example/cart"},
}


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def calculated_session(api, cart=None) -> dict:
    session = ok(api.post(f"{V1}/sessions", cart or DIGITAL_CART, format="json"), 201)
    ok(api.post(f"{V1}/sessions/{session['checkout_id']}/calculate", {}, format="json"))
    return ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))


def tokenize(client, number=SUCCESS, **card) -> str:
    body = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123", **card}}
    return ok(client.post(f"{V1}/payment-methods/tokenize", body, format="json"), 201)["payment_method_id"]


def create_intent(api, checkout_id, **body) -> dict:
    return ok(api.post(f"{V1}/sessions/{checkout_id}/payment-intents", body, format="json"), 201)


def intent_url(payment_intent_id, action=""):
    return f"{V1}/payment-intents/{payment_intent_id}" + (f"/{action}" if action else "")


def confirm(api, payment_intent_id, payment_method_id=None, **headers):
    body = {"payment_method_id": payment_method_id} if payment_method_id else {}
    return api.post(intent_url(payment_intent_id, "confirm"), body, format="json", **headers)


def attach(api, payment_intent_id, payment_method_id):
    return api.post(
        intent_url(payment_intent_id, "attach-method"), {"payment_method_id": payment_method_id}, format="json"
    )


def publishable_client(api) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secrets.publishable_key}")
    return client


def shopper_client(session: dict) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    return client


def paid_intent(api, number=SUCCESS, **intent_body) -> tuple[dict, dict]:
    """A calculated session and its intent, with a tokenized card attached."""
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], **intent_body)
    ok(attach(api, intent["id"], tokenize(api, number)))
    return session, intent
