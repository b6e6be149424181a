"""Fraud decisions on plain facts (amount, card fingerprint, e-mail, IP, country).

`payment_assess` is the seam payments calls before every authorization. Today it allows
everything; the rules engine (velocity, geography, block lists, review) fills it later
without payments changing.
"""

from dataclasses import dataclass

ALLOW = "allow"
REVIEW = "review"
BLOCK = "block"


@dataclass(frozen=True)
class FraudDecision:
    action: str
    score: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.action == ALLOW


def payment_assess(
    *,
    merchant_id: int,
    amount: int,
    currency: str,
    card_fingerprint: str,
    email: str = "",
    ip: str = "",
    country: str = "",
) -> FraudDecision:
    """Scores a payment about to be authorized. Reads only; never blocks on the network."""
    return FraudDecision(action=ALLOW, score=0)
