"""Each rule type alone and together, the thresholds at their edges, the lists."""

import pytest

from fraud import geo
from fraud.models import FraudAssessment, FraudRule, ListEntry
from fraud.services import (
    ALLOW,
    BLOCK,
    REVIEW,
    list_entry_create,
    list_entry_delete,
    rule_create,
    rules_ensure_defaults,
)
from merchants.services import merchant_settings_update
from tests.factories import merchant_with_keys
from tests.fraud.helpers import assess, build_geoip_database, only_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(db):
    return merchant_with_keys("Fraudless").merchant


def test_defaults_are_installed_once_and_a_small_payment_is_allowed(merchant):
    decision = assess(merchant, email="a@example.com", ip="127.0.0.1")
    assert decision.action == ALLOW and decision.score == 0 and decision.reasons == ()
    rules = FraudRule.objects.filter(merchant=merchant)
    assert sorted(rules.values_list("rule_type", flat=True)) == sorted(
        ["blacklist", "amount_threshold", "velocity", "geolocation", "device_fingerprint"]
    )
    FraudRule.objects.filter(merchant=merchant, rule_type="geolocation").delete()
    rules_ensure_defaults(merchant_id=merchant.pk)
    assert rules.count() == 4, "a deleted default must not come back"
    assessment = FraudAssessment.objects.get(public_id=decision.assessment_id)
    assert (assessment.status, assessment.risk_level, assessment.ip_address) == ("allowed", "low", "127.0.0.1")


def test_amount_above_the_merchant_threshold_adds_45_and_holds_for_review(merchant):
    assert assess(merchant, amount=100000).score == 0  # at the limit is not above it
    decision = assess(merchant, amount=100001)
    assert (decision.action, decision.score) == (REVIEW, 45)
    assert decision.reasons == ("amount $1,000.01 is above $1,000.00",)
    merchant_settings_update(merchant_id=merchant.pk, changes={"extra_settings": {"fraud_amount_threshold": 200000}})
    assert assess(merchant, amount=150000, card_fingerprint="fp_other").score == 0


def test_velocity_five_attempts_add_45_and_ten_add_80(merchant):
    scores = [assess(merchant, email="burst@example.com", card_fingerprint=f"fp_{n}").score for n in range(10)]
    assert scores == [0, 0, 0, 0, 45, 45, 45, 45, 45, 80]
    last = FraudAssessment.objects.order_by("-id").first()
    assert last.status == "blocked"
    assert last.rule_matches[0]["reason"] == "10 attempts with this e-mail in 10 minutes"
    # Another merchant's attempts never count.
    other = merchant_with_keys("Elsewhere").merchant
    assert assess(other, email="burst@example.com").score == 0


def test_velocity_ignores_scores_asked_without_paying(merchant):
    from fraud.services import assessment_score, facts_build

    for _ in range(6):
        assessment_score(
            facts=facts_build(merchant_id=merchant.pk, amount=1000, currency="USD", ip="10.0.0.9"), actor="test"
        )
    assert assess(merchant, ip="10.0.0.9").score == 0


def test_device_with_three_cards_in_a_day_adds_30(merchant):
    assert assess(merchant, device_fingerprint="dev-1", card_fingerprint="c1").score == 0
    assert assess(merchant, device_fingerprint="dev-1", card_fingerprint="c2").score == 0
    decision = assess(merchant, device_fingerprint="dev-1", card_fingerprint="c3")
    assert (decision.action, decision.score) == (ALLOW, 30)
    assert decision.reasons == ("3 cards on this device in 24 h",)


def test_device_seen_in_fraud(merchant):
    only_rule(
        merchant,
        name="fraud device",
        rule_type="device_fingerprint",
        score=50,
        conditions={"window_hours": 24, "seen_in_fraud": True},
    )
    list_entry_create(merchant_id=merchant.pk, list="block", kind="email", value="bad@example.com")
    FraudRule.objects.create(
        merchant=merchant, name="bl", rule_type="blacklist", score=100, action="block", conditions={"kinds": ["email"]}
    )
    assert assess(merchant, device_fingerprint="dev-x", email="bad@example.com").action == BLOCK
    decision = assess(merchant, device_fingerprint="dev-x", email="fine@example.com")
    assert (decision.score, decision.reasons) == (50, ("this device was seen in a blocked payment",))


