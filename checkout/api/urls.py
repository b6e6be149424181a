from django.urls import path

from checkout.api import (
    approval_views,
    customer_views,
    finalize_views,
    fraud_views,
    fulfillment_views,
    hosted_api_views,
    inventory_views,
    payment_views,
    pricing_views,
    shipping_views,
    views,
)

urlpatterns = [
    path("sessions", views.SessionListCreateApi.as_view(), name="sessions"),
    path("sessions/<str:checkout_id>", views.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<str:checkout_id>/refresh", views.SessionRefreshApi.as_view(), name="session-refresh"),
    path("sessions/<str:checkout_id>/timeline", views.SessionTimelineApi.as_view(), name="session-timeline"),
    path("sessions/<str:checkout_id>/customer", customer_views.SessionCustomerApi.as_view(), name="session-customer"),
    path("sessions/<str:checkout_id>/contact", customer_views.SessionContactApi.as_view(), name="session-contact"),
    path(
        "sessions/<str:checkout_id>/shipping-address",
        customer_views.SessionShippingAddressApi.as_view(),
        name="session-shipping-address",
    ),
    path(
        "sessions/<str:checkout_id>/billing-address",
        customer_views.SessionBillingAddressApi.as_view(),
        name="session-billing-address",
    ),
    path(
        "sessions/<str:checkout_id>/addresses", customer_views.SessionAddressesApi.as_view(), name="session-addresses"
    ),
    path(
        "sessions/<str:checkout_id>/shipping-options",
        shipping_views.SessionShippingOptionsApi.as_view(),
        name="session-shipping-options",
    ),
    path(
        "sessions/<str:checkout_id>/select-shipping",
        shipping_views.SessionSelectShippingApi.as_view(),
        name="session-select-shipping",
    ),
    path(
        "sessions/<str:checkout_id>/pickup-location",
        shipping_views.SessionPickupLocationApi.as_view(),
        name="session-pickup-location",
    ),
    path("sessions/<str:checkout_id>/calculate", pricing_views.SessionCalculateApi.as_view(), name="session-calculate"),
    path("sessions/<str:checkout_id>/totals", pricing_views.SessionTotalsApi.as_view(), name="session-totals"),
    path("sessions/<str:checkout_id>/validate", pricing_views.SessionValidateApi.as_view(), name="session-validate"),
    path("sessions/<str:checkout_id>/reserve", inventory_views.SessionReserveApi.as_view(), name="session-reserve"),
    path("sessions/<str:checkout_id>/holds", inventory_views.SessionHoldsApi.as_view(), name="session-holds"),
    path(
        "sessions/<str:checkout_id>/holds/extend",
        inventory_views.SessionHoldsExtendApi.as_view(),
        name="session-holds-extend",
    ),
    path("reservations/<str:reservation_id>", inventory_views.ReservationDetailApi.as_view(), name="reservation"),
    path(
        "reservations/<str:reservation_id>/extend",
        inventory_views.ReservationExtendApi.as_view(),
        name="reservation-extend",
    ),
    path(
        "reservations/<str:reservation_id>/release",
        inventory_views.ReservationReleaseApi.as_view(),
        name="reservation-release",
    ),
    path(
        "sessions/<str:checkout_id>/payment-intents",
        payment_views.SessionPaymentIntentApi.as_view(),
        name="session-payment-intents",
    ),
    path(
        "sessions/<str:checkout_id>/next-action",
        payment_views.SessionNextActionApi.as_view(),
        name="session-next-action",
    ),
    path("inventory", inventory_views.InventoryApi.as_view(), name="inventory"),
    path("locations", fulfillment_views.LocationsApi.as_view(), name="locations"),
    path(
        "locations/<str:location_id>/inventory",
        fulfillment_views.LocationInventoryApi.as_view(),
        name="location-inventory",
    ),
    path(
        "sessions/<str:checkout_id>/split-shipment-plan",
        fulfillment_views.SessionSplitShipmentPlanApi.as_view(),
        name="session-split-shipment-plan",
    ),
    path(
        "sessions/<str:checkout_id>/select-shipment-plan",
        fulfillment_views.SessionSelectShipmentPlanApi.as_view(),
        name="session-select-shipment-plan",
    ),
    path("inventory/<path:sku>/adjust", inventory_views.InventoryAdjustApi.as_view(), name="inventory-adjust"),
]

# Approval, finalization and hosted/embedded checkout.
urlpatterns += [
    path("sessions/<str:checkout_id>/place", approval_views.SessionPlaceApi.as_view(), name="session-place"),
    path("sessions/<str:checkout_id>/approve", approval_views.SessionApproveApi.as_view(), name="session-approve"),
    path("sessions/<str:checkout_id>/decline", approval_views.SessionDeclineApi.as_view(), name="session-decline"),
    path("sessions/<str:checkout_id>/finalize", finalize_views.SessionFinalizeApi.as_view(), name="session-finalize"),
    path(
        "sessions/<str:checkout_id>/finalize/async",
        finalize_views.SessionFinalizeAsyncApi.as_view(),
        name="session-finalize-async",
    ),
    path(
        "sessions/<str:checkout_id>/finalize/rollback",
        finalize_views.SessionFinalizeRollbackApi.as_view(),
        name="session-finalize-rollback",
    ),
    path("finalizations/<str:job_id>", finalize_views.FinalizationJobDetailApi.as_view(), name="finalization"),
    path("orders/<str:order_id>", finalize_views.OrderDetailApi.as_view(), name="order"),
    path(
        "sessions/<str:checkout_id>/hosted-url",
        hosted_api_views.SessionHostedUrlApi.as_view(),
        name="session-hosted-url",
    ),
    path(
        "sessions/<str:checkout_id>/embed-token",
        hosted_api_views.SessionEmbedTokenApi.as_view(),
        name="session-embed-token",
    ),
    path("hosted/<str:checkout_id>/status", hosted_api_views.HostedStatusApi.as_view(), name="hosted-status"),
]

# Fraud: a session's score and its review's assignee.
urlpatterns += [
    path(
        "sessions/<str:checkout_id>/fraud/score", fraud_views.SessionFraudScoreApi.as_view(), name="session-fraud-score"
    ),
    path("sessions/<str:checkout_id>/kyc/start", fraud_views.SessionKycStartApi.as_view(), name="session-kyc-start"),
    path(
        "sessions/<str:checkout_id>/manual-review/assign",
        fraud_views.SessionReviewAssignApi.as_view(),
        name="session-manual-review-assign",
    ),
]

# Gift cards and store credit applied to a session.
from checkout.api import wallet_views  # noqa: E402

urlpatterns += [
    path(
        "sessions/<str:checkout_id>/apply-giftcard",
        wallet_views.SessionApplyGiftCardApi.as_view(),
        name="session-apply-giftcard",
    ),
    path(
        "sessions/<str:checkout_id>/remove-giftcard/<str:code>",
        wallet_views.SessionRemoveGiftCardApi.as_view(),
        name="session-remove-giftcard",
    ),
    path(
        "sessions/<str:checkout_id>/apply-store-credit",
        wallet_views.SessionApplyStoreCreditApi.as_view(),
        name="session-apply-store-credit",
    ),
    path("sessions/<str:checkout_id>/wallet", wallet_views.SessionWalletApi.as_view(), name="session-wallet"),
]

# Failures and remediation.
from checkout.api import remediation_views  # noqa: E402

urlpatterns += [
    path("failures", remediation_views.FailureListApi.as_view(), name="failures"),
    path("sessions/<str:checkout_id>/resolve", remediation_views.SessionResolveApi.as_view(), name="session-resolve"),
    path(
        "sessions/<str:checkout_id>/support-note",
        remediation_views.SessionSupportNoteApi.as_view(),
        name="session-support-note",
    ),
]

# Diagnostics of the merchant's pipeline.
from checkout.api import operations_views  # noqa: E402

urlpatterns += [
    path("diagnostics", operations_views.DiagnosticsApi.as_view(), name="diagnostics"),
    path("threads", operations_views.ThreadsApi.as_view(), name="threads"),
]
