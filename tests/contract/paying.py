"""A session whose amount due is what the API document's payment examples send.

The document's payment-intent body pays 10000 GBP; the session is authoritative, so the
suite builds a session that owes exactly that (one digital line, no shipping, no tax).
"""

from tests.payments.helpers import SUCCESS, V1, ok

DUE = 10000
CURRENCY = "GBP"
LINES = [{"sku": "EBOOK", "name": "E-book", "quantity": 1, "unit_amount": DUE, "requires_shipping": False}]


def session_owing(api, amount=DUE, currency=CURRENCY) -> dict:
    body = {
        "currency": currency,
        "lines": [{**LINES[0], "unit_amount": amount}],
        "return_urls": {"success_url": "https://shop.example/thanks", "error_url": "https://shop.example/cart"},
    }
    session = ok(api.post(f"{V1}/sessions", body, format="json"), 201)
    ok(api.post(f"{V1}/sessions/{session['checkout_id']}/calculate", {}, format="json"))
    return ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))


def tokenized(client, number=SUCCESS) -> str:
    body = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    return ok(client.post(f"{V1}/payment-methods/tokenize", body, format="json"), 201)["payment_method_id"]


def intents_url(checkout_id: str) -> str:
    return f"{V1}/sessions/{checkout_id}/payment-intents"


def intent_url(payment_intent_id: str, action: str = "") -> str:
    return f"{V1}/payment-intents/{payment_intent_id}" + (f"/{action}" if action else "")
