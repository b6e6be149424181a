"""Fraud decisions on plain facts (amount, card fingerprint, e-mail, IP, device, countries).

`payment_assess` is the seam payments calls before every authorization, inside its claim
transaction with the payment locked. Scoring (documented in the README, "Fraud scoring"):
an allow-list match bypasses scoring; otherwise every active rule that matches adds its
points (capped at 100) and may force a review or a block; the score against the
merchant's thresholds (`fraud_review_threshold` 30, `fraud_block_threshold` 70) gives
ALLOWED (0-30), IN_REVIEW (31-70) or BLOCKED (71-100).
"""

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import metrics
from core.exceptions import Conflict, DomainError, InvalidStateTransition, NotFound
from core.rows import insert_rows
from fraud import geo, hooks
from fraud.cached import active_rules, fraud_profile, list_hits
from fraud.kyc import kyc_check
from fraud.limits import limits_check
from fraud.locks import lock_assessment, lock_identities, lock_profile
from fraud.models import FraudAlert, FraudAssessment, FraudRule, ListEntry, RuleAction, RuleType
from fraud.rules import EVALUATORS, Context, Facts
from fraud.selectors import ANALYST_GROUP, review_payload
from merchants.audit.services import audit_entry, audit_record
from merchants.cached import active_merchant
from merchants.events import event_emit
from merchants.models import Merchant

logger = logging.getLogger(__name__)

ALLOW = "allow"
REVIEW = "review"
BLOCK = "block"
Status = FraudAssessment.Status

SETTING_DEFAULTS = {
    "fraud_review_threshold": 30,
    "fraud_block_threshold": 70,
    "fraud_amount_threshold": 100000,
}

# The platform defaults every merchant starts with (README, "Fraud scoring").
DEFAULT_RULES = (
    {
        "name": "Block-listed e-mail, IP, card, device or country",
        "rule_type": RuleType.BLACKLIST,
        "score": 100,
        "action": RuleAction.BLOCK,
        "priority": 10,
    },
    {"name": "Amount above the merchant's limit", "rule_type": RuleType.AMOUNT_THRESHOLD, "score": 45, "priority": 20},
    {
        "name": "Many attempts with one card, e-mail or IP in 10 minutes",
        "rule_type": RuleType.VELOCITY,
        "score": 45,
        "priority": 30,
    },
    {"name": "IP, billing and card countries differ", "rule_type": RuleType.GEOLOCATION, "score": 20, "priority": 40},
    {
        "name": "Device seen with 3 or more cards in 24 h",
        "rule_type": RuleType.DEVICE_FINGERPRINT,
        "score": 30,
        "priority": 50,
    },
)


@dataclass(frozen=True)
class FraudDecision:
    action: str
    score: int = 0
    reasons: tuple[str, ...] = ()
    assessment_id: str = ""
    risk_level: str = "low"

    @property
    def allowed(self) -> bool:
        return self.action == ALLOW


def fraud_settings(merchant: Merchant) -> dict:
    extra = merchant.extra_settings or {}
    values = {}
    for key, default in SETTING_DEFAULTS.items():
        value = extra.get(key, default)
        values[key] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    if values["fraud_block_threshold"] < values["fraud_review_threshold"]:
        values["fraud_block_threshold"] = values["fraud_review_threshold"]
    four_eyes = extra.get("fraud_four_eyes_above")
    values["fraud_four_eyes_above"] = (
        four_eyes if isinstance(four_eyes, int) and not isinstance(four_eyes, bool) and four_eyes >= 0 else None
    )
    return values


# --- normalizing facts --------------------------------------------------------------


