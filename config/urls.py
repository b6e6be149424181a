from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView
from oauth2_provider.views import TokenView

from checkout.receipts import receipt_page
from core.api.errors import api_not_found, api_server_error
from core.api.health import HealthApi
from core.api.schema import SchemaApi
from core.metrics import metrics_page
from core.pages import favicon, home
from payments.bnpl.pages import pay_installment

# Unknown API paths answer in the error envelope, like every other API error.
handler404 = api_not_found
handler500 = api_server_error

checkout_api = [
    path("health", HealthApi.as_view(), name="health"),
    path("", include("merchants.api.urls")),
    path("", include("checkout.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("refunds.api.urls")),
    path("", include("fraud.api.urls")),
    path("", include("reconciliation.api.urls")),
    path("", include("ledger.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("v1/oauth/token/", TokenView.as_view(), name="oauth-token"),
    # The same endpoint without the slash: a POST cannot be redirected to add it.
    path("v1/oauth/token", TokenView.as_view()),
    path("v1/checkout/", include((checkout_api, "api"), namespace="api")),
    # Anything else under the API (a typo, a trailing slash) is a JSON 404, in DEBUG too.
    re_path(r"^v1/checkout/", api_not_found),
    path("v1/schema/", SchemaApi.as_view(), name="schema"),
    path("v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Every other path under /v1 too: handler404 is not used while DEBUG is on (a local run).
    re_path(r"^v1(/|$)", api_not_found),
    path("pay/installments/<str:installment_id>", pay_installment, name="bnpl-pay-installment"),
    path("pay/", include("checkout.hosted.urls")),
    path("receipts/<str:receipt_id>", receipt_page, name="receipt"),
    # Prometheus, behind METRICS_TOKEN (a 404 without one).
    path("metrics", metrics_page, name="metrics"),
]

# The test-mode card processor's own pages (3-D Secure challenge); off in production by default.
if settings.PAYMENTS_SIMULATOR_ENABLED:
    urlpatterns.append(path("simulator/bnpl/", include("payments.bnpl.providers.simulator_urls")))
    urlpatterns.append(path("simulator/", include("payments.simulator.urls")))
