"""The home dashboard: each queue waiting, counted and one click from its filtered list,
shown only to the roles that work it; today's volume and success rate."""

import re

import pytest
from django.utils import timezone

from core.backoffice import registry
from core.backoffice.roles import DEVELOPER, FINANCE_CLERK, FRAUD_ANALYST, REFUND_REVIEWER, SUPPORT_AGENT
from merchants.webhooks.models import WebhookEndpoint
from tests.backoffice.helpers import signed_in, staff_user
from tests.fraud.test_flow_api import _held
from tests.payments.helpers import DECLINE, SUCCESS, confirm, paid_intent
from tests.refunds.helpers import captured_intent, request_refund, review_limit

pytestmark = pytest.mark.django_db


def tiles(page: str) -> dict[str, tuple[int, str]]:
    """{tile key: (count, link)} as the page shows them."""
    found = re.findall(
        r'<a class="bo-tile[^"]*" href="([^"]+)" data-tile="([^"]+)">\s*<span class="bo-tile__count">(\d+)', page
    )
    return {key: (int(count), link.replace("&amp;", "&")) for link, key, count in found}


def test_each_queue_is_counted_and_links_to_its_filtered_list(api):
    review_limit(api.merchant, 100)
    refund = request_refund(api, captured_intent(api), amount=3000).json()
    assert refund["status"] == "pending" or refund["status"] == "under_review"
    _held(api)
    WebhookEndpoint.objects.create(
        merchant=api.merchant, url="https://shop.example/hooks", failing_since=timezone.now()
    )
    root = signed_in(staff_user("root", superuser=True))
    shown = tiles(root.get("/admin/").content.decode())
    assert shown["refunds_in_review"] == (1, "/admin/refunds/refundrequest/?state__exact=under_review")
    assert shown["fraud_reviews_open"] == (1, "/admin/fraud/fraudreview/")
    assert shown["webhook_endpoints_failing"] == (1, "/admin/merchants/webhookendpoint/?failing=yes")
    assert shown["sessions_stuck_closing"] == (0, "/admin/checkout/checkoutsession/?stuck=closing")
    # Each link opens the queue it counted.
    queue = root.get(shown["refunds_in_review"][1]).content.decode()
    assert refund["id"] in queue
    endpoints = root.get(shown["webhook_endpoints_failing"][1]).content.decode()
    assert "https://shop.example/hooks" in endpoints
    assert root.get(shown["sessions_stuck_closing"][1]).status_code == 200


def test_roles_see_their_own_queues_only(db):
    expected = {
        REFUND_REVIEWER: {"refunds_in_review", "disputes_open"},
        FRAUD_ANALYST: {"fraud_reviews_open"},
        DEVELOPER: {"webhook_endpoints_failing"},
        SUPPORT_AGENT: {"refunds_in_review", "disputes_open", "sessions_stuck_closing"},
        FINANCE_CLERK: {"refunds_in_review", "disputes_open", "sessions_stuck_closing"},
    }
    ours = set().union(*expected.values())
    for number, (role, keys) in enumerate(expected.items()):
        page = signed_in(staff_user(f"user{number}", role)).get("/admin/").content.decode()
        # Other apps' tiles may join a role's; of these, each role sees its own only.
        assert set(tiles(page)) & ours == keys, role


def test_today_shows_captured_volume_and_the_success_rate(api):
    captured_intent(api, SUCCESS)
    captured_intent(api, SUCCESS)
    _, declined = paid_intent(api, DECLINE)
    confirm(api, declined["id"])
    page = signed_in(staff_user("clerk", FINANCE_CLERK)).get("/admin/").content.decode()
    assert "Captured today" in page and "$100.00" in page  # two payments of $50.00
    assert "66.7%" in page and "2 of 3 attempts" in page


def test_an_app_adds_its_own_tile_without_touching_the_dashboard(db):
    registry.add_tile(
        registry.Tile(key="test_open_disputes_again", title="Something waiting", model="refunds.Dispute",
                      count=lambda: 7, query="status=open")
    )  # fmt: skip
    try:
        page = signed_in(staff_user("root", superuser=True)).get("/admin/").content.decode()
        assert tiles(page)["test_open_disputes_again"] == (7, "/admin/refunds/dispute/?status=open")
    finally:
        registry._tiles.pop("test_open_disputes_again")
