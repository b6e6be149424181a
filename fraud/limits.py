"""Transaction limits (GET|PATCH /tx-limits): hard limits checked before scoring, in the
confirm's claim, so a payment past one never reaches the gateway or the score.

- `max_amount_per_payment`: the payment's amount, in minor units.
- `daily_amount_limit`: the amounts of today's (UTC) payment attempts that were not
  blocked, this one included; counted per currency-agnostic minor units, so a merchant
  selling in one currency gets an exact total.
- `max_payments_per_card_per_day`: today's non-blocked attempts with the card.
- `max_attempts_per_session`: the merchant's `max_payment_attempts` setting (kept there,
  readable and writable in settings too), enforced by payments per intent.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.exceptions import DomainError
from fraud.cached import fraud_profile
from fraud.exceptions import TransactionLimitExceeded
from fraud.locks import lock_identities, lock_profile
from fraud.models import FraudAssessment, FraudProfile
from fraud.rules.base import Facts
from merchants.models import Merchant
from merchants.services import merchant_settings_update

FIELDS = ("max_amount_per_payment", "daily_amount_limit", "max_payments_per_card_per_day")


def tx_limits_get(*, merchant_id: int) -> dict:
    profile = FraudProfile.objects.filter(merchant_id=merchant_id).first()
    merchant = Merchant.objects.get(pk=merchant_id)
    values = {field: getattr(profile, field) if profile else None for field in FIELDS}
    return {**values, "max_attempts_per_session": merchant.max_payment_attempts}


def tx_limits_update(*, merchant_id: int, changes: dict) -> dict:
    """Sets limits (null removes one). Raises DomainError (400) naming a bad value."""
    unknown = sorted(set(changes) - set(FIELDS) - {"max_attempts_per_session"})
    if unknown:
        raise DomainError(f"Unknown limit {unknown[0]!r}.", param=unknown[0])
    for field, value in changes.items():
        nullable = field != "max_attempts_per_session"
        if value is None and nullable:
            continue
        high = 100 if field == "max_attempts_per_session" else 10**15
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise DomainError(
                f"{field} must be an integer from 1 to {high}" + (" or null." if nullable else "."), param=field
            )
    with transaction.atomic():
        profile = lock_profile(merchant_id)
        for field in FIELDS:
            if field in changes:
                setattr(profile, field, changes[field])
        profile.save()
        if "max_attempts_per_session" in changes:
            merchant_settings_update(
                merchant_id=merchant_id, changes={"max_payment_attempts": changes["max_attempts_per_session"]}
            )
    return tx_limits_get(merchant_id=merchant_id)


def limits_check(facts: Facts) -> None:
    """Raises TransactionLimitExceeded (402, `explain` names the limit). Runs in the
    confirm's claim transaction; a daily total takes a per-merchant advisory lock so two
    payments cannot both fit under it."""
    profile = fraud_profile(facts.merchant_id)
    if profile is None:
        return
    if profile.max_amount_per_payment is not None and facts.amount > profile.max_amount_per_payment:
        raise TransactionLimitExceeded(explain=f"max_amount_per_payment {profile.max_amount_per_payment}")
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        FraudAssessment.objects.filter(merchant_id=facts.merchant_id, created_at__gte=start)
        .exclude(payment_intent_id="")
        .exclude(status=FraudAssessment.Status.BLOCKED)
    )
    if profile.daily_amount_limit is not None:
        lock_identities(facts.merchant_id, [("daily_amount", "all")])
        spent = today.aggregate(total=Sum("amount"))["total"] or 0
        if spent + facts.amount > profile.daily_amount_limit:
            raise TransactionLimitExceeded(explain=f"daily_amount_limit {profile.daily_amount_limit}")
    if profile.max_payments_per_card_per_day is not None and facts.card_fingerprint:
        used = today.filter(card_fingerprint=facts.card_fingerprint).count()
        if used + 1 > profile.max_payments_per_card_per_day:
            raise TransactionLimitExceeded(
                explain=f"max_payments_per_card_per_day {profile.max_payments_per_card_per_day}"
            )