def normalize(kind: str, value) -> str:
    """The stored form of a fact, so list entries and attempts compare exactly."""
    if not isinstance(value, str):
        raise DomainError(f"{kind} must be a string.", param="value")
    value = value.strip()
    if kind == "email":
        value = value.lower()
        if "@" not in value or len(value) > 254:
            raise DomainError("value must be an e-mail address.", param="value")
    elif kind == "ip_address":
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise DomainError("value must be an IPv4 or IPv6 address.", param="value") from None
    elif kind == "country":
        value = value.upper()
        if len(value) != 2 or not value.isalpha():
            raise DomainError("value must be an ISO 3166-1 alpha-2 country code.", param="value")
    elif not value or len(value) > 128:
        raise DomainError(f"value must be a {kind.replace('_', ' ')} of 1 to 128 characters.", param="value")
    return value


def _clean_ip(ip: str) -> str:
    try:
        return str(ipaddress.ip_address((ip or "").strip())) if ip else ""
    except ValueError:
        return ""


def facts_build(
    *,
    merchant_id: int,
    amount: int,
    currency: str,
    card_fingerprint: str = "",
    email: str = "",
    ip: str = "",
    device_fingerprint: str = "",
    billing_country: str = "",
    shipping_country: str = "",
    card_country: str = "",
    card_brand: str = "",
    card_last4: str = "",
    country: str = "",
    payment_intent_id: str = "",
    reference: str = "",
) -> Facts:
    return Facts(
        merchant_id=merchant_id,
        amount=int(amount),
        currency=currency,
        card_fingerprint=(card_fingerprint or "")[:64],
        email=(email or "").strip().lower()[:254],
        ip_address=_clean_ip(ip),
        device_fingerprint=(device_fingerprint or "").strip()[:128],
        billing_country=(billing_country or country or "").upper()[:2],
        shipping_country=(shipping_country or "").upper()[:2],
        card_country=(card_country or "").upper()[:2],
        card_brand=(card_brand or "")[:20],
        card_last4=(card_last4 or "")[-4:],
        payment_intent_id=payment_intent_id,
        reference=reference,
    )


# --- rules --------------------------------------------------------------------------


def rules_ensure_defaults(*, merchant_id: int) -> None:
    """Installs the platform's default rules for a merchant, once. Called lazily (the first
    assessment or rule listing), so merchants created before fraud existed get them too;
    the profile row's lock makes two first calls install them once."""
    # Checked without a lock first (from process memory): once installed, assessments
    # must not queue on the merchant's profile row (only identities that can count each
    # other wait).
    profile = fraud_profile(merchant_id)
    if profile is not None and profile.defaults_installed_at is not None:
        return
    with transaction.atomic():
        profile = lock_profile(merchant_id)
        if profile.defaults_installed_at is not None:
            return
        for spec in DEFAULT_RULES:
            FraudRule.objects.create(
                merchant_id=merchant_id,
                conditions=dict(EVALUATORS[spec["rule_type"]].DEFAULT_CONDITIONS),
                is_default=True,
                **spec,
            )
        profile.defaults_installed_at = timezone.now()
        profile.save()


def _rule_fields(data: dict, rule_type: str) -> dict:
    out = {}
    if "name" in data:
        name = (data["name"] or "").strip() if isinstance(data["name"], str) else ""
        if not name or len(name) > 100:
            raise DomainError("name must be 1 to 100 characters.", param="name")
        out["name"] = name
    if "conditions" in data:
        out["conditions"] = EVALUATORS[rule_type].validate(data["conditions"])
    for key in ("score", "priority"):
        if key in data:
            value = data[key]
            high = 100 if key == "score" else 1000
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise DomainError(f"{key} must be an integer between 0 and {high}.", param=key)
            out[key] = value
    if "action" in data:
        if data["action"] not in RuleAction.values:
            raise DomainError(f"action must be one of {', '.join(RuleAction.values)}.", param="action")
        out["action"] = data["action"]
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            raise DomainError("is_active must be true or false.", param="is_active")
        out["is_active"] = data["is_active"]
    return out


_RULE_AUDITED = ("name", "rule_type", "conditions", "action", "score", "priority", "is_active")
_ENTRY_AUDITED = ("list", "kind", "value", "reason")
CONFIG_ACTOR = "system:fraud"


