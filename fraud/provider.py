"""Decisions from the merchant's external fraud provider (POST /webhook/fraud).

Signed with Standard Webhooks under a per-merchant secret (`fraud_provider_secret_rotate`
shows it once; it is stored encrypted). A body that is not signed by the secret of the
merchant it names, or older than the tolerance, is refused (400) and nothing is stored.
A webhook id already received converges on the first answer. Decisions are ordered by
their signed timestamp: one older than the last applied for the same assessment is
stored and ignored.

- `allow` / `block` on an open review: approved (captured) / refused (voided), through
  the same `review_decide` as the API.
- `block` on an allowed payment still only authorized: voided.
- `review` can only be recorded (an assessment never goes back to review).
"""

import json
import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from standardwebhooks import Webhook, WebhookVerificationError

from core.crypto import decrypt_text, encrypt_text
from core.exceptions import DomainError
from fraud import hooks
from fraud.locks import lock_profile
from fraud.models import FraudAssessment, FraudProfile, ProviderEvent
from merchants.models import Merchant

logger = logging.getLogger(__name__)
DECISIONS = ("allow", "review", "block")


class ProviderSignatureInvalid(DomainError):
    status_code = 400
    code = "webhook_signature_invalid"
    default_message = "The signature is missing, invalid or too old."


def fraud_provider_secret_rotate(*, merchant_id: int) -> str:
    """A new signing secret for the merchant's fraud provider, returned once."""
    import base64
    import secrets

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    with transaction.atomic():
        profile = lock_profile(merchant_id)
        profile.webhook_secret_encrypted = encrypt_text(secret)
        profile.save()
    return secret


def _verified(body: bytes, headers) -> tuple[Merchant, dict, datetime]:
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ProviderSignatureInvalid() from None
    data = payload.get("data") if isinstance(payload, dict) else None
    merchant_ref = data.get("merchant") if isinstance(data, dict) else None
    profile = (
        FraudProfile.objects.select_related("merchant").filter(merchant__public_id=merchant_ref).first()
        if isinstance(merchant_ref, str)
        else None
    )
    # An unknown merchant and a wrong signature answer alike: nothing tells which exists.
    if profile is None or not profile.webhook_secret_encrypted:
        raise ProviderSignatureInvalid()
    wanted = {name: headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    try:
        Webhook(decrypt_text(profile.webhook_secret_encrypted)).verify(body, wanted)
    except WebhookVerificationError:
        raise ProviderSignatureInvalid() from None
    sent_at = datetime.fromtimestamp(int(wanted["webhook-timestamp"]), tz=UTC)
    return profile.merchant, payload, sent_at


def fraud_webhook_receive(*, body: bytes, headers) -> tuple[ProviderEvent, bool]:
    """Verifies, stores and applies one provider decision; returns (event, created)."""
    merchant, payload, sent_at = _verified(body, headers)
    data = payload["data"]
    decision, assessment_id = data.get("decision"), data.get("assessment_id")
    if decision not in DECISIONS:
        raise DomainError("data.decision must be allow, review or block.", param="decision")
    assessment = (
        FraudAssessment.objects.filter(merchant=merchant, public_id=assessment_id).first()
        if isinstance(assessment_id, str)
        else None
    )
    if assessment is None:
        raise DomainError("data.assessment_id names no assessment of this merchant.", param="assessment_id")
    webhook_id = headers.get("webhook-id")
    existing = ProviderEvent.objects.filter(merchant=merchant, webhook_id=webhook_id).first()
    if existing is not None:
        return existing, False
    newer = ProviderEvent.objects.filter(
        merchant=merchant, assessment_id=assessment_id, outcome=ProviderEvent.Outcome.APPLIED, sent_at__gt=sent_at
    ).exists()
    outcome, detail = ProviderEvent.Outcome.IGNORED, ""
    if newer:
        detail = "a later decision was already applied"
    else:
        outcome, detail = _apply(assessment, decision, reason=str(data.get("reason") or "")[:300])
    try:
        with transaction.atomic():
            event = ProviderEvent.objects.create(
                merchant=merchant, webhook_id=webhook_id, assessment_id=assessment_id, decision=decision,
                sent_at=sent_at, outcome=outcome, detail=detail, payload=payload,
            )  # fmt: skip
    except IntegrityError:
        return ProviderEvent.objects.get(merchant=merchant, webhook_id=webhook_id), False
    return event, True


def _apply(assessment: FraudAssessment, decision: str, *, reason: str) -> tuple[str, str]:
    from fraud.services import review_decide

    actor = "fraud_provider"
    if assessment.status == FraudAssessment.Status.IN_REVIEW and decision in ("allow", "block"):
        review_decide(merchant_id=assessment.merchant_id, assessment_id=assessment.public_id,
                      approve=decision == "allow", actor=actor, reason=reason)  # fmt: skip
        return ProviderEvent.Outcome.APPLIED, f"review {'approved' if decision == 'allow' else 'refused'}"
    voider = hooks.payment_voider()
    if decision == "block" and assessment.payment_intent_id and voider is not None:
        voided = voider(merchant_id=assessment.merchant_id, payment_intent_id=assessment.payment_intent_id, actor=actor)
        if voided:
            return ProviderEvent.Outcome.APPLIED, "authorization voided"
        return ProviderEvent.Outcome.IGNORED, "the payment was not only authorized; refund it if needed"
    return ProviderEvent.Outcome.IGNORED, f"nothing to do for {decision} on a {assessment.status} assessment"
