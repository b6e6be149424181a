"""The simulated card processor: vault, charges, 3-D Secure, signed outgoing messages.

It plays an outside system, so it keeps its own tables and its own idempotency (one
charge per incoming key), answers synchronously and also sends signed webhooks later
through Celery, the way a real processor does. Behaviour follows Stripe's test cards.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from core.exceptions import DomainError, NotFound
from payments.exceptions import IncorrectNumber
from payments.simulator.models import SimulatorCard, SimulatorCharge, SimulatorDelivery

logger = logging.getLogger(__name__)

SUCCEED = "succeed"
THREE_DS = "three_d_secure"
THREE_DS_THEN_DECLINE = "three_d_secure_then_decline"
FIRST_CHARGE_ONLY = "first_charge_only"

# Stripe's public test numbers → behaviour; any other valid number simply succeeds.
TEST_CARDS = {
    "4242424242424242": SUCCEED,
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000002760003184": THREE_DS,
    "4000000000003220": THREE_DS,
    "4000008400001629": THREE_DS_THEN_DECLINE,
    # Stripe's "attaches, then every charge declines": it vaults (and can be saved for a
    # plan) like any card, but no charge on it ever succeeds.
    "4000000000000341": "charge_declines",
    # The simulator's own (Stripe has none): the first charge succeeds, every later one is
    # declined, as a card that is cancelled or runs dry after a pay-later purchase.
    "4000000000000358": FIRST_CHARGE_ONLY,
}

# profile → (failure code, decline code), in Stripe's words
DECLINES = {
    "generic_decline": ("card_declined", "generic_decline"),
    "insufficient_funds": ("card_declined", "insufficient_funds"),
    "expired_card": ("expired_card", "expired_card"),
    "incorrect_cvc": ("incorrect_cvc", "incorrect_cvc"),
    "processing_error": ("processing_error", "processing_error"),
    "charge_declines": ("card_declined", "generic_decline"),
}


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def _fingerprint(number: str) -> str:
    # Keyed, so the fingerprint cannot be reversed by hashing all card numbers.
    key = hashlib.sha256(f"simulator-fingerprint:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:16]


@sensitive_variables("number", "cvc")
def card_tokenize(*, number: str, exp_month: int, exp_year: int, cvc: str) -> SimulatorCard:
    """Vaults a card: the number decides brand, last four, fingerprint and behaviour here,
    then is dropped. Raises IncorrectNumber (402) for a number that fails the checksum."""
    number = "".join(number.split())
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_valid(number):
        raise IncorrectNumber(param="card.number")
    today = date.today()
    if (exp_year, exp_month) < (today.year, today.month):
        raise DomainError("The card's expiry date is in the past.", code="invalid_expiry_year", param="card.exp_year")
    return SimulatorCard.objects.create(
        brand=_brand(number),
        last4=number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=_fingerprint(number),
        profile=TEST_CARDS.get(number, SUCCEED),
    )


def card_set_profile(*, token: str, profile: str) -> None:
    """The issuer's view of a vaulted card changing later (a card that starts declining):
    a control of the simulated processor for demos and tests, never of the platform."""
    if profile != SUCCEED and profile not in DECLINES:
        raise DomainError(f"Unknown card behaviour {profile!r}.", param="profile")
    if not SimulatorCard.objects.filter(token=token).update(profile=profile):
        raise NotFound("No such card token.", param="token")


def charge_as_dict(charge: SimulatorCharge) -> dict:
    return {
        "object": "simulator.charge",
        "reference": charge.reference,
        "status": charge.status,
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": charge.amount_refunded,
        "currency": charge.currency,
        "capture": charge.capture,
        "failure_code": charge.failure_code,
        "decline_code": charge.decline_code,
        "next_action_url": challenge_url(charge) if charge.status == SimulatorCharge.Status.REQUIRES_ACTION else "",
        "metadata": charge.metadata,
    }


def challenge_url(charge: SimulatorCharge) -> str:
    return f"{settings.PUBLIC_BASE_URL}/simulator/3ds/{charge.reference}"


def _settle(charge: SimulatorCharge) -> None:
    """Decides an authenticated (or frictionless) charge by the card's profile."""
    profile = charge.card.profile
    if profile == THREE_DS_THEN_DECLINE:
        charge.status, charge.failure_code, charge.decline_code = "failed", "card_declined", "generic_decline"
    elif profile in DECLINES or (profile == FIRST_CHARGE_ONLY and _has_paid(charge.card)):
        charge.status = SimulatorCharge.Status.FAILED
        charge.failure_code, charge.decline_code = DECLINES.get(profile, DECLINES["generic_decline"])
    elif charge.capture:
        charge.status = SimulatorCharge.Status.SUCCEEDED
        charge.amount_captured = charge.amount
    else:
        charge.status = SimulatorCharge.Status.AUTHORIZED


