"""One small evaluator per rule type. Each validates its `conditions` (raising a 400
that names the bad key) and, given the facts, says whether the rule matched, with how
many points and why in words a reviewer can read."""

from fraud.rules import amount, blacklist, device, geolocation, velocity
from fraud.rules.base import Context, Facts, Hit

EVALUATORS = {
    "velocity": velocity,
    "geolocation": geolocation,
    "device_fingerprint": device,
    "amount_threshold": amount,
    "blacklist": blacklist,
}

__all__ = ["EVALUATORS", "Context", "Facts", "Hit"]
