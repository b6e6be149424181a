from django.urls import path

from checkout.api import customer_views, inventory_views, payment_views, pricing_views, shipping_views, views

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
    path("inventory/<path:sku>/adjust", inventory_views.InventoryAdjustApi.as_view(), name="inventory-adjust"),
]