def _has_paid(card: SimulatorCard) -> bool:
    paid = (SimulatorCharge.Status.SUCCEEDED, SimulatorCharge.Status.AUTHORIZED)
    return SimulatorCharge.objects.filter(card=card, status__in=paid).exists()


def _queue(kind: str, payload: dict) -> None:
    """Writes the outgoing message with the change and sends it after commit, later."""
    delivery = SimulatorDelivery.objects.create(kind=kind, body="")
    payload = {"id": delivery.event_id, "created": int(time.time()), **payload}
    delivery.body = json.dumps(payload, sort_keys=True)
    delivery.save(update_fields=["body"])

    def send(delivery_id=delivery.pk):
        from payments.tasks import simulator_deliver

        simulator_deliver.apply_async((delivery_id,), countdown=settings.PAYMENTS_SIMULATOR_WEBHOOK_DELAY_SECONDS)

    # robust: a delivery problem is the receiver's, never the charge's.
    transaction.on_commit(send, robust=True)


def _announce(charge: SimulatorCharge, event_type: str | None = None) -> None:
    _queue(
        SimulatorDelivery.Kind.WEBHOOK,
        {"type": event_type or f"payment.{charge.status}", "data": {"object": charge_as_dict(charge)}},
    )


def charge_create(
    *, idempotency_key: str, token: str, amount: int, currency: str, capture: bool, return_url: str, metadata: dict
) -> SimulatorCharge:
    """Authorizes (and captures) once per key: a repeated key returns the first charge."""
    existing = SimulatorCharge.objects.select_related("card").filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    card = SimulatorCard.objects.filter(token=token).first()
    if card is None:
        raise NotFound("No such card token.", param="payment_method")
    try:
        with transaction.atomic():
            charge = SimulatorCharge(
                idempotency_key=idempotency_key,
                card=card,
                amount=amount,
                currency=currency,
                capture=capture,
                return_url=return_url,
                metadata=metadata,
            )
            if card.profile in (THREE_DS, THREE_DS_THEN_DECLINE):
                charge.status = SimulatorCharge.Status.REQUIRES_ACTION
            else:
                _settle(charge)
            charge.save()
            _announce(charge)
    except IntegrityError:
        # A concurrent call with the same key won the insert: answer with its charge.
        return SimulatorCharge.objects.select_related("card").get(idempotency_key=idempotency_key)
    return charge


def charge_get(*, reference: str = "", idempotency_key: str = "") -> SimulatorCharge | None:
    charges = SimulatorCharge.objects.select_related("card")
    if reference:
        return charges.filter(reference=reference).first()
    return charges.filter(idempotency_key=idempotency_key).first() if idempotency_key else None


def _locked(reference: str) -> SimulatorCharge:
    charge = SimulatorCharge.objects.select_for_update().select_related("card").filter(reference=reference).first()
    if charge is None:
        raise NotFound("No such simulator charge.", param="reference")
    return charge


