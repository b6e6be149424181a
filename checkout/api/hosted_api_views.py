"""Hosted and embedded checkout (SPEC.md section 4, item 12): the link to the hosted page,
a short-lived token for an embedded checkout, and the outcome for the return page."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from checkout.api.order_serializers import (
    EmbedTokenSerializer,
    HostedStatusSerializer,
    HostedUrlSerializer,
    NoBodySerializer,
)
from checkout.api.permissions import SecretOrSessionClientToken
from checkout.hosted_links import EMBED_TOKEN_TTL, ensure_linkable, hosted_link, session_token
from checkout.order_selectors import hosted_status_get
from checkout.selectors import session_get
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView

TAG = "Hosted checkout"


def _seconds_left(expires_at) -> int:
    return max(int((expires_at - timezone.now()).total_seconds()), 0)


class SessionHostedUrlApi(ApiView):
    @extend_schema(
        operation_id="sessions_hosted_url",
        tags=[TAG],
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: HostedUrlSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "A link to the hosted checkout page carrying the session's client token (`url`), valid for an hour "
            "and never past the session's expiry: `expires_at` and its TTL, `ttl_seconds` (409 "
            "`session_expired` once it has passed). Writes nothing."
        ),
    )
    def post(self, request, checkout_id):
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        session = session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        ensure_linkable(session)
        link = hosted_link(session)
        body = {
            "object": "checkout.hosted_url",
            "checkout_id": checkout_id,
            "url": link.url,
            "expires_at": link.expires_at,
            "ttl_seconds": _seconds_left(link.expires_at),
        }
        return Response(HostedUrlSerializer(body).data)


class SessionEmbedTokenApi(ApiView):
    @extend_schema(
        operation_id="sessions_embed_token",
        tags=[TAG],
        responses={200: EmbedTokenSerializer, **ERROR_RESPONSES, 409: MUTATION_ERROR_RESPONSES[409]},
        description=(
            "A client token for this session alone, for an embedded checkout: valid 15 minutes (never past "
            "the session's expiry). Fetch a fresh one from your server when it runs out."
        ),
    )
    def get(self, request, checkout_id):
        session = session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        ensure_linkable(session)
        issued = session_token(session, ttl=EMBED_TOKEN_TTL)
        body = {
            "object": "checkout.embed_token",
            "checkout_id": checkout_id,
            "token": issued.token,
            "expires_at": issued.expires_at,
            "ttl_seconds": _seconds_left(issued.expires_at),
        }
        return Response(EmbedTokenSerializer(body).data)


class HostedStatusApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="hosted_status",
        tags=[TAG],
        responses={200: HostedStatusSerializer, **ERROR_RESPONSES},
        description=(
            "Where the session stands, for the merchant's return page: status and reason, the order once "
            "finalized, the payment intent's status, and redirect_url (success_url or error_url with "
            "?checkout_id=…) once the session has ended."
        ),
    )
    def get(self, request, checkout_id):
        return Response(
            HostedStatusSerializer(hosted_status_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)).data
        )
