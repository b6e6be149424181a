"""Payment intent, payment method and inbound gateway endpoints: parse, call one service, render."""

import json

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, RATE_LIMITED_RESPONSE
from core.api.views import ApiView, etag_for
from core.client_ip import client_ip
from core.exceptions import NotFound
from core.languages import supported_language
from merchants.credentials import Credential
from merchants.permissions import IsMerchantSecretOrPublishable
from payments import hooks, services
from payments.api.serializers import (
    AttachMethodSerializer,
    CancelSerializer,
    CaptureSerializer,
    ConfirmSerializer,
    PaymentIntentDetailSerializer,
    PaymentIntentSerializer,
    PaymentMethodListSerializer,
    PaymentMethodQuerySerializer,
    PaymentMethodSerializer,
    RedirectReturnQuerySerializer,
    RedirectStatusSerializer,
    ThreeDSCompleteSerializer,
    TokenizeSerializer,
    WebhookAckSerializer,
)
from payments.api.throttles import CardTestingThrottle
from payments.selectors import (
    payment_api_status,
    payment_intent_get,
    payment_methods_available,
    redirect_return_outcome,
)
from payments.services.bank_transfers import bank_transfer_method_create
from payments.services.confirm import payment_redirect_return
from payments.services.webhooks import gateway_event_receive, three_ds_callback_receive

TAGS = ["Payments"]
CARD_ERROR = OpenApiResponse(description="Declined: payment_declined (with decline_code), insufficient_funds, …")
GATEWAY_ERRORS = {
    402: CARD_ERROR,
    502: OpenApiResponse(description="gateway_unavailable: no answer from the gateway; retry"),
    503: OpenApiResponse(description="gateway_unavailable: the gateway cannot take it now; retry"),
}


class SecretOrIntentClientToken(BasePermission):
    """Secret credentials act on any of the merchant's intents; a client token only on
    intents made for its subject (the view checks the intent's reference)."""

    message = "This credential cannot act on this payment intent."

    def has_permission(self, request, view):
        credential = request.auth
        return isinstance(credential, Credential) and (credential.is_secret or credential.kind == "client_token")


def intent_response(payment, *, status=200):
    return Response(PaymentIntentSerializer(payment).data, status=status, headers={"ETag": etag_for(payment.version)})


class IntentApi(ApiView):
    permission_classes = [SecretOrIntentClientToken]

    def scoped_intent(self, payment_intent_id):
        """The intent, checked against a client token's subject (another's is 'not found')."""
        payment = payment_intent_get(merchant_id=self.merchant.pk, payment_intent_id=payment_intent_id)
        credential = self.request.auth
        if not credential.is_secret and payment.reference != credential.subject:
            raise NotFound("No such payment intent.", param="id")
        return payment


class PaymentIntentDetailApi(IntentApi):
    @extend_schema(
        operation_id="payment_intents_retrieve",
        tags=TAGS,
        responses={200: PaymentIntentDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, payment_intent_id):
        payment = self.scoped_intent(payment_intent_id)
        # As the create answer: a client secret only to the merchant's server (as Stripe's).
        context = {"details": hooks.intent_details(payment, with_secret=request.auth.is_secret)}
        return Response(
            PaymentIntentDetailSerializer(payment, context=context).data, headers={"ETag": etag_for(payment.version)}
        )


class PaymentIntentAttachMethodApi(IntentApi):
    @extend_schema(
        operation_id="payment_intents_attach_method",
        tags=TAGS,
        request=AttachMethodSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: PaymentIntentSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, payment_intent_id):
        serializer = AttachMethodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.scoped_intent(payment_intent_id)
        payment = services.payment_intent_attach_method(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            payment_method_id=serializer.validated_data["payment_method_id"],
            save_method=serializer.validated_data["save_method"],
            actor=actor_for(request),
        )
        return intent_response(payment)


class PaymentIntentConfirmApi(IntentApi):
    throttle_classes = [CardTestingThrottle]

    @extend_schema(
        operation_id="payment_intents_confirm",
        tags=TAGS,
        request=ConfirmSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: PaymentIntentSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS, **RATE_LIMITED_RESPONSE},
    )
    def post(self, request, payment_intent_id):
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intent = self.scoped_intent(payment_intent_id)
        payment = services.payment_intent_confirm(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            payment_method_id=serializer.validated_data.get("payment_method_id"),
            payment_method_data=serializer.validated_data.get("payment_method_data"),
            actor=actor_for(request),
            ip=client_ip(request),
            intent=intent,
        )
        return intent_response(payment)


