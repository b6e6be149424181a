"""The back office's own forms (a staff refund request, a statement upload, the refund
review) drawn with the admin theme as its other forms are: inputs with a border, a submit
that looks like a button, radios chosen by clicking their words. Screenshots go to
tests/browser/artifacts/backoffice-form-*.png."""

import pytest
from playwright.sync_api import expect

from refunds.models import RefundRequest
from tests.backoffice.helpers import staff_user
from tests.browser.test_backoffice_journeys import desk, sign_in, with_device  # noqa: F401  (fixture)
from tests.checkout.finalize_helpers import pay, ready_session
from tests.refunds.helpers import review_limit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _looks_like_a_field(page, selector):
    style = page.locator(selector).evaluate(
        "el => { const s = getComputedStyle(el); return [s.borderTopStyle, s.borderTopWidth, s.borderRadius]; }"
    )
    assert style[0] != "none" and style[1] != "0px", (selector, style)


def _looks_like_a_button(page, name):
    button = page.get_by_role("button", name=name)
    expect(button).to_be_visible()
    background, padding = button.evaluate(
        "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.paddingLeft]; }"
    )
    assert background not in ("rgba(0, 0, 0, 0)", "transparent") and padding != "0px", (name, background, padding)


def test_the_staff_forms_use_the_admin_theme_and_review_radios_answer_their_words(desk, api):  # noqa: F811
    review_limit(api.merchant, 100)
    intent_id = pay(api, ready_session(api)["checkout_id"])["id"]
    admin = staff_user("root", superuser=True)
    page = desk.page
    sign_in(desk, admin, with_device(admin))

    page.goto(f"{desk.base}/admin/refunds/refundrequest/add/")
    for selector in ("input[name=payment_intent]", "input[name=amount]", "select[name=reason]", "textarea[name=note]",
                     "input[name=receipt_email]"):  # fmt: skip
        _looks_like_a_field(page, selector)
    _looks_like_a_button(page, "Request the refund")
    desk.snap("backoffice-form-refund-add")

    page.goto(f"{desk.base}/admin/reconciliation/statement/add/")
    for selector in ("select[name=merchant]", "select[name=format]", "textarea[name=csv_mapping]"):
        _looks_like_a_field(page, selector)
    _looks_like_a_button(page, "Import")
    desk.snap("backoffice-form-statement-upload")

    # A refund someone else asked for, reviewed by clicking the words of a choice.
    page.goto(f"{desk.base}/admin/refunds/refundrequest/add/")
    page.fill("input[name=payment_intent]", intent_id)
    page.fill("input[name=amount]", "15.00")
    page.select_option("select[name=reason]", "requested_by_customer")
    page.get_by_role("button", name="Request the refund").click()
    refund = RefundRequest.objects.get(payment__public_id=intent_id)
    refund_requester = staff_user("carol", superuser=True)
    RefundRequest.objects.filter(pk=refund.pk).update(requested_by_user=refund_requester)
    page.goto(f"{desk.base}/admin/refunds/refundrequest/{refund.pk}/review/")
    page.get_by_text("Approve", exact=True).click()
    expect(page.get_by_role("radio", name="Approve")).to_be_checked()
    desk.snap("backoffice-form-refund-review")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(f"Approved {refund.public_id}")).to_be_visible()
    expect(page.get_by_role("link", name="Review this refund")).to_have_count(0)
