from django.urls import path

from refunds.api import views

# The refund route sits under payment-intents/ but lives here: payments must not import
# refunds (refunds → payments, never the other way).
urlpatterns = [
    path(
        "payment-intents/<str:payment_intent_id>/refund",
        views.PaymentIntentRefundApi.as_view(),
        name="payment-intent-refund",
    ),
    path("refunds", views.RefundListApi.as_view(), name="refunds"),
    path("refunds/<str:refund_id>", views.RefundDetailApi.as_view(), name="refund"),
    path("refunds/<str:refund_id>/information", views.RefundInformationApi.as_view(), name="refund-information"),
]