def charge_authenticate(*, reference: str, success: bool) -> SimulatorCharge:
    """The shopper's answer on the challenge page; a second answer changes nothing."""
    with transaction.atomic():
        charge = _locked(reference)
        if charge.status != SimulatorCharge.Status.REQUIRES_ACTION:
            return charge
        if success:
            _settle(charge)
        else:
            charge.status = SimulatorCharge.Status.FAILED
            charge.failure_code, charge.decline_code = "authentication_failed", "authentication_failed"
        charge.save()
        _queue(
            SimulatorDelivery.Kind.THREE_DS_CALLBACK,
            {"type": "three_d_secure.completed", "data": {"object": charge_as_dict(charge)}},
        )
        _announce(charge)
    return charge


def _operation(reference: str, key: str, apply) -> SimulatorCharge:
    with transaction.atomic():
        charge = _locked(reference)
        if key in charge.operation_keys:
            return charge
        apply(charge)
        charge.operation_keys = [*charge.operation_keys, key]
        charge.save()
    return charge


def charge_capture(*, reference: str, amount: int, idempotency_key: str) -> SimulatorCharge:
    def apply(charge):
        if charge.status != SimulatorCharge.Status.AUTHORIZED or not 0 < amount <= charge.amount:
            raise DomainError("This charge cannot be captured.", code="charge_not_capturable", status_code=409)
        charge.status = SimulatorCharge.Status.SUCCEEDED
        charge.amount_captured = amount
        _announce(charge, "payment.captured")

    return _operation(reference, idempotency_key, apply)


def charge_void(*, reference: str, idempotency_key: str) -> SimulatorCharge:
    def apply(charge):
        if charge.status not in (SimulatorCharge.Status.AUTHORIZED, SimulatorCharge.Status.REQUIRES_ACTION):
            raise DomainError("This charge cannot be voided.", code="charge_not_voidable", status_code=409)
        charge.status = SimulatorCharge.Status.CANCELED
        _announce(charge)

    return _operation(reference, idempotency_key, apply)


def charge_refund(*, reference: str, amount: int, idempotency_key: str) -> SimulatorCharge:
    def apply(charge):
        if (
            charge.status != SimulatorCharge.Status.SUCCEEDED
            or amount > charge.amount_captured - charge.amount_refunded
        ):
            raise DomainError("This charge cannot be refunded by that much.", code="charge_not_refundable")
        if _dispute_opened(charge) and not _dispute_outcome(charge):
            raise DomainError("A disputed charge cannot be refunded.", code="charge_disputed", status_code=409)
        charge.amount_refunded += amount
        _announce(charge, "payment.refunded")

    return _operation(reference, idempotency_key, apply)


# Disputes: at most one per charge, as at Stripe. The simulator keeps no dispute table:
# the charge's applied-operation keys record it ("dispute.opened:<reason>:<unix time>",
# then "dispute.closed:<won|lost>"), which also makes opening or closing twice a no-op.
DISPUTE_REASONS = ("fraudulent", "duplicate", "product_not_received", "product_unacceptable", "unrecognized", "general")
DISPUTE_EVIDENCE_DAYS = 7
_OPENED = "dispute.opened:"
_CLOSED = "dispute.closed:"


def _dispute_opened(charge: SimulatorCharge) -> tuple[str, int] | None:
    for key in charge.operation_keys:
        if key.startswith(_OPENED):
            reason, _, opened_at = key.removeprefix(_OPENED).partition(":")
            return reason, int(opened_at)
    return None


def _dispute_outcome(charge: SimulatorCharge) -> str:
    return next((key.removeprefix(_CLOSED) for key in charge.operation_keys if key.startswith(_CLOSED)), "")