def _config_audit(row, object_type: str, action: str, *, actor: str, before: dict | None, fields) -> None:
    """A rule or list entry is the merchant's configuration: who changed it, from what to
    what, in the transaction of the change (deleted: `after` is null)."""
    audit_record(
        merchant_id=row.merchant_id,
        object_type=object_type,
        object_id=row.public_id,
        action=action,
        actor=actor or CONFIG_ACTOR,
        before=before,
        after=None if action == "deleted" else {field: getattr(row, field) for field in fields},
    )


def rule_create(*, merchant_id: int, data: dict, actor: str = CONFIG_ACTOR) -> FraudRule:
    rules_ensure_defaults(merchant_id=merchant_id)
    rule_type = data.get("rule_type")
    if rule_type not in EVALUATORS:
        raise DomainError(f"rule_type must be one of {', '.join(EVALUATORS)}.", param="rule_type")
    for required in ("name", "conditions"):
        if required not in data:
            raise DomainError(f"{required} is required.", param=required)
    fields = _rule_fields(data, rule_type)
    with transaction.atomic():
        rule = FraudRule.objects.create(merchant_id=merchant_id, rule_type=rule_type, **fields)
        _config_audit(rule, "fraud_rule", "created", actor=actor, before=None, fields=_RULE_AUDITED)
    return rule


def rule_update(*, merchant_id: int, rule_id: str, data: dict, actor: str = CONFIG_ACTOR) -> FraudRule:
    if "rule_type" in data:
        raise DomainError("rule_type cannot change; create another rule.", param="rule_type")
    with transaction.atomic():
        rule = FraudRule.objects.select_for_update().filter(merchant_id=merchant_id, public_id=rule_id).first()
        if rule is None:
            raise NotFound("No such fraud rule.", param="id")
        before = {field: getattr(rule, field) for field in _RULE_AUDITED}
        for field, value in _rule_fields(data, rule.rule_type).items():
            setattr(rule, field, value)
        rule.save()
        _config_audit(rule, "fraud_rule", "updated", actor=actor, before=before, fields=_RULE_AUDITED)
    return rule


def rule_delete(*, merchant_id: int, rule_id: str, actor: str = CONFIG_ACTOR) -> None:
    with transaction.atomic():
        rule = FraudRule.objects.select_for_update().filter(merchant_id=merchant_id, public_id=rule_id).first()
        if rule is None:
            raise NotFound("No such fraud rule.", param="id")
        before = {field: getattr(rule, field) for field in _RULE_AUDITED}
        rule.delete()
        _config_audit(rule, "fraud_rule", "deleted", actor=actor, before=before, fields=_RULE_AUDITED)


# --- lists --------------------------------------------------------------------------


def list_entry_create(*, merchant_id: int, list: str, kind: str, value, reason: str = "", actor: str = ""):
    """Adds an entry; the same entry again returns the existing one (idempotent)."""
    if list not in ListEntry.List.values:
        raise DomainError("list must be block or allow.", param="list")
    if kind not in ListEntry.Kind.values:
        raise DomainError(f"kind must be one of {', '.join(ListEntry.Kind.values)}.", param="kind")
    value = normalize(kind, value)
    try:
        with transaction.atomic():
            entry = ListEntry.objects.create(
                merchant_id=merchant_id, list=list, kind=kind, value=value, reason=reason[:200], created_by=actor
            )
            _config_audit(entry, "fraud_list_entry", "created", actor=actor, before=None, fields=_ENTRY_AUDITED)
            return entry
    except IntegrityError:
        return ListEntry.objects.get(merchant_id=merchant_id, list=list, kind=kind, value=value)


