"""The Stripe gateway on the official SDK: PaymentIntents, refunds, signed webhooks.

One Stripe PaymentIntent per attempt, created and confirmed in one call under the
attempt's idempotency key. Every SDK error is translated here: card errors become a
FAILED result (the service records them, then raises the matching 402), transport and
server errors become GatewayUnavailable (502/503).
"""

import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings

from core.exceptions import Conflict, DomainError, NotFound
from payments.exceptions import CardNumbersRefused, GatewayUnavailable, WebhookSignatureInvalid
from payments.gateways import base
from payments.gateways.translate import translate_failure

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
PAGE_LIMIT = 100
# Kept from Stripe's answers in our event log; client_secret and the rest stay at Stripe.
_KEPT_FIELDS = ("id", "object", "status", "amount", "amount_received", "amount_capturable", "currency", "metadata")


def _as_dict(value) -> dict:
    # SDK 16: a StripeObject is not a dict.
    if value is None:
        return {}
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def _kept(data: dict) -> dict:
    kept = {key: data.get(key) for key in _KEPT_FIELDS if key in data}
    error = data.get("last_payment_error")
    if error:
        kept["last_payment_error"] = {k: error.get(k) for k in ("code", "decline_code", "message")}
    return kept


def result_from_intent(intent: dict, *, failure: tuple[str, str] | None = None) -> base.GatewayResult:
    """A Stripe PaymentIntent (as a dict) → our result."""
    status = intent.get("status")
    reference = intent.get("id", "")
    raw = _kept(intent)
    if failure is not None or (status == "requires_payment_method" and intent.get("last_payment_error")):
        error = intent.get("last_payment_error") or {}
        code, decline = failure or translate_failure(error.get("code"), error.get("decline_code"))
        return base.GatewayResult(
            status=base.FAILED, reference=reference, failure_code=code, decline_code=decline, raw=raw
        )
    if status == "succeeded":
        # Without amount_received (some servers omit it) the amount taken is not known here;
        # the caller falls back to what it asked for.
        amount = intent.get("amount_received")
        return base.GatewayResult(status=base.SUCCEEDED, reference=reference, amount=amount, raw=raw)
    if status == "requires_capture":
        amount = intent.get("amount_capturable") or intent.get("amount")
        return base.GatewayResult(status=base.AUTHORIZED, reference=reference, amount=amount, raw=raw)
    if status == "requires_action":
        next_action = intent.get("next_action") or {}
        kind = next_action.get("type", "")
        if kind == "redirect_to_url":
            url = (next_action.get("redirect_to_url") or {}).get("url", "")
            action = {"type": "redirect_to_url", "url": url}
        else:
            url, action = "", {"type": kind, kind: next_action.get(kind)}
        return base.GatewayResult(
            status=base.REQUIRES_ACTION, reference=reference, action_url=url, action=action, raw=raw
        )
    if status == "canceled":
        return base.GatewayResult(status=base.CANCELED, reference=reference, raw=raw)
    if status in ("processing", "requires_confirmation"):
        return base.GatewayResult(status=base.PROCESSING, reference=reference, raw=raw)
    return base.GatewayResult(
        status=base.FAILED, reference=reference, failure_code="card_declined", decline_code="generic_decline", raw=raw
    )


# A closed inquiry ("warning_closed") took no money: for us it is won.
_DISPUTE_OUTCOMES = {"won": base.DISPUTE_WON, "warning_closed": base.DISPUTE_WON, "lost": base.DISPUTE_LOST}


def dispute_from_object(dispute: dict) -> base.DisputeInfo:
    """A Stripe Dispute (as a dict) → our description of it."""
    due_by = (dispute.get("evidence_details") or {}).get("due_by")
    status = dispute.get("status", "")
    return base.DisputeInfo(
        id=dispute.get("id", ""),
        amount=dispute.get("amount") or 0,
        currency=(dispute.get("currency") or "").upper(),
        reason=dispute.get("reason") or "general",
        status=status,
        outcome=_DISPUTE_OUTCOMES.get(status, ""),
        evidence_due_by=datetime.fromtimestamp(due_by, tz=UTC) if due_by else None,
    )


def _unavailable(exc: stripe.StripeError) -> GatewayUnavailable:
    logger.warning("stripe call failed: %s (http %s, request %s)", type(exc).__name__, exc.http_status, exc.request_id)
    status = 503 if isinstance(exc, stripe.RateLimitError) or exc.http_status == 503 else 502
    return GatewayUnavailable(status_code=status)


