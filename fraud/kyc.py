"""Know your customer: a verification per payer reference, its documents, the provider's
decision, and the merchant's `kyc_required_above` (minor units) that makes confirm refuse
(409 kyc_required) until the payer is verified.

Documents are stored through Django's storage API, never served by URL; their type is
read from the file's first bytes (PDF, JPEG, PNG), not from its name or the browser's word.
The provider's decision (`kyc_complete`) is signed like the fraud webhook, with the
merchant's fraud provider secret.
"""

import json
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from core.crypto import decrypt_text
from core.exceptions import Conflict, DomainError, InvalidStateTransition, NotFound
from fraud.models import FraudProfile, KycDocument, KycVerification
from fraud.provider import ProviderSignatureInvalid

SIGNATURES = {b"%PDF-": ("application/pdf", "pdf"), b"\xff\xd8\xff": ("image/jpeg", "jpg"),
              b"\x89PNG\r\n\x1a\n": ("image/png", "png")}  # fmt: skip


class KycRequired(Conflict):
    code = "kyc_required"
    default_message = "This payment needs the payer's identity verified first."


def kyc_start(*, merchant_id: int, reference: str) -> KycVerification:
    """Starts (or returns the pending) verification of the payer `reference`."""
    existing = KycVerification.objects.filter(merchant_id=merchant_id, reference=reference, status="pending").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return KycVerification.objects.create(merchant_id=merchant_id, reference=reference)
    except IntegrityError:
        return KycVerification.objects.get(merchant_id=merchant_id, reference=reference, status="pending")


def kyc_get(*, merchant_id: int, kyc_id: str) -> KycVerification:
    verification = KycVerification.objects.filter(merchant_id=merchant_id, public_id=kyc_id).first()
    if verification is None:
        raise NotFound("No such KYC verification.", param="id")
    return verification


def kyc_document_add(*, merchant_id: int, kyc_id: str, type: str, upload) -> KycDocument:
    """Stores one document. Raises 400 for a wrong type, an empty or too large file, or a
    file that is not a PDF, JPEG or PNG; 409 once the verification is decided."""
    verification = kyc_get(merchant_id=merchant_id, kyc_id=kyc_id)
    if type not in KycDocument.Type.values:
        raise DomainError(f"type must be one of {', '.join(KycDocument.Type.values)}.", param="type")
    if upload is None:
        raise DomainError("Attach the document as `file` (multipart/form-data).", param="file")
    limit = settings.KYC_MAX_UPLOAD_BYTES
    if not 0 < upload.size <= limit:
        raise DomainError(f"The file must be between 1 byte and {limit} bytes.", param="file",
                          code="file_size_invalid")  # fmt: skip
    head = upload.read(8)
    upload.seek(0)
    kind = next((found for magic, found in SIGNATURES.items() if head.startswith(magic)), None)
    if kind is None:
        raise DomainError("The file must be a PDF, JPEG or PNG.", param="file", code="file_type_invalid")
    content_type, extension = kind
    with transaction.atomic():
        verification = KycVerification.objects.select_for_update().get(pk=verification.pk)
        if verification.status != KycVerification.Status.PENDING:
            raise InvalidStateTransition(f"This verification is already {verification.status}.")
        document = KycDocument(verification=verification, type=type, content_type=content_type, size=upload.size)
        # A name of ours, never the uploader's (no path tricks, nothing personal in it).
        document.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(upload.read()), save=False)
        document.save()
    return document


def kyc_complete(*, kyc_id: str, body: bytes, headers) -> KycVerification:
    """The provider's signed decision {"result": "verified"|"rejected", "reason"}.
    Forged, stale or about an unknown verification: 400, nothing changes. The same
    decision again returns the verification; the other decision is 409."""
    verification = KycVerification.objects.filter(public_id=kyc_id).first()
    profile = FraudProfile.objects.filter(merchant_id=verification.merchant_id).first() if verification else None
    if profile is None or not profile.webhook_secret_encrypted:
        raise ProviderSignatureInvalid()
    wanted = {name: headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    try:
        Webhook(decrypt_text(profile.webhook_secret_encrypted)).verify(body, wanted)
        payload = json.loads(body)
    except (WebhookVerificationError, ValueError):
        raise ProviderSignatureInvalid() from None
    result = payload.get("result") if isinstance(payload, dict) else None
    if result not in ("verified", "rejected"):
        raise DomainError("result must be verified or rejected.", param="result")
    reason = str(payload.get("reason") or "")[:500]
    with transaction.atomic():
        verification = KycVerification.objects.select_for_update().get(pk=verification.pk)
        if verification.status == result:
            return verification
        if verification.status != KycVerification.Status.PENDING:
            raise InvalidStateTransition(f"This verification is already {verification.status}.")
        if result == "verified":
            verification.verify(at=timezone.now(), reason=reason)
        else:
            verification.reject(at=timezone.now(), reason=reason)
        verification.save()
    return verification


def kyc_check(*, merchant, reference: str, amount: int) -> None:
    """Raises KycRequired (409) when the amount is above the merchant's
    `kyc_required_above` and the payer has no verified verification."""
    limit = (merchant.extra_settings or {}).get("kyc_required_above")
    if not isinstance(limit, int) or isinstance(limit, bool) or amount <= limit:
        return
    verified = KycVerification.objects.filter(
        merchant=merchant, reference=reference, status=KycVerification.Status.VERIFIED
    ).exists()
    if not verified:
        raise KycRequired(explain=f"amount {amount} is above kyc_required_above {limit}")
