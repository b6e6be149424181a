"""Fraud's answers to GET /capabilities (registered in FraudConfig.ready())."""

from fraud.models import FraudProfile, FraudRule


def fraud_screening(merchant) -> bool:
    """Payments are scored by the merchant's active rules; a merchant never scored yet gets
    the platform's defaults on its first payment, so it is screened too."""
    if FraudRule.objects.filter(merchant=merchant, is_active=True).exists():
        return True
    profile = FraudProfile.objects.filter(merchant=merchant).first()
    return profile is None or profile.defaults_installed_at is None


def kyc(merchant) -> bool:
    limit = (merchant.extra_settings or {}).get("kyc_required_above")
    return isinstance(limit, int) and not isinstance(limit, bool)
