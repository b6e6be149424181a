"""KYC: start, document uploads (stored through Django's storage, size and type checked),
the provider's signed decision, and `kyc_required_above` refusing confirm until verified."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from fraud.models import KycDocument
from merchants.services import merchant_settings_update
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import V1, attach, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.KYC_MAX_UPLOAD_BYTES = 1000
    return tmp_path


def _start(api, checkout_id):
    return ok(api.post(f"{V1}/sessions/{checkout_id}/kyc/start", {}, format="json"), 201)


def _upload(api, kyc_id, content, name="doc.pdf", type="passport"):
    return api.post(f"{V1}/kyc/{kyc_id}/documents", {"type": type, "file": SimpleUploadedFile(name, content)},
                    format="multipart")  # fmt: skip


def _complete(secret, kyc_id, result, *, at=None, webhook_id="msg_kyc"):
    at = at or datetime.now(tz=UTC)
    body = json.dumps({"result": result, "reason": "checked"})
    headers = {"HTTP_WEBHOOK_ID": webhook_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
               "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign(webhook_id, at, body)}  # fmt: skip
    return APIClient().post(f"{V1}/kyc/{kyc_id}/complete", body, content_type="application/json", **headers)


def test_start_upload_and_complete(api, media):
    session = ready_session(api)
    started = _start(api, session["checkout_id"])
    assert started["status"] == "pending" and started["upload_url"].endswith(f"/kyc/{started['kyc_id']}/documents")
    assert _start(api, session["checkout_id"])["kyc_id"] == started["kyc_id"], "a second start returns the first"
    uploaded = ok(_upload(api, started["kyc_id"], PDF, name="../../etc/passwd.pdf"), 201)
    assert uploaded["content_type"] == "application/pdf"
    document = KycDocument.objects.get()
    assert (
        document.file.name.startswith("kyc/") and ".." not in document.file.name and "passwd" not in document.file.name
    )
    assert (media / document.file.name).read_bytes() == PDF
    ok(_upload(api, started["kyc_id"], PNG, name="bill.png", type="proof_of_address"), 201)

    secret = ok(api.post(f"{V1}/fraud/provider-secret", {}, format="json"), 201)["secret"]
    forged = _complete("whsec_" + "QUJD" * 8, started["kyc_id"], "verified")
    stale = _complete(secret, started["kyc_id"], "verified", at=datetime.now(tz=UTC) - timedelta(hours=1))
    assert forged.status_code == stale.status_code == 400
    assert ok(_complete(secret, started["kyc_id"], "verified"))["status"] == "verified"
    assert ok(_complete(secret, started["kyc_id"], "verified"))["status"] == "verified"  # a replay converges
    assert _complete(secret, started["kyc_id"], "rejected").status_code == 409
    assert _upload(api, started["kyc_id"], PDF).status_code == 409


@pytest.mark.parametrize(
    "content, type, code",
    [
        (b"x" * 1001, "passport", "file_size_invalid"),
        (b"", "passport", "file_size_invalid"),
        (b"MZ\x90\x00 not a document", "passport", "file_type_invalid"),
        (PDF, "selfie", "invalid_request"),
    ],
)
def test_upload_limits(api, content, type, code):
    kyc_id = _start(api, ready_session(api)["checkout_id"])["kyc_id"]
    response = _upload(api, kyc_id, content, type=type)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert not KycDocument.objects.exists()


def test_confirm_is_refused_above_the_limit_until_verified(api):
    merchant_settings_update(merchant_id=api.merchant.pk, changes={"extra_settings": {"kyc_required_above": 4999}})
    session = ready_session(api)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api)))
    refused = confirm(api, intent["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "kyc_required"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).attempt_count == 0
    kyc_id = _start(api, session["checkout_id"])["kyc_id"]
    secret = ok(api.post(f"{V1}/fraud/provider-secret", {}, format="json"), 201)["secret"]
    ok(_complete(secret, kyc_id, "verified"))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
