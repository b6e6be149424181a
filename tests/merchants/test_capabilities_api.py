"""GET /capabilities answers from what is configured for the tenant, not a fixed list."""

import pytest

from fraud.models import FraudRule
from fraud.services import rules_ensure_defaults
from merchants.capabilities import DOCUMENTED
from payments.wallet.services import gift_card_issue, store_credit_grant
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

URL = f"{V1}/capabilities"


def _features(api):
    return ok(api.get(URL))["features"]


def test_a_new_simulator_merchant(api):
    body = ok(api.get(URL))
    assert body["gateway"] == "simulator" and body["gateway_configured"] is True
    assert body["payment_method_types"] == ["card"]
    features = body["features"]
    assert set(DOCUMENTED) <= set(features)
    assert features["three_d_secure"] and features["hosted_pages"] and features["split_payments"]
    assert features["fraud"] is True, "the platform's default rules screen a merchant's first payment"
    assert not features["gift_cards"] and not features["store_credit"] and not features["kyc"]
    # Nothing installed provides them yet: off, never guessed.
    assert features["installments"] is False and features["reconciliation"] is False


def test_features_follow_the_merchants_configuration(api):
    ok(api.patch(f"{V1}/settings", {"extra_settings": {"kyc_required_above": 50000}}, format="json"))
    gift_card_issue(merchant_id=api.merchant.pk, initial_balance=1000, currency="USD", actor="staff:amy")
    store_credit_grant(merchant_id=api.merchant.pk, customer_id="cus_1", amount=500, currency="USD", actor="staff:amy")
    ok(api.patch(f"{V1}/settings", {"approval_mode": "merchant", "capture_mode": "manual"}, format="json"))

    body = ok(api.get(URL))
    assert body["payment_method_types"] == ["card", "gift_card", "store_credit"]
    features = body["features"]
    assert features["kyc"] and features["gift_cards"] and features["store_credit"]
    assert features["merchant_approval"] and features["manual_capture"]


def test_a_merchant_who_switched_every_rule_off_is_not_screened(api):
    rules_ensure_defaults(merchant_id=api.merchant.pk)
    assert _features(api)["fraud"] is True
    FraudRule.objects.filter(merchant=api.merchant).update(is_active=False)
    assert _features(api)["fraud"] is False


def test_a_gateway_the_platform_cannot_reach_turns_card_features_off(api, settings):
    api.merchant.gateway = "stripe"
    api.merchant.save()
    settings.STRIPE_API_KEY = ""
    body = ok(api.get(URL))
    assert body["gateway_configured"] is False and body["payment_method_types"] == []
    assert not body["features"]["three_d_secure"] and not body["features"]["hosted_pages"]


def test_capabilities_are_the_callers_own(api, other_api):
    ok(api.patch(f"{V1}/settings", {"extra_settings": {"kyc_required_above": 1}}, format="json"))
    assert _features(api)["kyc"] is True and _features(other_api)["kyc"] is False
