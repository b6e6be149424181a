"""Standard Webhooks signatures (https://www.standardwebhooks.com/), via its own package.

Several secrets sign at once while a rotated-out secret is still valid: the header then
holds one `v1,<sig>` per secret, space-separated, and a receiver accepts any match.
"""

from datetime import datetime

from standardwebhooks import Webhook


def signed_headers(*, webhook_id: str, timestamp: datetime, body: str, secrets: list[str]) -> dict:
    if not secrets:
        raise ValueError("A webhook is never sent unsigned.")
    signatures = " ".join(Webhook(secret).sign(webhook_id, timestamp, body) for secret in secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
