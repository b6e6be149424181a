from django.urls import path

from payments.bnpl.providers import simulator_views

app_name = "simulator_bnpl"

urlpatterns = [path("<str:reference>", simulator_views.checkout_page, name="checkout")]
