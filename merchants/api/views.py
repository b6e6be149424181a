from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER, PRECONDITION_FAILED_RESPONSE
from core.api.views import ApiView, etag_for, if_match_versions
from merchants.api.serializers import (
    CapabilitiesSerializer,
    MerchantSettingsSerializer,
    MerchantSettingsUpdateSerializer,
)
from merchants.selectors import merchant_capabilities
from merchants.services import merchant_settings_update


class MerchantSettingsApi(ApiView):
    @extend_schema(
        operation_id="settings_retrieve",
        tags=["Merchant"],
        responses={200: MerchantSettingsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        merchant = self.merchant
        return Response(MerchantSettingsSerializer(merchant).data, headers={"ETag": etag_for(merchant.version)})

    @extend_schema(
        operation_id="settings_update",
        tags=["Merchant"],
        request=MerchantSettingsUpdateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER],
        responses={
            200: MerchantSettingsSerializer,
            412: PRECONDITION_FAILED_RESPONSE,
            **ERROR_RESPONSES,
        },
    )
    def patch(self, request):
        serializer = MerchantSettingsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        merchant = merchant_settings_update(
            merchant_id=self.merchant.pk,
            changes=serializer.validated_data,
            expected_versions=if_match_versions(request),
            actor=actor_for(request),
        )
        return Response(MerchantSettingsSerializer(merchant).data, headers={"ETag": etag_for(merchant.version)})


class CapabilitiesApi(ApiView):
    @extend_schema(
        operation_id="capabilities_retrieve",
        tags=["Merchant"],
        responses={200: CapabilitiesSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        return Response(CapabilitiesSerializer(merchant_capabilities(merchant=self.merchant)).data)
