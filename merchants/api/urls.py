from django.urls import path

from merchants.api.views import CapabilitiesApi, MerchantSettingsApi
from merchants.api.webhook_urls import urlpatterns as webhook_urlpatterns

urlpatterns = [
    path("settings", MerchantSettingsApi.as_view(), name="settings"),
    path("capabilities", CapabilitiesApi.as_view(), name="capabilities"),
]

urlpatterns += webhook_urlpatterns
