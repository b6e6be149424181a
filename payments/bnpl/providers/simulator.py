"""The simulated BNPL provider: its side (decisions, hosted checkout, signed webhooks) and
our adapter to it, like payments/simulator for cards.

It decides like a real provider and predictably: it declines an amount outside the
plan's limits (`amount_out_of_range`) or an email containing `+decline`
(`credit_check_failed`), and approves the rest. Its page takes the shopper's card into
the simulator's card vault; completing it sends a signed `checkout.completed` webhook
through Celery, as the card simulator sends its payment events.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from core.exceptions import NotFound
from payments.bnpl.providers import base
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout
from payments.gateways.base import CardDetails
from payments.simulator import processor
from payments.simulator.models import SimulatorCard, SimulatorDelivery

Status = SimulatorBNPLCheckout.Status
OBJECT = "bnpl.checkout"


# --- the provider's side ------------------------------------------------------------------


def checkout_url(checkout: SimulatorBNPLCheckout) -> str:
    return f"{settings.PUBLIC_BASE_URL}/simulator/bnpl/{checkout.reference}"


def checkout_as_dict(checkout: SimulatorBNPLCheckout) -> dict:
    card = SimulatorCard.objects.filter(token=checkout.card_token).first() if checkout.card_token else None
    return {
        "object": OBJECT,
        "reference": checkout.reference,
        "status": checkout.status,
        "decline_reason": checkout.decline_reason or None,
        "amount": checkout.amount,
        "currency": checkout.currency,
        "plan": checkout.plan_code,
        "redirect_url": checkout_url(checkout) if checkout.status == Status.OPEN else None,
        "card": (
            {
                "token": card.token,
                "brand": card.brand,
                "last4": card.last4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "fingerprint": card.fingerprint,
            }
            if card
            else None
        ),
        "metadata": checkout.metadata,
    }


def _decide(request: base.ApplicationRequest) -> tuple[str, str]:
    if not request.min_amount <= request.amount <= request.max_amount:
        return Status.DECLINED, "amount_out_of_range"
    if "+decline" in (request.email or "").lower():
        return Status.DECLINED, "credit_check_failed"
    return Status.OPEN, ""


def checkout_apply(request: base.ApplicationRequest) -> SimulatorBNPLCheckout:
    """One decision per incoming key: a repeated key answers the first one."""
    existing = SimulatorBNPLCheckout.objects.filter(idempotency_key=request.idempotency_key).first()
    if existing is not None:
        return existing
    status, reason = _decide(request)
    try:
        with transaction.atomic():
            return SimulatorBNPLCheckout.objects.create(
                idempotency_key=request.idempotency_key,
                status=status,
                decline_reason=reason,
                amount=request.amount,
                currency=request.currency,
                plan_code=request.plan_code,
                plan_name=request.plan_name,
                installment_count=request.installment_count,
                interval_unit=request.interval_unit,
                interval_count=request.interval_count,
                email=request.email,
                return_url=request.return_url,
                metadata=request.metadata,
            )
    except IntegrityError:
        return SimulatorBNPLCheckout.objects.get(idempotency_key=request.idempotency_key)


def checkout_get(reference: str) -> SimulatorBNPLCheckout | None:
    return SimulatorBNPLCheckout.objects.filter(reference=reference).first()


def _announce(checkout: SimulatorBNPLCheckout, event_type: str) -> None:
    processor._queue(
        SimulatorDelivery.Kind.WEBHOOK, {"type": event_type, "data": {"object": checkout_as_dict(checkout)}}
    )


@sensitive_variables("number", "cvc")
def checkout_complete(*, reference: str, number: str, exp_month: int, exp_year: int, cvc: str):
    """The shopper agrees to the plan with a card: vaulted (IncorrectNumber and expiry
    errors raise before anything changes), then `checkout.completed` is sent. Completing
    twice changes nothing and sends nothing."""
    checkout = checkout_get(reference)
    if checkout is None:
        raise NotFound("No such BNPL checkout.")
    if checkout.status != Status.OPEN:
        return checkout
    card = processor.card_tokenize(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
    with transaction.atomic():
        checkout = SimulatorBNPLCheckout.objects.select_for_update().get(pk=checkout.pk)
        if checkout.status != Status.OPEN:
            return checkout
        checkout.status = Status.COMPLETED
        checkout.card_token = card.token
        checkout.save()
        _announce(checkout, "checkout.completed")
    return checkout


def checkout_cancel(*, reference: str) -> SimulatorBNPLCheckout:
    with transaction.atomic():
        checkout = SimulatorBNPLCheckout.objects.select_for_update().filter(reference=reference).first()
        if checkout is None:
            raise NotFound("No such BNPL checkout.")
        if checkout.status == Status.OPEN:
            checkout.status = Status.CANCELED
            checkout.save()
            _announce(checkout, "checkout.canceled")
    return checkout


# --- our adapter ----------------------------------------------------------------------------


def _state(data: dict) -> base.CheckoutState:
    card = data.get("card") or None
    status = {Status.COMPLETED: base.COMPLETED, Status.CANCELED: base.CANCELED}.get(data["status"], base.OPEN)
    return base.CheckoutState(
        reference=data["reference"],
        status=status,
        gateway="simulator" if card else "",
        token=card["token"] if card else "",
        card=(
            CardDetails(
                brand=card["brand"],
                last4=card["last4"],
                exp_month=card["exp_month"],
                exp_year=card["exp_year"],
                fingerprint=card["fingerprint"],
            )
            if card
            else None
        ),
    )


class SimulatorProvider(base.BNPLProvider):
    name = "simulator"
    card_gateway = "simulator"

    @classmethod
    def is_configured(cls) -> bool:
        return settings.PAYMENTS_SIMULATOR_ENABLED

    def apply(self, request):
        base.outside_transaction()
        checkout = checkout_apply(request)
        if checkout.status == Status.DECLINED:
            return base.Decision(status=base.DECLINED, reference=checkout.reference, reason=checkout.decline_reason)
        return base.Decision(status=base.APPROVED, reference=checkout.reference, redirect_url=checkout_url(checkout))

    def retrieve(self, *, reference):
        base.outside_transaction()
        checkout = checkout_get(reference)
        if checkout is None:
            raise NotFound("The BNPL provider has no such checkout.")
        return _state(checkout_as_dict(checkout))

    def cancel(self, *, reference):
        base.outside_transaction()
        return _state(checkout_as_dict(checkout_cancel(reference=reference)))

    def checkout_from_payload(self, payload):
        data = payload["data"]["object"]
        return payload["type"], _state(data), data.get("metadata") or {}


PROVIDERS = {SimulatorProvider.name: SimulatorProvider}


def provider_named(name: str) -> base.BNPLProvider:
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise LookupError(f"No BNPL provider named {name!r}.") from None
