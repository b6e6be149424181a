from django.urls import path

from merchants.api.audit_views import AuditListApi
from merchants.api.views import CapabilitiesApi, MerchantSettingsApi
from merchants.api.webhook_urls import urlpatterns as webhook_urlpatterns

urlpatterns = [
    path("settings", MerchantSettingsApi.as_view(), name="settings"),
    path("capabilities", CapabilitiesApi.as_view(), name="capabilities"),
    path("audit", AuditListApi.as_view(), name="audit"),
]

urlpatterns += webhook_urlpatterns
