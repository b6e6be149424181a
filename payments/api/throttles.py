"""Card-testing protection on the API: tokenize and confirm, per browser credential, per
client IP and per checkout session (payments.services.card_limits)."""

from rest_framework.throttling import BaseThrottle

from payments.selectors import payment_reference
from payments.services.card_limits import card_attempt_count

# Credentials a browser holds: public (a publishable key) or handed to the shopper (a
# session's client token), which is where card testing comes from. Secret-key and OAuth
# calls come from the merchant's own servers, where one key and one address carry all
# their traffic (and retries of one confirm): they are not counted.
BROWSER_CREDENTIALS = frozenset({"publishable", "client_token"})


class CardTestingThrottle(BaseThrottle):
    """Runs before the Idempotency-Key is claimed (DRF checks throttles in initial()), so a
    429 is never stored and replayed: the retry after Retry-After runs the request."""

    def allow_request(self, request, view):
        credential = request.auth
        self._wait = None
        if credential.kind not in BROWSER_CREDENTIALS:
            return True
        self._wait = card_attempt_count(
            merchant=request.user,
            credential=f"{credential.kind}:{credential.reference}",
            ip=self.get_ident(request),
            session=self._session(request, view),
        )
        return self._wait is None

    def _session(self, request, view) -> str:
        if "payment_intent_id" in view.kwargs:
            # The payable the intent pays (a checkout session), else the intent itself.
            return payment_reference(merchant_id=request.user.pk, payment_intent_id=view.kwargs["payment_intent_id"])
        return request.auth.subject or ""

    def wait(self):
        return self._wait