def list_entry_delete(*, merchant_id: int, entry_id: str, actor: str = CONFIG_ACTOR) -> None:
    with transaction.atomic():
        entry = ListEntry.objects.select_for_update().filter(merchant_id=merchant_id, public_id=entry_id).first()
        if entry is None:
            raise NotFound("No such list entry.", param="id")
        before = {field: getattr(entry, field) for field in _ENTRY_AUDITED}
        entry.delete()
        _config_audit(entry, "fraud_list_entry", "deleted", actor=actor, before=before, fields=_ENTRY_AUDITED)


def _list_hits(facts: Facts) -> dict[str, list]:
    """{list: the (kind, value) facts on it}, both lists at once."""
    pairs = {
        ("email", facts.email),
        ("ip_address", facts.ip_address),
        ("card_fingerprint", facts.card_fingerprint),
        ("device_fingerprint", facts.device_fingerprint),
    }
    pairs |= {("country", c) for c in (facts.billing_country, facts.shipping_country, facts.card_country) if c}
    return list_hits(facts.merchant_id, {(kind, value) for kind, value in pairs if value})


# --- scoring ------------------------------------------------------------------------


def _level(score: int, cfg: dict) -> tuple[str, str]:
    if score > cfg["fraud_block_threshold"]:
        return Status.BLOCKED, FraudAssessment.RiskLevel.HIGH
    if score > cfg["fraud_review_threshold"]:
        return Status.IN_REVIEW, FraudAssessment.RiskLevel.MEDIUM
    return Status.ALLOWED, FraudAssessment.RiskLevel.LOW


def _score(facts: Facts, cfg: dict, ip_country: str) -> tuple[int, str, list, bool]:
    """(score, status, rule matches, allow-listed) for the facts; reads only."""
    hits = _list_hits(facts)
    allowed = hits[ListEntry.List.ALLOW]
    if allowed:
        matches = [
            {
                "rule": "allow_list",
                "rule_type": "allow_list",
                "points": 0,
                "reason": f"on the allow list ({', '.join(k for k, _ in allowed)})",
            }
        ]
        return 0, Status.ALLOWED, matches, True
    ctx = Context(
        facts=facts,
        now=timezone.now(),
        settings=cfg,
        ip_country=ip_country,
        blocked=hits[ListEntry.List.BLOCK],
    )
    total, forced, matches = 0, Status.ALLOWED, []
    for rule in active_rules(facts.merchant_id):
        try:
            hit = EVALUATORS[rule.rule_type].evaluate(rule.conditions, rule.score, ctx)
        except (KeyError, TypeError, ValueError):
            # A rule stored before its type's validation tightened: skipped, and said so.
            logger.warning("fraud rule %s has unusable conditions", rule.public_id)
            continue
        if hit is None:
            continue
        total += hit.points
        matches.append(
            {
                "rule": rule.public_id,
                "name": rule.name,
                "rule_type": rule.rule_type,
                "action": rule.action,
                "points": hit.points,
                "reason": hit.reason,
                **hit.detail,
            }
        )
        if rule.action == RuleAction.BLOCK:
            forced = Status.BLOCKED
        elif rule.action == RuleAction.REVIEW and forced != Status.BLOCKED:
            forced = Status.IN_REVIEW
    score = min(total, 100)
    status, _ = _level(score, cfg)
    order = [Status.ALLOWED, Status.IN_REVIEW, Status.BLOCKED]
    return score, max(status, forced, key=order.index), matches, False


