"""API steps shared by the approval, finalization, deadline and hosted tests."""

from checkout.models import CheckoutSession
from tests.payments.helpers import DIGITAL_CART, SUCCESS, V1, attach, confirm, create_intent, ok, tokenize


def session_url(checkout_id: str, action: str = "") -> str:
    return f"{V1}/sessions/{checkout_id}" + (f"/{action}" if action else "")


def ready_session(api, cart=None, email="ada@example.com") -> dict:
    """A session with its customer's email and current totals: nothing blocks placing it."""
    session = ok(api.post(f"{V1}/sessions", cart or DIGITAL_CART, format="json"), 201)
    checkout_id = session["checkout_id"]
    if email:
        ok(api.post(session_url(checkout_id, "customer"), {"email": email, "name": "Ada Lovelace"}, format="json"))
    ok(api.post(session_url(checkout_id, "calculate"), {}, format="json"))
    return ok(api.get(session_url(checkout_id)))


def set_merchant(merchant, **fields) -> None:
    for name, value in fields.items():
        setattr(merchant, name, value)
    merchant.save()


def place(api, checkout_id: str, **extra):
    return api.post(session_url(checkout_id, "place"), {}, format="json", **extra)


def pay(api, checkout_id: str, number: str = SUCCESS, **intent_body) -> dict:
    """Creates the session's intent, attaches a tokenized card and confirms it."""
    intent = create_intent(api, checkout_id, **intent_body)
    ok(attach(api, intent["id"], tokenize(api, number)))
    return ok(confirm(api, intent["id"]))


def finalize(api, checkout_id: str, **extra):
    return api.post(session_url(checkout_id, "finalize"), {}, format="json", **extra)


def paid_session(api, cart=None, **intent_body) -> dict:
    session = ready_session(api, cart)
    payment = pay(api, session["checkout_id"], **intent_body)
    return {"checkout_id": session["checkout_id"], "payment": payment, "session": session}


def status_of(checkout_id: str) -> str:
    return CheckoutSession.objects.get(public_id=checkout_id).status


def timeline_types(api, checkout_id: str) -> list[str]:
    return [entry["type"] for entry in ok(api.get(session_url(checkout_id, "timeline") + "?limit=100"))["data"]]
