from django.urls import path

from merchants.api import webhook_views as views

# Fixed paths come before `webhooks/<id>`, which would otherwise swallow them.
urlpatterns = [
    path("webhooks", views.WebhookEndpointListCreateApi.as_view(), name="webhooks"),
    path("webhooks/test", views.WebhookTestApi.as_view(), name="webhooks-test"),
    path("webhooks/callback-secret", views.CallbackSecretRotateApi.as_view(), name="webhooks-callback-secret"),
    path("webhooks/<str:endpoint_id>", views.WebhookEndpointDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<str:endpoint_id>/enable", views.WebhookEndpointEnableApi.as_view(), name="webhook-enable"),
    path(
        "webhooks/<str:endpoint_id>/rotate-secret", views.WebhookSecretRotateApi.as_view(), name="webhook-rotate-secret"
    ),
    path("webhooks/<str:endpoint_id>/deliveries", views.WebhookDeliveryListApi.as_view(), name="webhook-deliveries"),
    path("events", views.EventListApi.as_view(), name="events"),
    path("events/<str:event_id>", views.EventDetailApi.as_view(), name="event-detail"),
]
