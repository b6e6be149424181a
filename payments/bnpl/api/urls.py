from django.urls import path

from payments.bnpl.api import views

urlpatterns = [
    path(
        "payment-intents/<str:payment_intent_id>/installments",
        views.PaymentIntentInstallmentsApi.as_view(),
        name="payment-intent-installments",
    ),
    path("installments/<str:installment_id>/pay", views.InstallmentPayApi.as_view(), name="installment-pay"),
]