def _assess(facts: Facts, *, paying: bool, actor: str) -> FraudAssessment:
    """Scores the facts and stores the assessment; the caller's transaction is open."""
    merchant = active_merchant(facts.merchant_id) or Merchant.objects.get(pk=facts.merchant_id)
    rules_ensure_defaults(merchant_id=facts.merchant_id)
    cfg = fraud_settings(merchant)
    if paying:
        kyc_check(merchant=merchant, reference=facts.reference, amount=facts.amount)
        limits_check(facts)
        lock_identities(
            facts.merchant_id,
            [(key, facts.value(key)) for key in ("card_fingerprint", "email", "ip_address", "device_fingerprint")],
        )
    ip_country = geo.ip_country(facts.ip_address)
    score, status, matches, allow_listed = _score(facts, cfg, ip_country)
    _, level = _level(score, cfg)
    if status == Status.BLOCKED:
        level = FraudAssessment.RiskLevel.HIGH
    elif status == Status.IN_REVIEW and level == FraudAssessment.RiskLevel.LOW:
        level = FraudAssessment.RiskLevel.MEDIUM
    assessment = FraudAssessment(
        merchant_id=facts.merchant_id,
        payment_intent_id=facts.payment_intent_id if paying else "",
        reference=facts.reference,
        amount=facts.amount,
        currency=facts.currency,
        email=facts.email,
        ip_address=facts.ip_address or None,
        card_fingerprint=facts.card_fingerprint,
        device_fingerprint=facts.device_fingerprint,
        billing_country=facts.billing_country,
        shipping_country=facts.shipping_country,
        card_country=facts.card_country,
        card_brand=facts.card_brand,
        card_last4=facts.card_last4,
        geolocation={"ip_country": ip_country} if ip_country else {},
        risk_score=score,
        risk_level=level,
        rule_matches=matches,
        allow_listed=allow_listed,
    )
    {Status.ALLOWED: assessment.allow, Status.IN_REVIEW: assessment.hold_for_review, Status.BLOCKED: assessment.block}[
        status
    ]()
    # The assessment and its audit row in one statement (nothing saves this instance again).
    insert_rows([assessment], [_audit_entry(assessment, f"decision.{assessment.status}", actor=actor, before=None)])
    if paying and status == Status.BLOCKED:
        _alert(assessment, FraudAlert.Kind.BLOCKED, f"Payment blocked (score {score}).")
    elif paying and status == Status.IN_REVIEW:
        _alert(assessment, FraudAlert.Kind.REVIEW_OPENED, f"Payment held for review (score {score}).")
        event_emit(
            merchant_id=assessment.merchant_id,
            type="review.opened",
            payment_intent_id=assessment.payment_intent_id,
            correlation_id=assessment.reference,
            data={"review": review_payload(assessment)},
        )
    logger.info("fraud assessment %s: %s score %s by %s", assessment.public_id, status, score, actor)
    if paying:
        metrics.count(metrics.FRAUD_DECISIONS, decision=_DECISION_LABEL[status])
    return assessment


def _audit_view(assessment: FraudAssessment) -> dict:
    return {
        "status": assessment.status,
        "risk_score": assessment.risk_score,
        "risk_level": assessment.risk_level,
        "decision": assessment.decision or None,
        "reviewed_by": assessment.reviewed_by or None,
        "payment_intent_id": assessment.payment_intent_id or None,
        "rules": [match.get("rule") for match in assessment.rule_matches if isinstance(match, dict)],
    }


def _audit_entry(assessment: FraudAssessment, action: str, *, actor: str, before: dict | None, data=None):
    return audit_entry(
        merchant_id=assessment.merchant_id,
        object_type="fraud_assessment",
        object_id=assessment.public_id,
        action=action,
        actor=actor,
        before=before,
        after=_audit_view(assessment),
        data=data,
    )


def _audit(assessment: FraudAssessment, action: str, *, actor: str, before: dict | None, data=None) -> None:
    insert_rows([_audit_entry(assessment, action, actor=actor, before=before, data=data)])


_DECISION_LABEL = {Status.ALLOWED: ALLOW, Status.IN_REVIEW: REVIEW, Status.BLOCKED: BLOCK}


def _decision(assessment: FraudAssessment) -> FraudDecision:
    action = _DECISION_LABEL[assessment.status]
    return FraudDecision(
        action=action,
        score=assessment.risk_score,
        reasons=tuple(match["reason"] for match in assessment.rule_matches),
        assessment_id=assessment.public_id,
        risk_level=assessment.risk_level,
    )


