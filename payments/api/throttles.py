"""Card-testing protection: tokenize and confirm are rate limited per credential, per
client IP and per checkout session, with limits from the merchant's settings."""

from rest_framework.throttling import BaseThrottle

from core.ratelimit import rate_limit_hit
from merchants.selectors import merchant_card_rate_limits
from payments.selectors import payment_reference

# Credentials a browser holds: public (a publishable key) or handed to the shopper (a
# session's client token). Secret-key calls come from the merchant's own servers, where
# one key and one address carry all their traffic: only the per-session limit applies.
BROWSER_CREDENTIALS = frozenset({"publishable", "client_token"})


class CardTestingThrottle(BaseThrottle):
    """Runs before the Idempotency-Key is claimed (DRF checks throttles in initial()), so a
    429 is never stored and replayed: the retry after Retry-After runs the request."""

    def allow_request(self, request, view):
        merchant, credential = request.user, request.auth
        limits = merchant_card_rate_limits(merchant)
        checks = []
        if credential.kind in BROWSER_CREDENTIALS:
            checks.append((f"key:{credential.kind}:{credential.reference}", limits.per_key))
            checks.append((f"ip:{self.get_ident(request)}", limits.per_ip))
        session = self._session(request, view)
        if session:
            checks.append((f"session:{session}", limits.per_session))
        waits = [
            rate_limit_hit(key=f"card:{merchant.pk}:{key}", limit=limit, window_seconds=limits.window_seconds)
            for key, limit in checks
        ]
        self._wait = max((wait for wait in waits if wait), default=None)
        return self._wait is None

    def _session(self, request, view) -> str:
        if "payment_intent_id" in view.kwargs:
            # The payable the intent pays (a checkout session), else the intent itself.
            return payment_reference(merchant_id=request.user.pk, payment_intent_id=view.kwargs["payment_intent_id"])
        return request.auth.subject or ""

    def wait(self):
        return self._wait