def test_country_mismatch_adds_20_and_high_risk_countries(merchant):
    assert assess(merchant, billing_country="FR", card_country="FR").score == 0
    decision = assess(merchant, billing_country="FR", card_country="US", card_fingerprint="c9")
    assert decision.score == 20 and "countries do not match" in decision.reasons[0]
    rule = FraudRule.objects.get(merchant=merchant, rule_type="geolocation")
    rule.conditions = {"compare": ["ip", "billing", "card"], "high_risk_countries": ["KP"]}
    rule.save()
    assert assess(merchant, billing_country="KP", card_fingerprint="c10").reasons == ("high-risk country KP",)


def test_ip_country_is_read_from_a_maxmind_database(merchant, tmp_path, settings):
    settings.GEOIP_DATABASE = build_geoip_database(tmp_path / "country.mmdb", {"81.2.69.0/24": "GB"})
    geo._reader.cache_clear()
    try:
        assert geo.ip_country("81.2.69.160") == "GB"
        assert geo.ip_country("127.0.0.1") == ""  # never looked up
        decision = assess(merchant, ip="81.2.69.160", billing_country="US")
        assert decision.score == 20 and "ip GB" in decision.reasons[0]
        assessment = FraudAssessment.objects.get(public_id=decision.assessment_id)
        assert assessment.geolocation == {"ip_country": "GB"}
        assert assess(merchant, ip="81.2.69.161", billing_country="GB", card_fingerprint="x").score == 0
    finally:
        geo._reader.cache_clear()


def test_block_list_scores_100_and_blocks(merchant):
    for kind, value, fact in [
        ("email", " Fraud@Example.com ", {"email": "fraud@example.com"}),
        ("ip_address", "10.1.2.3", {"ip": "10.1.2.3"}),
        ("card_fingerprint", "fp_stolen", {"card_fingerprint": "fp_stolen"}),
        ("device_fingerprint", "dev-bad", {"device_fingerprint": "dev-bad"}),
        ("country", "kp", {"shipping_country": "KP"}),
    ]:
        entry = list_entry_create(merchant_id=merchant.pk, list="block", kind=kind, value=value)
        decision = assess(merchant, **({"card_fingerprint": "fp_clean"} | fact))
        assert (decision.action, decision.score) == (BLOCK, 100), kind
        assert decision.reasons == (f"on the block list ({kind})",)
        entry.delete()


def test_allow_list_bypasses_scoring(merchant):
    list_entry_create(merchant_id=merchant.pk, list="block", kind="email", value="vip@example.com")
    list_entry_create(merchant_id=merchant.pk, list="allow", kind="email", value="VIP@example.com")
    decision = assess(merchant, email="vip@example.com", amount=10**7)
    assert (decision.action, decision.score) == (ALLOW, 0)
    assessment = FraudAssessment.objects.get(public_id=decision.assessment_id)
    assert assessment.allow_listed and assessment.rule_matches[0]["rule"] == "allow_list"


def test_rules_combine_and_cap_at_100(merchant):
    list_entry_create(merchant_id=merchant.pk, list="block", kind="country", value="FR")
    decision = assess(merchant, amount=500000, billing_country="FR", card_country="US")
    assert decision.score == 100  # 100 + 45 + 20, capped
    assert len(decision.reasons) == 3
    decision = assess(merchant, amount=500000, billing_country="DE", card_country="US", card_fingerprint="z")
    assert (decision.action, decision.score) == (REVIEW, 65)  # 45 + 20


@pytest.mark.parametrize(
    "points, action, level",
    [(30, ALLOW, "low"), (31, REVIEW, "medium"), (70, REVIEW, "medium"), (71, BLOCK, "high")],
)
def test_thresholds_at_their_edges(merchant, points, action, level):
    only_rule(merchant, name="edge", rule_type="amount_threshold", score=points, conditions={"amount_gt": 0})
    decision = assess(merchant)
    assert (decision.score, decision.action, decision.risk_level) == (points, action, level)


