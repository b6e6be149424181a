import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from checkout.models import Calculation, CheckoutSession, SessionEvent
from tests.checkout.pricing_helpers import promotion, ready_to_pay, tax_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-not-used-elsewhere")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def calculated(api, session):
    tax_rate(api.merchant, "US", "", 1000)
    promotion(api.merchant, "SAVE10")
    ready_to_pay(api, session["checkout_id"], api.merchant)
    return CheckoutSession.objects.get(public_id=session["checkout_id"])


def test_session_admin_lists_and_shows_read_only(staff, calculated):
    changelist = staff.get("/admin/checkout/checkoutsession/", {"status": "collecting", "q": calculated.public_id})
    assert changelist.status_code == 200
    assert calculated.public_id in changelist.content.decode()
    grand_total = f"${calculated.current_calculation.grand_total / 100:,.2f}"
    assert grand_total in changelist.content.decode()

    detail = staff.get(f"/admin/checkout/checkoutsession/{calculated.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert grand_total in page and "TSHIRT-M" in page and "calculation.created" in page
    assert 'name="status"' not in page  # no editable state field
    assert staff.get("/admin/checkout/checkoutsession/add/").status_code == 403
    assert staff.get(f"/admin/checkout/checkoutsession/{calculated.pk}/delete/").status_code == 403


def test_session_admin_cancel_action_goes_through_the_service(staff, calculated):
    response = staff.post(
        "/admin/checkout/checkoutsession/",
        {"action": "cancel_sessions", "_selected_action": [calculated.pk]},
    )
    assert response.status_code == 302
    calculated.refresh_from_db()
    assert calculated.status == "canceled"
    last = SessionEvent.objects.filter(session=calculated).last()
    assert (last.type, last.actor) == ("status.canceled", "staff:admin")


def test_calculation_promotion_and_tax_admins_render(staff, calculated):
    calc = Calculation.objects.get(session=calculated)
    promo = calculated.merchant.promotions.get()
    rate = calculated.merchant.tax_rates.get()
    for path in (
        "/admin/checkout/calculation/",
        f"/admin/checkout/calculation/{calc.pk}/change/",
        "/admin/checkout/promotion/",
        f"/admin/checkout/promotion/{promo.pk}/change/",
        "/admin/checkout/promotion/add/",
        "/admin/checkout/taxrate/",
        f"/admin/checkout/taxrate/{rate.pk}/change/",
        "/admin/checkout/taxrate/add/",
    ):
        assert staff.get(path).status_code == 200, path
    assert staff.get(f"/admin/checkout/calculation/{calc.pk}/delete/").status_code == 403


def test_promotion_form_refuses_a_fixed_amount_without_currency(staff, calculated):
    response = staff.post(
        "/admin/checkout/promotion/add/",
        {"merchant": calculated.merchant_id, "code": "FIX", "kind": "fixed", "amount_off": 100, "currency": ""},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "needs the currency" in response.content.decode()
    assert not calculated.merchant.promotions.filter(code="FIX").exists()
