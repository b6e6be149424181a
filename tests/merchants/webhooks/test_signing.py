from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from merchants.webhooks.crypto import secret_decrypt, secret_encrypt, secret_generate
from merchants.webhooks.signing import signed_headers


def test_signature_verifies_with_the_standard_webhooks_verifier_and_tampering_fails():
    secret = secret_generate()
    body = '{"id":"evt_1","type":"payment.succeeded"}'
    headers = signed_headers(webhook_id="msg_1", timestamp=datetime.now(UTC), body=body, secrets=[secret])
    assert Webhook(secret).verify(body, headers)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("succeeded", "failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_generate()).verify(body, headers)


def test_two_secrets_sign_side_by_side_during_rotation():
    old, new = secret_generate(), secret_generate()
    body = "{}"
    headers = signed_headers(webhook_id="msg_1", timestamp=datetime.now(UTC), body=body, secrets=[new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


def test_never_unsigned():
    with pytest.raises(ValueError):
        signed_headers(webhook_id="msg_1", timestamp=datetime.now(UTC), body="{}", secrets=[])


def test_secrets_are_encrypted_not_encoded():
    secret = secret_generate()
    assert secret.startswith("whsec_")
    ciphertext = secret_encrypt(secret)
    assert secret not in ciphertext and secret[6:] not in ciphertext
    assert secret_decrypt(ciphertext) == secret
    assert secret_encrypt(secret) != ciphertext  # Fernet tokens are randomized