def test_a_change_to_the_lists_or_rules_scores_the_next_payment(merchant):
    # Each process keeps the merchant's fraud setup in memory (fraud/cached.py): a change
    # through the services outdates it before the next score.
    rules_ensure_defaults(merchant_id=merchant.pk)
    assert assess(merchant, email="eve@example.com").action == ALLOW
    entry = list_entry_create(merchant_id=merchant.pk, list="block", kind="email", value="eve@example.com")
    assert assess(merchant, email="eve@example.com").action == BLOCK
    list_entry_delete(merchant_id=merchant.pk, entry_id=entry.public_id)
    assert assess(merchant, email="eve@example.com").action == ALLOW
    rule_create(
        merchant_id=merchant.pk,
        data={"name": "all", "rule_type": "amount_threshold", "score": 0, "action": "block",
              "conditions": {"amount_gt": 0}},
    )  # fmt: skip
    assert assess(merchant, email="eve@example.com").action == BLOCK


def test_thresholds_are_merchant_settings(merchant):
    only_rule(merchant, name="edge", rule_type="amount_threshold", score=50, conditions={"amount_gt": 0})
    merchant_settings_update(
        merchant_id=merchant.pk,
        changes={"extra_settings": {"fraud_review_threshold": 50, "fraud_block_threshold": 60}},
    )
    assert assess(merchant).action == ALLOW
    FraudRule.objects.filter(merchant=merchant, name="edge").update(score=61)
    assert assess(merchant).action == BLOCK


def test_rule_actions_force_review_or_block_whatever_the_score(merchant):
    only_rule(
        merchant,
        name="review big",
        rule_type="amount_threshold",
        score=0,
        action="review",
        conditions={"amount_gt": 5000},
    )
    assert assess(merchant, amount=5000).action == ALLOW
    assert assess(merchant, amount=5001).action == REVIEW


@pytest.mark.parametrize(
    "rule_type, conditions, param",
    [
        ("velocity", {"keys": ["phone"], "window_minutes": 10, "tiers": [{"min_count": 5, "score": 45}]}, "keys"),
        (
            "velocity",
            {"keys": ["email"], "window_minutes": 0, "tiers": [{"min_count": 5, "score": 45}]},
            "window_minutes",
        ),
        ("velocity", {"keys": ["email"], "window_minutes": 5, "tiers": [{"min_count": 5, "score": 101}]}, "score"),
        ("amount_threshold", {"amount_gt": 10.5}, "amount_gt"),
        ("amount_threshold", {"amount_gt": True}, "amount_gt"),
        ("amount_threshold", {"limit": 5}, "limit"),
        ("geolocation", {"high_risk_countries": ["France"]}, "high_risk_countries"),
        ("device_fingerprint", {"window_hours": 24}, "min_cards"),
        ("blacklist", {"kinds": []}, "kinds"),
        ("blacklist", "email", None),
    ],
)
def test_conditions_are_validated_per_type(merchant, rule_type, conditions, param):
    from core.exceptions import DomainError

    with pytest.raises(DomainError) as error:
        rule_create(merchant_id=merchant.pk, data={"name": "x", "rule_type": rule_type, "conditions": conditions})
    assert error.value.code == "invalid_conditions"
    assert error.value.explain == param
    assert not FraudRule.objects.filter(merchant=merchant, name="x").exists()


def test_list_values_are_normalized_and_checked(merchant):
    from core.exceptions import DomainError

    entry = list_entry_create(merchant_id=merchant.pk, list="block", kind="ip_address", value="::ffff:10.0.0.1")
    again = list_entry_create(merchant_id=merchant.pk, list="block", kind="ip_address", value="::ffff:10.0.0.1")
    assert entry.pk == again.pk and ListEntry.objects.filter(merchant=merchant).count() == 1
    for kind, value in [("ip_address", "999.1.1.1"), ("email", "nope"), ("country", "FRA"), ("colour", "red")]:
        with pytest.raises(DomainError):
            list_entry_create(merchant_id=merchant.pk, list="block", kind=kind, value=value)