class PaymentIntentThreeDSCompleteApi(IntentApi):
    @extend_schema(
        operation_id="payment_intents_3ds_complete",
        tags=TAGS,
        request=ThreeDSCompleteSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        description=(
            "The shopper is back from 3-D Secure: the gateway is asked for the outcome, which is "
            "recorded. Takes no fields (any sent is 400). An intent not yet confirmed has nothing to "
            "authenticate (409 invalid_state_transition); one past 3-D Secure answers as it is."
        ),
        responses={200: PaymentIntentSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS},
    )
    def post(self, request, payment_intent_id):
        ThreeDSCompleteSerializer(data=request.data).is_valid(raise_exception=True)
        self.scoped_intent(payment_intent_id)
        payment = services.payment_intent_authentication_complete(
            merchant_id=self.merchant.pk, payment_intent_id=payment_intent_id, actor=actor_for(request)
        )
        return intent_response(payment)


class PaymentIntentCaptureApi(ApiView):
    @extend_schema(
        operation_id="payment_intents_capture",
        tags=TAGS,
        request=CaptureSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: PaymentIntentSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS},
    )
    def post(self, request, payment_intent_id):
        serializer = CaptureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_intent_capture(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            amount=serializer.validated_data.get("amount"),
            actor=actor_for(request),
        )
        return intent_response(payment)


class PaymentIntentCancelApi(ApiView):
    @extend_schema(
        operation_id="payment_intents_cancel",
        tags=TAGS,
        request=CancelSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: PaymentIntentSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS},
    )
    def post(self, request, payment_intent_id):
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_intent_cancel(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            actor=actor_for(request),
            reason=serializer.validated_data.get("reason", ""),
        )
        return intent_response(payment)


class PaymentMethodListApi(ApiView):
    permission_classes = [IsMerchantSecretOrPublishable]

    @extend_schema(
        operation_id="payment_methods_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2 country of the buyer"),
            OpenApiParameter("currency", str, description="ISO 4217 currency of the payment"),
            OpenApiParameter("channel", str, description="web, mobile, pos or api"),
            OpenApiParameter(
                "amount", int, description="Minor units: only methods and plans that take this amount are offered"
            ),
        ],
        responses={200: PaymentMethodListSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        query = PaymentMethodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = payment_methods_available(merchant=self.merchant, **query.validated_data)
        return Response(PaymentMethodListSerializer({"object": "list", "data": options}).data)


class PaymentMethodTokenizeApi(ApiView):
    permission_classes = [IsMerchantSecretOrPublishable]
    throttle_classes = [CardTestingThrottle]

    def idempotency_body(self, request) -> bytes:
        return tokenize_fingerprint_body(request.data)

    @extend_schema(
        operation_id="payment_methods_tokenize",
        tags=TAGS,
        request=TokenizeSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: PaymentMethodSerializer, **MUTATION_ERROR_RESPONSES, **GATEWAY_ERRORS, **RATE_LIMITED_RESPONSE},
    )
    def post(self, request):
        serializer = TokenizeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["type"] == "bank_transfer":
            method = bank_transfer_method_create(merchant_id=self.merchant.pk)
            return Response(PaymentMethodSerializer(method).data, status=201)
        if reference := serializer.validated_data.get("payment_method"):
            method = services.payment_method_import(merchant_id=self.merchant.pk, reference=reference)
            return Response(PaymentMethodSerializer(method).data, status=201)
        card = serializer.validated_data["card"]
        method = services.payment_method_tokenize(merchant_id=self.merchant.pk, **card)
        return Response(PaymentMethodSerializer(method).data, status=201)


