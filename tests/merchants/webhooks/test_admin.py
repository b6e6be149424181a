import pytest
from django.contrib.admin.models import LogEntry

from merchants.webhook_delivery import delivery_attempt, event_dispatch
from merchants.webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import accept_all, emit, make_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(merchant, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = []
    accept_all(receiver, status=500)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    (delivery_id,) = event_dispatch(event_id=event.pk)
    assert delivery_attempt(delivery_id=delivery_id) == "failed"
    receiver.clear()
    accept_all(receiver)
    return WebhookDelivery.objects.get(pk=delivery_id)


def test_pages_render_with_attempts_inline(admin_client, failed_delivery):
    for path in (
        "/admin/merchants/webhookendpoint/",
        "/admin/merchants/event/",
        "/admin/merchants/webhookdelivery/",
        f"/admin/merchants/webhookendpoint/{failed_delivery.endpoint_id}/change/",
        f"/admin/merchants/event/{failed_delivery.event_id}/change/",
    ):
        assert admin_client.get(path).status_code == 200, path
    page = admin_client.get(f"/admin/merchants/webhookdelivery/{failed_delivery.pk}/change/")
    assert page.status_code == 200 and b"HTTP 500." in page.content
    assert b"ciphertext" not in admin_client.get("/admin/merchants/webhookendpoint/").content


def test_retry_now_action(admin_client, failed_delivery, django_capture_on_commit_callbacks, receiver):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/merchants/webhookdelivery/", {"action": "retry_now", "_selected_action": [failed_delivery.pk]}
        )
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(pk=failed_delivery.pk)
    assert delivery.state == "succeeded" and delivery.attempt_count == 2
    assert receiver.log[0][0].headers["webhook-id"] == delivery.public_id
    assert LogEntry.objects.filter(change_message="Retry requested").count() == 1


def test_replay_event_action(admin_client, failed_delivery, django_capture_on_commit_callbacks, receiver):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/merchants/event/", {"action": "replay_events", "_selected_action": [failed_delivery.event_id]}
        )
    assert WebhookDelivery.objects.get(pk=failed_delivery.pk).state == "succeeded"
    assert len(receiver.log) == 1


def test_disable_and_enable_actions(admin_client, failed_delivery):
    url = "/admin/merchants/webhookendpoint/"
    selected = {"_selected_action": [failed_delivery.endpoint_id]}
    admin_client.post(url, {"action": "disable_endpoints", **selected})
    endpoint = WebhookEndpoint.objects.get(pk=failed_delivery.endpoint_id)
    assert endpoint.status == "disabled" and "staff" in endpoint.disabled_reason
    admin_client.post(url, {"action": "enable_endpoints", **selected})
    assert WebhookEndpoint.objects.get(pk=failed_delivery.endpoint_id).status == "enabled"


def test_staff_without_permission_cannot_act(client, django_user_model, failed_delivery):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(user)
    page = client.get("/admin/merchants/webhookdelivery/")
    assert page.status_code == 200 and b"retry_now" not in page.content
    client.post("/admin/merchants/webhookdelivery/", {"action": "retry_now", "_selected_action": [failed_delivery.pk]})
    assert WebhookDelivery.objects.get(pk=failed_delivery.pk).state == "failed"
