"""The simulator gateway: our adapter to the simulated processor in payments/simulator.

It talks to the processor through its module functions instead of HTTP, but keeps the
same discipline as a remote gateway: outside transactions, idempotency keys, signed
webhooks, and translation of the processor's Stripe-like codes into ours.
"""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from core.exceptions import NotFound
from payments.exceptions import WebhookSignatureInvalid
from payments.gateways import base
from payments.gateways.translate import translate_failure
from payments.simulator import processor
from payments.simulator.signing import SIGNATURE_HEADER, signature_verify

_STATUSES = {
    "requires_action": base.REQUIRES_ACTION,
    "authorized": base.AUTHORIZED,
    "succeeded": base.SUCCEEDED,
    "failed": base.FAILED,
    "canceled": base.CANCELED,
}


def result_from_charge(charge: dict) -> base.GatewayResult:
    status = _STATUSES[charge["status"]]
    failure_code, decline_code = "", ""
    if status == base.FAILED:
        failure_code, decline_code = translate_failure(charge["failure_code"], charge["decline_code"])
    url = charge.get("next_action_url") or ""
    return base.GatewayResult(
        status=status,
        reference=charge["reference"],
        amount=charge["amount_captured"] if status == base.SUCCEEDED else charge["amount"],
        action_url=url,
        action={"type": "redirect_to_url", "url": url} if url else None,
        failure_code=failure_code,
        decline_code=decline_code,
        raw=charge,
    )


def dispute_from_dict(dispute: dict) -> base.DisputeInfo:
    due_by = (dispute.get("evidence_details") or {}).get("due_by")
    status = dispute.get("status", "")
    return base.DisputeInfo(
        id=dispute["id"],
        amount=dispute["amount"],
        currency=dispute["currency"],
        reason=dispute.get("reason", ""),
        status=status,
        outcome={"won": base.DISPUTE_WON, "lost": base.DISPUTE_LOST}.get(status, ""),
        evidence_due_by=datetime.fromtimestamp(due_by, tz=UTC) if due_by else None,
    )


class SimulatorGateway(base.Gateway):
    name = "simulator"
    signature_header = SIGNATURE_HEADER

    @classmethod
    def is_configured(cls) -> bool:
        # A test-mode processor: served only where the platform enables it.
        return settings.PAYMENTS_SIMULATOR_ENABLED

    @sensitive_variables("number", "cvc")
    def tokenize(self, *, number, exp_month, exp_year, cvc):
        base.outside_transaction()
        card = processor.card_tokenize(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
        return base.TokenizedCard(
            token=card.token,
            card=base.CardDetails(
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                fingerprint=card.fingerprint,
            ),
        )

    def authorize(self, request):
        base.outside_transaction()
        charge = processor.charge_create(
            idempotency_key=request.idempotency_key,
            token=request.token,
            amount=request.amount,
            currency=request.currency,
            capture=request.capture,
            return_url=request.return_url,
            metadata=request.metadata,
        )
        return result_from_charge(processor.charge_as_dict(charge))

    def capture(self, *, reference, amount, idempotency_key):
        base.outside_transaction()
        charge = processor.charge_capture(reference=reference, amount=amount, idempotency_key=idempotency_key)
        return result_from_charge(processor.charge_as_dict(charge))

    def void(self, *, reference, idempotency_key):
        base.outside_transaction()
        charge = processor.charge_void(reference=reference, idempotency_key=idempotency_key)
        return result_from_charge(processor.charge_as_dict(charge))

    def refund(self, *, reference, amount, idempotency_key):
        base.outside_transaction()
        charge = processor.charge_refund(reference=reference, amount=amount, idempotency_key=idempotency_key)
        data = processor.charge_as_dict(charge)
        return base.GatewayResult(status=base.SUCCEEDED, reference=reference, amount=amount, raw=data)

    def retrieve(self, *, reference, idempotency_key):
        base.outside_transaction()
        charge = processor.charge_get(reference=reference, idempotency_key=idempotency_key)
        if charge is None:
            if reference:
                raise NotFound("The simulator has no such charge.")
            return base.GatewayResult(status=base.NOT_FOUND)
        return result_from_charge(processor.charge_as_dict(charge))

    def verify_webhook(self, *, body, headers):
        signature_verify(body, headers.get(SIGNATURE_HEADER))
        try:
            payload = json.loads(body)
            valid = isinstance(payload["data"]["object"], dict) and bool(payload["id"]) and bool(payload["type"])
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise WebhookSignatureInvalid("The body is not a simulator event.")
        return payload

    def notice_from_payload(self, payload):
        charge = payload["data"]["object"]
        metadata = charge.get("metadata") or {}
        if charge.get("object") == "dispute":
            return base.GatewayNotice(
                event_id=payload["id"],
                type=payload["type"],
                reference=charge.get("charge", ""),
                payment_intent=metadata.get("payment_intent", ""),
                attempt=metadata.get("attempt", ""),
                result=None,
                payload=payload,
                dispute=dispute_from_dict(charge),
            )
        return base.GatewayNotice(
            event_id=payload["id"],
            type=payload["type"],
            reference=charge.get("reference", ""),
            payment_intent=metadata.get("payment_intent", ""),
            attempt=metadata.get("attempt", ""),
            result=result_from_charge(charge) if charge.get("status") in _STATUSES else None,
            payload=payload,
        )