def tokenize_fingerprint_body(data) -> bytes:
    """The tokenize body as the Idempotency-Key fingerprint sees it: no CVC and no number,
    only what is kept in clear anyway (last four, expiry). Even keyed, a digest of the
    number or CVC would give whoever holds the key a way to test guesses (a CVC in under a
    thousand); a different card under the same key still differs in its last four or expiry.
    """
    if not isinstance(data, dict):
        return b""
    card = data.get("card")
    card = card if isinstance(card, dict) else {}
    number = "".join(str(card.get("number", "")).split())
    redacted = {
        "type": data.get("type"),
        "card": {
            "last4": number[-4:],
            "length": len(number),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
        },
        # Not a secret: the gateway's id for a card Stripe.js created.
        "payment_method": data.get("payment_method"),
        "other": sorted(set(data) - {"type", "card", "payment_method"}),
        "other_card": sorted(set(card) - {"number", "exp_month", "exp_year", "cvc"}),
    }
    return json.dumps(redacted, sort_keys=True, default=str).encode()


class InboundApi(ApiView):
    """Called by gateways and browsers, not merchants: the signature (or nothing) is the
    credential, and no Idempotency-Key applies (gateway event ids deduplicate)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    idempotent = False


class RedirectReturnApi(InboundApi):
    # The shopper's browser lands here when no return_url was given: it gets a page, an
    # API client asking for JSON gets the status.
    renderer_classes = [JSONRenderer, TemplateHTMLRenderer]
    template_name = "payments/redirect_return.html"

    def finalize_response(self, request, response, *args, **kwargs):
        # The page is for a status; an error is answered in the JSON envelope whatever was asked.
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="redirect_return",
        tags=TAGS,
        parameters=[
            OpenApiParameter("payment_intent", str, description="The payment intent (or `payment_token`)"),
            OpenApiParameter("payment_token", str, description="The API document's name for the payment intent id"),
            OpenApiParameter(
                "checkout_id", str, description="The session; alone, its newest payment intent. Must match"
            ),
            OpenApiParameter(
                "status",
                str,
                description="What the redirecting party reported. Informational: the answer is what the gateway says",
            ),
        ],
        description="Where a shopper's browser lands after a redirect (3-D Secure, an APM). Needs "
        "`payment_intent`, `payment_token` or `checkout_id`. Settles the intent with the gateway, then "
        "sends the browser to the intent's return_url, or answers its status.",
        responses={
            302: OpenApiResponse(description="To the intent's return_url, with payment_intent and redirect_status"),
            (200, "application/json"): RedirectStatusSerializer,
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="A page for the shopper's browser"),
            404: ERROR_RESPONSES[404],
        },
    )
    def get(self, request):
        query = RedirectReturnQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        payment, url = payment_redirect_return(
            payment_intent_id=params.get("payment_intent") or params.get("payment_token") or "",
            reference=params.get("checkout_id", ""),
        )
        if url:
            return HttpResponseRedirect(url)
        if getattr(request.accepted_renderer, "format", "") == "html":
            return self._page(request, payment)
        return Response(
            RedirectStatusSerializer(
                {
                    "payment_intent": payment.public_id,
                    "payment_intent_id": payment.public_id,
                    "checkout_id": payment.reference or None,
                    "status": payment_api_status(payment),
                }
            ).data
        )

    def _page(self, request, payment):
        # The shopper reads this page: it speaks the session's language (else the browser's)
        # and says where the money stands, not only what the intent's status is called.
        locale = hooks.risk_facts_for(merchant_id=payment.merchant_id, reference=payment.reference).get("locale", "")
        chosen = supported_language(locale) if locale and locale != "en_US" else None
        language = chosen or supported_language(translation.get_language_from_request(request)) or "en"
        with translation.override(language):
            response = render(
                request, self.template_name, {"outcome": redirect_return_outcome(payment), "language": language}
            )
        response["Content-Language"] = language
        response["Cache-Control"] = "no-store"
        return response


class ThreeDSCallbackApi(InboundApi):
    @extend_schema(
        operation_id="three_ds_callback",
        tags=TAGS,
        request=None,
        responses={200: WebhookAckSerializer, 400: ERROR_RESPONSES[400]},
    )
    def post(self, request):
        event = three_ds_callback_receive(body=request.body, headers=request.headers)
        return Response({"received": True, "duplicate": False, "event_id": event.event_id})


class PaymentWebhookApi(InboundApi):
    @extend_schema(
        operation_id="webhook_payment",
        tags=TAGS,
        request=None,
        responses={200: WebhookAckSerializer, 400: ERROR_RESPONSES[400]},
    )
    def post(self, request):
        event, created = gateway_event_receive(body=request.body, headers=request.headers)
        return Response({"received": True, "duplicate": not created, "event_id": event.event_id})
