"""The back office in headless Chromium, as staff use it: each role signs in with a
password and an authenticator code and finds its queue on the dashboard in one click;
payment and order pages fit 1280 px; a refund is reviewed (and the requester is told why
they cannot approve it). Screenshots go to tests/browser/artifacts/backoffice-*.png."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.backoffice.roles import FINANCE_CLERK, FRAUD_ANALYST, REFUND_REVIEWER
from payments.models import PaymentTransaction
from refunds.models import RefundRequest
from tests.backoffice.helpers import PASSWORD, staff_user
from tests.browser.conftest import DESKTOP, Tab
from tests.checkout.finalize_helpers import finalize, pay, ready_session
from tests.fraud.test_flow_api import _held
from tests.payments.helpers import ok
from tests.refunds.helpers import request_refund, review_limit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED_CART = {
    "currency": "USD",
    "lines": [
        {"sku": "MUG", "name": "Stoneware mug", "quantity": 2, "unit_amount": 1250},
        {"sku": "TEA", "name": "Breakfast tea, 250 g", "quantity": 1, "unit_amount": 899},
    ],
}


@pytest.fixture
def desk(chromium, live_server, settings):
    """A 1280 px wide browser on the back office, with 2FA required as in production."""
    settings.BACKOFFICE_REQUIRE_2FA = True
    context = chromium.new_context(viewport=DESKTOP)
    try:
        tab = Tab(context.new_page(), [live_server.url])
        tab.base = live_server.url
        yield tab
        assert tab.foreign_requests() == [], "the back office loads nothing from elsewhere"
        assert tab.console_errors == [], "no CSP violation or script error"
    finally:
        context.close()


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(tab, user, device):
    page = tab.page
    page.goto(f"{tab.base}/admin/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", code(device))
    page.click("#login-form button[type=submit]")
    expect(page.locator("[data-testid=work-waiting]")).to_be_visible()


def with_device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sidebar_text(page) -> str:
    return page.locator("#nav-sidebar, nav").first.inner_text()


def assert_fits(page, what):
    # A click that navigates returns before the new document exists; measure the page that loaded.
    page.wait_for_load_state("load")
    page.locator("body").wait_for()
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{what} scrolls sideways at 1280 px: {widths}"


@pytest.mark.parametrize(
    "role, tile, queue_text, absent_menus",
    [
        (REFUND_REVIEWER, "refunds_in_review", "Select refund request to view", ["Fraud", "Merchants & developers"]),
        (FRAUD_ANALYST, "fraud_reviews_open", "review", ["Refunds & disputes", "Merchants & developers"]),
        (FINANCE_CLERK, "refunds_in_review", "refund", ["Fraud", "Merchants & developers"]),
    ],
)
def test_each_role_signs_in_with_2fa_and_reaches_its_queue_in_one_click(
    desk, api, role, tile, queue_text, absent_menus
):
    review_limit(api.merchant, 100)
    checkout_id = ready_session(api)["checkout_id"]
    intent_id = pay(api, checkout_id)["id"]
    ok(request_refund(api, intent_id, amount=2000), 201)
    _held(api)
    user = staff_user(role.split()[0].lower(), role)
    sign_in(desk, user, with_device(user))
    page = desk.page
    name = role.split()[0].lower()
    desk.snap(f"backoffice-dashboard-{name}")
    menus = sidebar_text(page)
    for absent in absent_menus:
        assert absent not in menus, f"{role} sees {absent}"
    count = int(page.locator(f"[data-tile={tile}] .bo-tile__count").inner_text())
    assert count == 1
    page.click(f"[data-tile={tile}]")
    expect(page).to_have_url(re.compile(r"/admin/(refunds/refundrequest|fraud/fraudreview)/"))
    expect(page.locator("#result_list")).to_be_visible()
    assert queue_text.lower() in page.content().lower()
    assert_fits(page, f"{role}'s queue")
    desk.snap(f"backoffice-queue-{name}")


def test_a_new_staff_member_sets_up_2fa_on_first_sign_in(desk, db):
    user = staff_user("newbie", REFUND_REVIEWER)
    page = desk.page
    page.goto(f"{desk.base}/admin/")
    page.fill("input[name=username]", "newbie")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.get_by_text("scan this code", exact=False)).to_be_visible()
    assert page.locator(".bo-qr svg").count() == 1
    desk.snap("backoffice-2fa-setup")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.fill("input[name=otp_token]", code(device))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("[data-testid=work-waiting]")).to_be_visible()


def test_payment_and_order_pages_fit_1280_px(desk, api):
    checkout_id = ready_session(api, SHIPPED_CART)["checkout_id"]
    intent_id = pay(api, checkout_id)["id"]
    order = ok(finalize(api, checkout_id), 201)["order"]
    root = staff_user("root", superuser=True)
    sign_in(desk, root, with_device(root))
    page = desk.page
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    page.goto(f"{desk.base}/admin/payments/paymenttransaction/{payment.pk}/change/")
    summary = page.locator("[data-testid=payment-summary]")
    expect(summary).to_be_visible()
    expect(page.locator("[data-testid=payment-amount]")).to_have_text("$33.99")
    assert "Visa •••• 4242" in summary.inner_text() and "Not challenged" in summary.inner_text()
    assert page.locator("[data-testid=payment-timeline] li").count() >= 3
    assert_fits(page, "the payment page")
    desk.snap("backoffice-payment")
    page.get_by_role("link", name="Order →").click()
    expect(page.locator("#result_list")).to_contain_text(order["id"])
    page.get_by_role("link", name=order["id"]).first.click()
    lines = page.locator("[data-testid=order-lines]")
    expect(lines).to_contain_text("Stoneware mug")
    expect(lines).to_contain_text("$33.99")
    assert "{" not in page.locator("[data-testid=order-summary]").inner_text(), "snapshots are drawn, not dumped"
    assert_fits(page, "the order page")
    desk.snap("backoffice-order")
    page.goto(f"{desk.base}/admin/payments/paymenttransaction/")
    assert_fits(page, "the payments list")
    desk.snap("backoffice-payments-list")


def test_a_refund_is_reviewed_and_the_requester_is_told_why_not(desk, api):
    review_limit(api.merchant, 100)
    checkout_id = ready_session(api)["checkout_id"]
    intent_id = pay(api, checkout_id)["id"]
    requester = staff_user("alice", REFUND_REVIEWER)
    reviewer = staff_user("bob", REFUND_REVIEWER)
    page = desk.page
    # Alice takes a shopper's call and asks for a refund from the back office.
    sign_in(desk, requester, with_device(requester))
    page.goto(f"{desk.base}/admin/refunds/refundrequest/add/")
    page.fill("input[name=payment_intent]", intent_id)
    page.fill("input[name=amount]", "15.00")
    page.select_option("select[name=reason]", "requested_by_customer")
    page.fill("textarea[name=note]", "Mug arrived chipped; photo on file.")
    page.get_by_role("button", name="Request the refund").click()
    refund = RefundRequest.objects.get(payment__public_id=intent_id)
    assert refund.state == RefundRequest.State.UNDER_REVIEW and refund.requested_by_user == requester
    page.goto(f"{desk.base}/admin/refunds/refundrequest/{refund.pk}/review/")
    expect(page.locator("[data-testid=four-eyes]")).to_be_visible()
    assert page.locator("input[name=decision]").count() == 0
    expect(page.locator("[data-testid=refund-amount]")).to_have_text("$15.00")
    desk.snap("backoffice-refund-review-requester")
    # Bob, another reviewer, approves it from the same page.
    page.context.clear_cookies()
    sign_in(desk, reviewer, with_device(reviewer))
    page.click("[data-tile=refunds_in_review]")
    page.get_by_role("link", name=refund.public_id).click()
    page.get_by_role("link", name="Review this refund").click()
    expect(page.locator("input[name=decision]").first).to_be_visible()
    assert_fits(page, "the refund review")
    desk.snap("backoffice-refund-review")
    page.check("input[name=decision][value=approve]")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(f"Approved {refund.public_id}")).to_be_visible()
    refund.refresh_from_db()
    assert refund.reviewed_by == reviewer and refund.state != RefundRequest.State.UNDER_REVIEW


def test_a_finance_clerk_reads_the_dashboard_in_money_not_minor_units(desk, api):
    from datetime import timedelta

    from django.utils import timezone

    from ledger.models import PaymentAnalytics, Payout

    today = timezone.localdate()
    for back, (volume, attempts, succeeded) in enumerate([(1234550, 40, 38), (987600, 31, 30), (1500000, 50, 46)]):
        PaymentAnalytics.objects.create(
            merchant=api.merchant, date=today - timedelta(days=back), currency="USD", total_transactions=attempts,
            successful_transactions=succeeded, total_amount=volume, total_refunds=volume // 20,
            total_fees=volume * 3 // 100, net_amount=volume - volume // 20 - volume * 3 // 100,
        )  # fmt: skip
    Payout.objects.create(
        merchant=api.merchant, amount=2180025, currency="USD", payout_date=today, arrival_date=today, reference="po_1"
    )
    clerk = staff_user("fiona", FINANCE_CLERK)
    sign_in(desk, clerk, with_device(clerk))
    page = desk.page
    page.get_by_role("link", name="Finance dashboard").first.click()
    expect(page.locator("[data-testid=finance-filter]")).to_be_visible()
    page.select_option("select[name=merchant]", label=api.merchant.name)
    page.fill("input[name=days]", "14")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"days=14"))
    totals = page.locator("[data-testid=finance-totals]")
    expect(totals.locator("[data-figure=volume]")).to_contain_text("$37,221.50")
    expect(totals.locator("[data-figure=success_rate]")).to_contain_text("94.2 %")
    payouts = page.locator("[data-testid=payout-totals]")
    headers = payouts.locator("thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers] == ["currency", "status", "payouts", "amount"]
    # Each header in its own cell, apart from the next: the table is laid out, not run together.
    boxes = [payouts.locator("thead th").nth(i).bounding_box() for i in range(4)]
    assert all(left["x"] + left["width"] <= right["x"] + 1 for left, right in zip(boxes, boxes[1:], strict=False))
    expect(payouts).to_contain_text("$21,800.25")
    # The charts are drawn, with money on the axis in dollars (Chart.js renders a canvas).
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 5")
    ticks = page.evaluate(
        "() => Object.values(Chart.instances).filter(c => c.canvas.closest('section').querySelector('h2')"
        ".textContent.startsWith('Daily volume')).map(c => c.scales.y.ticks.map(t => t.label))[0]"
    )
    assert ticks and all(str(label).startswith("$") for label in ticks), ticks
    assert_fits(page, "the finance dashboard")
    desk.snap("backoffice-finance-dashboard")


def test_a_support_agent_notes_an_order_and_resends_its_receipt(desk, api):
    from django.core import mail

    from checkout.models import Order
    from core.backoffice.roles import SUPPORT_AGENT
    from merchants.audit.models import AuditEntry

    checkout_id = ready_session(api, SHIPPED_CART)["checkout_id"]
    pay(api, checkout_id)
    order = ok(finalize(api, checkout_id), 201)["order"]
    mail.outbox.clear()
    agent = staff_user("sam", SUPPORT_AGENT)
    sign_in(desk, agent, with_device(agent))
    page = desk.page
    page.get_by_role("link", name="Orders").first.click()
    page.fill("#searchbar", order["id"])
    page.keyboard.press("Enter")
    page.get_by_role("link", name=order["id"]).first.click()
    expect(page.locator("[data-testid=order-summary]")).to_be_visible()
    page.fill("textarea[name=note]", "Shopper called: the mug arrived chipped; photo requested.")
    page.get_by_role("button", name="Add note").click()
    notes = page.locator("[data-testid=support-notes]")
    expect(notes).to_contain_text("the mug arrived chipped")
    expect(notes).to_contain_text("staff:sam")
    page.fill("input[name=email]", "ada.work@example.org")
    page.get_by_role("button", name="Resend receipt").click()
    expect(page.get_by_text("The confirmation email is on its way to ada.work@example.org")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["ada.work@example.org"]]
    assert Order.objects.get(public_id=order["id"]).receipt_id in mail.outbox[0].body
    assert AuditEntry.objects.filter(object_id=order["id"], actor="staff:sam").count() == 3  # note, request, sent
    expect(page.locator("[data-testid=resend-receipt]")).to_contain_text("Last sent")
    assert_fits(page, "the order page with its support notes")
    desk.snap("backoffice-support-order")