def payment_assess(
    *,
    merchant_id: int,
    amount: int,
    currency: str,
    card_fingerprint: str,
    email: str = "",
    ip: str = "",
    country: str = "",
    device_fingerprint: str = "",
    billing_country: str = "",
    shipping_country: str = "",
    card_country: str = "",
    card_brand: str = "",
    card_last4: str = "",
    payment_intent_id: str = "",
    reference: str = "",
    actor: str = "system",
) -> FraudDecision:
    """Scores a payment about to be authorized and stores the assessment.

    Must run inside the caller's transaction, with the payment locked: the assessment,
    its alert and `review.opened` commit or roll back with the attempt. Takes advisory
    locks per card/e-mail/IP/device so concurrent attempts count each other. Never does
    network I/O (the GeoIP database is a local file).
    """
    facts = facts_build(
        merchant_id=merchant_id,
        amount=amount,
        currency=currency,
        card_fingerprint=card_fingerprint,
        email=email,
        ip=ip,
        device_fingerprint=device_fingerprint,
        billing_country=billing_country,
        shipping_country=shipping_country,
        card_country=card_country,
        card_brand=card_brand,
        card_last4=card_last4,
        country=country,
        payment_intent_id=payment_intent_id or "-",
        reference=reference,
    )
    return _decision(_assess(facts, paying=True, actor=actor))


def assessment_score(*, facts: Facts, actor: str) -> FraudAssessment:
    """Scores facts without paying (stored, never queued for review, no alert)."""
    with transaction.atomic():
        return _assess(facts, paying=False, actor=actor)


# --- reviews ------------------------------------------------------------------------


def _alert(assessment: FraudAssessment, kind: str, message: str) -> FraudAlert:
    alert = FraudAlert.objects.create(
        merchant_id=assessment.merchant_id, assessment=assessment, kind=kind, message=message
    )
    if kind != FraudAlert.Kind.REVIEW_CLOSED:
        transaction.on_commit(lambda: _email_analysts(alert.pk))
    return alert


