from django.urls import path

from merchants.api.views import CapabilitiesApi, MerchantSettingsApi

urlpatterns = [
    path("settings", MerchantSettingsApi.as_view(), name="settings"),
    path("capabilities", CapabilitiesApi.as_view(), name="capabilities"),
]
