"""Auto-approval rules: which refunds go through at once and which wait for a reviewer.

Per merchant, in `Merchant.extra_settings`:

- `refund_auto_approve_max_amount`: the largest refund (minor units of the payment's
  currency) approved without review. Either one integer for every currency, or a map
  per currency such as `{"USD": 10000, "JPY": 10000}`; a currency the map does not name
  always goes to review. Default 10000 (100.00 in a two-decimal currency). 0 sends
  every refund to review.
- `refund_auto_approve_max_age_days`: only payments captured at most this many days ago
  qualify. Default 30.

Both must hold for an automatic approval; anything else goes to UNDER_REVIEW and the
refund approvers (users with `refunds.approve_refund`) are emailed. A malformed value
falls back to the strictest reading (review), never to approving more.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

DEFAULT_MAX_AMOUNT = 10_000
DEFAULT_MAX_AGE_DAYS = 30


@dataclass(frozen=True)
class AutoApproval:
    approved: bool
    why: str


def _non_negative_int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def max_auto_amount(merchant, currency: str) -> int:
    value = (merchant.extra_settings or {}).get("refund_auto_approve_max_amount", DEFAULT_MAX_AMOUNT)
    if isinstance(value, dict):
        value = value.get(currency, 0)
    return _non_negative_int(value) or 0


def max_auto_age_days(merchant) -> int:
    value = (merchant.extra_settings or {}).get("refund_auto_approve_max_age_days", DEFAULT_MAX_AGE_DAYS)
    return _non_negative_int(value) or 0


def auto_approval(*, merchant, amount: int, currency: str, captured_at, now=None) -> AutoApproval:
    now = now or timezone.now()
    limit = max_auto_amount(merchant, currency)
    if amount > limit:
        return AutoApproval(False, f"amount {amount} is above the automatic limit of {limit} {currency}")
    days = max_auto_age_days(merchant)
    if captured_at is None or captured_at < now - timedelta(days=days):
        return AutoApproval(False, f"the payment was captured more than {days} days ago")
    return AutoApproval(True, f"amount within {limit} {currency} and payment captured within {days} days")
