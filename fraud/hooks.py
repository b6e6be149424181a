"""How fraud hands a reviewer's decision to the app that holds the money, without
importing it.

Payments registers a decider in its AppConfig.ready(): for an assessment of a payment,
`decider(merchant_id=, assessment_id=, approve=, actor=, reason=)` takes the payment's
lock, closes the review through `fraud.services.review_close` in the same transaction,
and then captures (approve) or voids (reject) at the gateway outside it. An assessment
with no payment is closed by fraud alone.
"""

_deciders = []


def register_review_decider(decider):
    if decider not in _deciders:
        _deciders.append(decider)
    return decider


def review_decider():
    return _deciders[0] if _deciders else None


# A provider's `block` for a payment already allowed: payments voids it if it is still
# only authorized. `voider(merchant_id=, payment_intent_id=, actor=) -> bool` (voided).
_voiders = []


def register_payment_voider(voider):
    if voider not in _voiders:
        _voiders.append(voider)
    return voider


def payment_voider():
    return _voiders[0] if _voiders else None
