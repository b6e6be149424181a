"""Checkout's side of fraud: scoring a session's facts without paying, assigning its review.

Fraud knows no sessions; checkout hands it the facts (amount, e-mail, countries) and the
session id as the reference.
"""

from checkout.selectors import session_get
from checkout.services.payment import session_risk_facts
from core.exceptions import Conflict
from fraud.kyc import kyc_start
from fraud.services import assessment_score, facts_build, review_assign
from payments.selectors import payment_method_get


def session_fraud_score(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    ip: str = "",
    device_fingerprint: str = "",
    payment_method_id: str = "",
):
    """Scores the session as it stands (stored as an assessment; no review, no alert).
    Raises NotFound (404), Conflict calculation_missing (409) before totals exist."""
    session = session_get(merchant_id=merchant_id, checkout_id=checkout_id)
    calc = session.current_calculation
    if calc is None:
        raise Conflict("Calculate the session's totals before scoring it.", code="calculation_missing")
    card = (
        payment_method_get(merchant_id=merchant_id, payment_method_id=payment_method_id).fingerprint
        if payment_method_id
        else ""
    )
    payer = session_risk_facts(merchant_id=merchant_id, reference=session.public_id)
    facts = facts_build(
        merchant_id=merchant_id,
        amount=calc.grand_total,
        currency=calc.currency,
        card_fingerprint=card,
        email=payer.get("email", ""),
        ip=ip,
        device_fingerprint=device_fingerprint,
        billing_country=payer.get("billing_country", ""),
        shipping_country=payer.get("shipping_country", ""),
        reference=session.public_id,
    )
    return assessment_score(facts=facts, actor=actor)


def session_review_assign(*, merchant_id: int, checkout_id: str, assignee: str):
    """Puts the session's open review in a staff user's queue. Raises NotFound (404) for
    another merchant's session or one with no open review, 400 for an unknown assignee."""
    session = session_get(merchant_id=merchant_id, checkout_id=checkout_id)
    return review_assign(merchant_id=merchant_id, reference=session.public_id, assignee=assignee)


def session_kyc_start(*, merchant_id: int, checkout_id: str):
    """Starts (or returns) the KYC verification of the session's payer. Raises NotFound."""
    session = session_get(merchant_id=merchant_id, checkout_id=checkout_id)
    return kyc_start(merchant_id=merchant_id, reference=session.public_id)
