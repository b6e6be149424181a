"""Customer, contact and address endpoints (SPEC.md section 4, item 2).

The shopper's browser may call these with its session's client token as well as the
merchant with a secret key: they are what the shopper types in at checkout.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.customer_serializers import (
    AddressesSerializer,
    AddressInputSerializer,
    ContactInputSerializer,
    CustomerInputSerializer,
)
from checkout.api.permissions import SecretOrSessionClientToken
from checkout.api.serializers import SessionSerializer
from checkout.api.views import session_response
from checkout.models import Address
from checkout.selectors import session_address, session_get
from checkout.services import customer as customer_services
from core.api.actors import actor_for
from core.api.schema import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH_HEADER,
    MUTATION_ERROR_RESPONSES,
    ErrorEnvelope,
)
from core.api.views import ApiView, etag_for, if_match_versions

TAG = "Customer & addresses"

SESSION_MUTATION_RESPONSES = {
    200: SessionSerializer,
    **MUTATION_ERROR_RESPONSES,
    412: OpenApiResponse(response=ErrorEnvelope, description="The If-Match ETag is stale"),
}
SESSION_MUTATION_PARAMETERS = [IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER]

ADDRESS_EXAMPLE = OpenApiExample(
    "A US address",
    request_only=True,
    value={
        "name": "Jane Doe",
        "line1": "1 Market St",
        "line2": "Suite 300",
        "city": "San Francisco",
        "region": "CA",
        "postal_code": "94105",
        "country": "US",
        "phone": "(415) 555-2671",
    },
)


class SessionCustomerApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_customer_set",
        tags=[TAG],
        request=CustomerInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        serializer = CustomerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = customer_services.customer_set(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            changes=serializer.validated_data,
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session)


class SessionContactApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_contact_set",
        tags=[TAG],
        request=ContactInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        serializer = ContactInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = customer_services.contact_set(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            changes=serializer.validated_data,
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session)


class _AddressSetApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]
    kind: str

    def _set(self, request, checkout_id):
        serializer = AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = customer_services.address_set(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            kind=self.kind,
            data=serializer.validated_data,
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session)


class SessionShippingAddressApi(_AddressSetApi):
    kind = Address.Kind.SHIPPING

    @extend_schema(
        operation_id="sessions_shipping_address_set",
        tags=[TAG],
        description="Creates or replaces the shipping address. A new country drops the selected shipping option.",
        request=AddressInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        examples=[ADDRESS_EXAMPLE],
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        return self._set(request, checkout_id)


class SessionBillingAddressApi(_AddressSetApi):
    kind = Address.Kind.BILLING

    @extend_schema(
        operation_id="sessions_billing_address_set",
        tags=[TAG],
        description="Creates or replaces the billing address.",
        request=AddressInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        examples=[ADDRESS_EXAMPLE],
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        return self._set(request, checkout_id)


class SessionAddressesApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_addresses_retrieve",
        tags=[TAG],
        responses={200: AddressesSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        session = session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        body = {
            "object": "checkout.addresses",
            "shipping_address": session_address(session, Address.Kind.SHIPPING),
            "billing_address": session_address(session, Address.Kind.BILLING),
            "billing_address_required": session.require_billing_address,
        }
        return Response(AddressesSerializer(body).data, headers={"ETag": etag_for(session.version)})
