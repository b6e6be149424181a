"""GET /capabilities answers from what is configured for the tenant, not a fixed list."""

import pytest

from fraud.models import FraudRule
from fraud.services import rules_ensure_defaults
from merchants.capabilities import DOCUMENTED
from payments.bnpl.models import BNPLSettings
from payments.wallet.services import gift_card_issue, store_credit_grant
from reconciliation.models import StatementSource
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

URL = f"{V1}/capabilities"


def _features(api):
    return ok(api.get(URL))["features"]


def test_a_new_simulator_merchant(api):
    body = ok(api.get(URL))
    assert body["gateway"] == "simulator" and body["gateway_configured"] is True
    assert body["payment_method_types"] == ["card", "buy_now_pay_later"]
    features = body["features"]
    assert set(DOCUMENTED) <= set(features)
    assert features["three_d_secure"] and features["hosted_pages"] and features["split_payments"]
    assert features["fraud"] is True, "the platform's default rules screen a merchant's first payment"
    assert not features["gift_cards"] and not features["store_credit"] and not features["kyc"]
    # The default plans and the simulated provider: pay later is on; no statement yet.
    assert features["installments"] is True and features["reconciliation"] is False


def test_features_follow_the_merchants_configuration(api):
    ok(api.patch(f"{V1}/settings", {"extra_settings": {"kyc_required_above": 50000}}, format="json"))
    gift_card_issue(merchant_id=api.merchant.pk, initial_balance=1000, currency="USD", actor="staff:amy")
    store_credit_grant(merchant_id=api.merchant.pk, customer_id="cus_1", amount=500, currency="USD", actor="staff:amy")
    ok(api.patch(f"{V1}/settings", {"approval_mode": "merchant", "capture_mode": "manual"}, format="json"))

    body = ok(api.get(URL))
    assert body["payment_method_types"] == ["card", "gift_card", "store_credit", "buy_now_pay_later"]
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
    # Pay later stays: the test-mode provider charges its installments on its own gateway.
    assert body["gateway_configured"] is False and body["payment_method_types"] == ["buy_now_pay_later"]
    assert not body["features"]["three_d_secure"] and not body["features"]["hosted_pages"]


def test_hosted_pages_of_a_stripe_merchant_need_stripe_js_s_publishable_key(api, settings):
    api.merchant.gateway = "stripe"
    api.merchant.save()
    settings.STRIPE_API_KEY = "sk_test_configured"
    settings.STRIPE_PUBLISHABLE_KEY = ""
    assert _features(api)["hosted_pages"] is False
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_configured"
    assert _features(api)["hosted_pages"] is True


def test_capabilities_are_the_callers_own(api, other_api):
    ok(api.patch(f"{V1}/settings", {"extra_settings": {"kyc_required_above": 1}}, format="json"))
    assert _features(api)["kyc"] is True and _features(other_api)["kyc"] is False


def test_installments_bank_transfer_and_reconciliation_follow_their_configuration(api):
    BNPLSettings.objects.create(merchant=api.merchant, enabled=False)
    bank = {"bank_transfer": {"enabled": True, "iban": "DE89370400440532013000", "account_holder": "Acme GmbH"}}
    ok(api.patch(f"{V1}/settings", {"extra_settings": bank}, format="json"))
    StatementSource.objects.create(merchant=api.merchant, name="bank", kind="folder", is_active=True)
    body = ok(api.get(URL))
    assert body["payment_method_types"] == ["card", "bank_transfer"]
    assert body["features"]["installments"] is False and body["features"]["reconciliation"] is True