def _email_analysts(alert_pk: int) -> None:
    alert = FraudAlert.objects.select_related("assessment").filter(pk=alert_pk).first()
    if alert is None:
        return
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=ANALYST_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    try:
        send_mail(
            f"[fraud] {alert.get_kind_display()}: {alert.assessment.public_id}",
            f"{alert.message}\nAssessment {alert.assessment.public_id}, payment {alert.assessment.payment_intent_id}.",
            django_settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except Exception:
        logger.exception("could not e-mail fraud alert %s", alert.public_id)


def review_close(
    *, merchant_id: int, assessment_id: str, approve: bool, actor: str, reason: str = "", lapsed: bool = False
) -> FraudAssessment:
    """Closes an open review: IN_REVIEW → ALLOWED (approved) or BLOCKED (refused/lapsed).

    Runs in the caller's transaction (payments holds the payment's lock first, so the lock
    order is payment → assessment, as in confirm). Idempotent: a review already closed the
    same way is returned as it is. Raises NotFound (404), InvalidStateTransition (409) for
    a review closed the other way or an assessment that never was a review.
    """
    assessment = lock_assessment(merchant_id=merchant_id, assessment_id=assessment_id)
    if assessment is None:
        raise NotFound("No such review.", param="id")
    wanted = Status.ALLOWED if approve else Status.BLOCKED
    if assessment.status != Status.IN_REVIEW:
        if assessment.decision and assessment.status == wanted:
            return assessment
        raise InvalidStateTransition(
            f"This review is not open (the assessment is {assessment.status}).",
            explain=f"approve or reject needs 'in_review', not '{assessment.status}'",
        )
    now = timezone.now()
    before = _audit_view(assessment)
    if approve:
        assessment.approve(by=actor, at=now, reason=reason[:500])
    else:
        decision = FraudAssessment.Decision.LAPSED if lapsed else FraudAssessment.Decision.REFUSED
        assessment.reject(by=actor, at=now, reason=reason[:500], decision=decision)
    assessment.version += 1
    assessment.save()
    _audit(assessment, f"review.{assessment.decision}", actor=actor, before=before, data={"reason": reason[:500]})
    _alert(assessment, FraudAlert.Kind.REVIEW_CLOSED, f"Review {assessment.decision} by {actor}.")
    event_emit(
        merchant_id=merchant_id,
        type="review.closed",
        payment_intent_id=assessment.payment_intent_id,
        correlation_id=assessment.reference,
        data={"review": review_payload(assessment)},
    )
    return assessment


def _first_of_two_approvals(assessment: FraudAssessment, actor: str) -> bool:
    """Four-eyes: records a first staff approval and returns True (the review stays open),
    or returns False when a second, different analyst may now close it."""
    with transaction.atomic():
        locked = lock_assessment(merchant_id=assessment.merchant_id, assessment_id=assessment.public_id)
        if locked.status != Status.IN_REVIEW:
            return False  # review_close answers (idempotent or 409)
        if not locked.first_approved_by:
            locked.first_approved_by = actor
            locked.save(update_fields=["first_approved_by", "updated_at"])
            _alert(locked, FraudAlert.Kind.REVIEW_OPENED, f"First approval by {actor}; a second analyst must approve.")
            return True
        if locked.first_approved_by == actor:
            raise Conflict(
                "This amount needs a second analyst's approval.",
                code="four_eyes_required",
                explain=f"first approved by {actor}",
            )
    return False


def review_decide(
    *, merchant_id: int, assessment_id: str, approve: bool, actor: str, reason: str = "", four_eyes: bool = False
):
    """The one entry for a reviewer's decision (API, admin, fraud provider webhook).

    A review of a payment goes through the decider payments registered (it locks the
    payment, closes the review, then captures or voids outside the transaction); a review
    without a payment is closed here. `four_eyes` (staff decisions): above the merchant's
    `fraud_four_eyes_above` an approval needs two different analysts; the first is recorded
    and the review stays open (409 four_eyes_required if the same analyst approves again).
    Returns the assessment.
    """
    assessment = FraudAssessment.objects.filter(merchant_id=merchant_id, public_id=assessment_id).first()
    if assessment is None:
        raise NotFound("No such review.", param="id")
    if approve and four_eyes:
        limit = fraud_settings(assessment.merchant)["fraud_four_eyes_above"]
        if limit is not None and assessment.amount > limit and _first_of_two_approvals(assessment, actor):
            return FraudAssessment.objects.get(pk=assessment.pk)
    decider = hooks.review_decider()
    if assessment.payment_intent_id and decider is not None:
        decider(merchant_id=merchant_id, assessment_id=assessment_id, approve=approve, actor=actor, reason=reason)
    else:
        with transaction.atomic():
            review_close(
                merchant_id=merchant_id, assessment_id=assessment_id, approve=approve, actor=actor, reason=reason
            )
    return FraudAssessment.objects.get(pk=assessment.pk)


def review_assign(*, merchant_id: int, reference: str, assignee: str) -> FraudAssessment:
    """Puts the open review of a payment (by the caller's reference, e.g. a session id)
    in a staff user's queue. Raises NotFound (404) when there is no open review,
    DomainError (400) for an assignee who is not active staff."""
    user = (
        get_user_model().objects.filter(username=assignee, is_staff=True, is_active=True).first()
        if isinstance(assignee, str)
        else None
    )
    if user is None:
        raise DomainError("assignee must be the username of an active staff user.", param="assignee")
    with transaction.atomic():
        assessment = (
            FraudAssessment.objects.select_for_update()
            .filter(merchant_id=merchant_id, reference=reference, status=Status.IN_REVIEW)
            .exclude(payment_intent_id="")
            .order_by("-created_at")
            .first()
        )
        if assessment is None:
            raise NotFound("This session has no open review.", param="checkout_id")
        assessment.assignee = user
        assessment.save(update_fields=["assignee", "updated_at"])
    return assessment