class StripeGateway(base.Gateway):
    name = "stripe"
    signature_header = SIGNATURE_HEADER
    takes_card_numbers = False

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.STRIPE_API_KEY)

    def _client(self) -> stripe.StripeClient:
        if not settings.STRIPE_API_KEY:
            raise GatewayUnavailable("The Stripe gateway is not configured.", status_code=503)
        kwargs = {"base_addresses": {"api": settings.STRIPE_API_BASE}} if settings.STRIPE_API_BASE else {}
        # No SDK retries: a retry is ours to decide, with the same idempotency key.
        # A timeout below PAYMENTS_CALL_STALE_SECONDS, so a call is over before anyone may
        # presume it dead and repeat it with the same key.
        http_client = stripe.RequestsClient(timeout=settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS)
        return stripe.StripeClient(settings.STRIPE_API_KEY, max_network_retries=0, http_client=http_client, **kwargs)

    def _call(self, function):
        """Runs one SDK call, translating every non-card error at this boundary."""
        base.outside_transaction()
        try:
            return function(self._client())
        except stripe.CardError:
            raise
        except stripe.InvalidRequestError as exc:
            # localstripe answers a bare 404 where Stripe says resource_missing.
            if exc.code == "resource_missing" or exc.http_status == 404:
                raise NotFound("The gateway has no such object.") from None
            raise DomainError(
                "The gateway refused the request.", code="gateway_rejected", status_code=409, explain=exc.user_message
            ) from None
        except stripe.IdempotencyError as exc:
            if exc.http_status == 409:
                # The same key still in progress at Stripe: no answer yet, so the caller
                # must retry with that key, never treat it as a refusal and take a new one.
                raise GatewayUnavailable("The gateway is still processing this request.", status_code=503) from None
            raise Conflict("The gateway saw this idempotency key with other parameters.") from None
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            logger.error("stripe refused our credentials: %s", type(exc).__name__)
            raise GatewayUnavailable("The payment gateway is misconfigured.", status_code=503) from None
        except stripe.StripeError as exc:
            raise _unavailable(exc) from None

    def ping(self):
        # The cheapest authenticated read: proves the network path and the API key.
        self._call(lambda client: client.v1.balance.retrieve())

    def tokenize(self, *, number, exp_month, exp_year, cvc):
        # Card numbers go to Stripe.js in the shopper's browser, never through us.
        raise CardNumbersRefused()

    def card_method(self, *, reference):
        try:
            method = self._call(lambda client: client.v1.payment_methods.retrieve(reference))
        except NotFound:
            raise NotFound("No such payment method.", param="payment_method") from None
        if method.type != "card":
            raise DomainError(
                "This payment method is not a card.", code="payment_method_unsupported", param="payment_method"
            )
        card = _as_dict(method.card)
        return base.TokenizedCard(
            token=method.id,
            card=base.CardDetails(
                brand=card.get("brand", "unknown"),
                last4=card.get("last4", ""),
                exp_month=card.get("exp_month"),
                exp_year=card.get("exp_year"),
                fingerprint=card.get("fingerprint", ""),
            ),
        )

    # --- Stripe.js on the hosted page ---------------------------------------------------
    def card_setup_create(self, *, metadata: dict, idempotency_key: str) -> dict:
        """A SetupIntent for the card Element to confirm in the browser: its id and the
        client_secret Stripe.js needs (handed to that browser only, never stored)."""
        params = {"usage": "on_session", "payment_method_types": ["card"], "metadata": metadata}
        options = {"idempotency_key": idempotency_key}
        setup = self._call(lambda client: client.v1.setup_intents.create(params=params, options=options))
        return {"id": setup.id, "client_secret": setup.client_secret}

    def card_setup_get(self, *, reference: str) -> dict:
        """A SetupIntent's status, the card it set up (payment method id) and metadata."""
        setup = _as_dict(self._call(lambda client: client.v1.setup_intents.retrieve(reference)))
        method = setup.get("payment_method")
        if isinstance(method, dict):
            method = method.get("id")
        return {"status": setup.get("status"), "payment_method": method or "", "metadata": setup.get("metadata") or {}}

    def payment_client_secret(self, *, reference: str) -> str:
        """The client_secret of one of our Stripe PaymentIntents, for Stripe.js to finish
        its next action (3-D Secure) in the shopper's browser. Read when needed, not kept."""
        intent = self._call(lambda client: client.v1.payment_intents.retrieve(reference))
        return intent.client_secret or ""

    def authorize(self, request):
        params = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "payment_method": request.token,
            "payment_method_types": ["card"],
            "confirm": True,
            "capture_method": "automatic" if request.capture else "manual",
            "metadata": request.metadata,
        }
        if settings.STRIPE_SEND_RETURN_URL and request.return_url:
            params["return_url"] = request.return_url
        options = {"idempotency_key": request.idempotency_key}
        try:
            intent = self._call(lambda client: client.v1.payment_intents.create(params=params, options=options))
        except stripe.CardError as exc:
            error = _as_dict(exc.error)
            failure = translate_failure(exc.code, error.get("decline_code"))
            return result_from_intent(_as_dict(error.get("payment_intent")), failure=failure)
        return result_from_intent(_as_dict(intent))

    def capture(self, *, reference, amount, idempotency_key):
        options = {"idempotency_key": idempotency_key}
        intent = self._call(
            lambda client: client.v1.payment_intents.capture(
                reference, params={"amount_to_capture": amount}, options=options
            )
        )
        return result_from_intent(_as_dict(intent))

    def void(self, *, reference, idempotency_key):
        options = {"idempotency_key": idempotency_key}
        intent = self._call(lambda client: client.v1.payment_intents.cancel(reference, options=options))
        return result_from_intent(_as_dict(intent))

    def refund(self, *, reference, amount, idempotency_key):
        options = {"idempotency_key": idempotency_key}
        refund = self._call(
            lambda client: client.v1.refunds.create(
                params={"payment_intent": reference, "amount": amount}, options=options
            )
        )
        data = _as_dict(refund)
        # A pending refund is not money back yet: it stays in flight until Stripe's
        # refund.updated / refund.failed event settles it.
        status = REFUND_STATUS.get(data.get("status"), base.FAILED)
        return base.GatewayResult(status=status, reference=data.get("id", ""), amount=data.get("amount"), raw=data)

    def retrieve(self, *, reference, idempotency_key):
        if not reference:
            # Without Stripe's id we cannot look it up; the caller repeats the keyed call instead.
            return base.GatewayResult(status=base.NOT_FOUND)
        intent = self._call(lambda client: client.v1.payment_intents.retrieve(reference))
        return result_from_intent(_as_dict(intent))

    # --- reading the account's balance: balance transactions and payouts ---------------
    def payouts(self, *, limit: int = PAGE_LIMIT) -> list[dict]:
        """The account's payouts, newest first (one page: the daily job runs often)."""
        page = self._call(lambda client: client.v1.payouts.list(params={"limit": limit}))
        return [_as_dict(payout) for payout in page.data]

    def payout_balance_transactions(self, *, payout: str, max_pages: int = 50) -> list[dict]:
        """Every balance transaction a payout paid, each charge's or refund's source
        expanded (to find its payment intent). Paged, bounded to `max_pages`."""
        rows, after = [], None
        for _ in range(max_pages):
            params = {"payout": payout, "limit": PAGE_LIMIT, "expand": ["data.source"]}
            if after:
                params["starting_after"] = after
            page = self._call(lambda client, params=params: client.v1.balance_transactions.list(params=params))
            rows += [_as_dict(row) for row in page.data]
            if not page.has_more or not page.data:
                break
            after = page.data[-1].id
        return rows

    def verify_webhook(self, *, body, headers):
        try:
            event = stripe.Webhook.construct_event(
                body,
                headers.get(SIGNATURE_HEADER),
                settings.STRIPE_WEBHOOK_SECRET,
                tolerance=settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS,
            )
        except (stripe.SignatureVerificationError, ValueError):
            raise WebhookSignatureInvalid() from None
        return _as_dict(event)

    def notice_from_payload(self, payload):
        obj = (payload.get("data") or {}).get("object") or {}
        is_intent = obj.get("object") == "payment_intent"
        is_refund = obj.get("object") == "refund"
        metadata = obj.get("metadata") or {}
        return base.GatewayNotice(
            event_id=payload.get("id", ""),
            type=payload.get("type", ""),
            reference=obj.get("id", "") if is_intent else obj.get("payment_intent") or "",
            payment_intent=metadata.get("payment_intent", ""),
            attempt=metadata.get("attempt", ""),
            result=result_from_intent(obj) if is_intent else None,
            payload=payload,
            dispute=dispute_from_object(obj) if obj.get("object") == "dispute" else None,
            refund=refund_from_object(obj) if is_refund else None,
        )


# Stripe's refund statuses; requires_action (some local methods) waits like pending.
REFUND_STATUS = {
    "succeeded": base.SUCCEEDED,
    "pending": base.PROCESSING,
    "requires_action": base.PROCESSING,
    "failed": base.FAILED,
    "canceled": base.FAILED,
}


def refund_from_object(obj: dict) -> base.RefundInfo:
    return base.RefundInfo(
        gateway_refund_id=obj.get("id", ""),
        status=REFUND_STATUS.get(obj.get("status"), base.PROCESSING),
        amount=obj.get("amount"),
        failure_code=obj.get("failure_reason") or "",
    )