def dispute_as_dict(charge: SimulatorCharge) -> dict:
    reason, opened_at = _dispute_opened(charge)
    outcome = _dispute_outcome(charge)
    return {
        "object": "dispute",
        "id": f"dp_{charge.reference}",
        "charge": charge.reference,
        # Refunds are refused while it is open, so this stays what was disputed.
        "amount": charge.amount_captured - charge.amount_refunded,
        "currency": charge.currency,
        "reason": reason,
        "status": outcome or "needs_response",
        "evidence_details": {"due_by": opened_at + DISPUTE_EVIDENCE_DAYS * 86400},
        "created": opened_at,
        "metadata": charge.metadata,
    }


def charge_dispute_open(*, reference: str, reason: str = "fraudulent") -> dict:
    """The cardholder's bank disputes a captured charge: a signed `charge.dispute.created`
    follows. Opening it again returns the same dispute and sends nothing."""
    if reason not in DISPUTE_REASONS:
        raise DomainError(f"reason must be one of {', '.join(DISPUTE_REASONS)}.", param="reason")
    with transaction.atomic():
        charge = _locked(reference)
        if _dispute_opened(charge) is None:
            if charge.status != SimulatorCharge.Status.SUCCEEDED or charge.amount_captured <= charge.amount_refunded:
                raise DomainError(
                    "Only a captured charge can be disputed.", code="charge_not_disputable", status_code=409
                )
            charge.operation_keys = [*charge.operation_keys, f"{_OPENED}{reason}:{int(time.time())}"]
            charge.save()
            _queue(
                SimulatorDelivery.Kind.WEBHOOK,
                {"type": "charge.dispute.created", "data": {"object": dispute_as_dict(charge)}},
            )
    return dispute_as_dict(charge)


def charge_dispute_close(*, reference: str, won: bool) -> dict:
    """The bank's decision on an open dispute: a signed `charge.dispute.closed` follows.
    Closing it again returns it as it is and sends nothing."""
    with transaction.atomic():
        charge = _locked(reference)
        if _dispute_opened(charge) is None:
            raise DomainError("This charge has no dispute.", code="dispute_missing", status_code=409)
        if not _dispute_outcome(charge):
            charge.operation_keys = [*charge.operation_keys, f"{_CLOSED}{'won' if won else 'lost'}"]
            charge.save()
            _queue(
                SimulatorDelivery.Kind.WEBHOOK,
                {"type": "charge.dispute.closed", "data": {"object": dispute_as_dict(charge)}},
            )
    return dispute_as_dict(charge)


def delivery_target(kind: str) -> str:
    base = settings.PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL
    if not base:
        return ""
    path = (
        "/v1/checkout/3ds/callback"
        if kind == SimulatorDelivery.Kind.THREE_DS_CALLBACK
        else "/v1/checkout/webhook/payment"
    )
    return base + path


def delivery_send(*, delivery_id: int) -> None:
    """Signs and sends one outgoing message; raises on a transport failure so the task
    retries. Without a target address the message is handed to our inbound service
    in-process (tests, eager mode), through the same signature check."""
    import requests
    from django.utils import timezone

    from payments.simulator.signing import SIGNATURE_HEADER, signature_header

    delivery = SimulatorDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True).first()
    if delivery is None:
        return
    body = delivery.body.encode()
    headers = {SIGNATURE_HEADER: signature_header(body), "Content-Type": "application/json"}
    SimulatorDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    target = delivery_target(delivery.kind)
    if target:
        response = requests.post(target, data=body, headers=headers, timeout=10)
        if not 200 <= response.status_code < 300:
            SimulatorDelivery.objects.filter(pk=delivery.pk).update(last_error=f"HTTP {response.status_code}")
            raise ConnectionError(f"{target} answered {response.status_code}")
    else:
        from payments.services import webhooks

        if delivery.kind == SimulatorDelivery.Kind.THREE_DS_CALLBACK:
            webhooks.three_ds_callback_receive(body=body, headers=headers)
        else:
            webhooks.gateway_event_receive(body=body, headers=headers)
    SimulatorDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now(), last_error="")
