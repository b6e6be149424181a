"""The back office: read-only ledger pages and the finance dashboard's charts, drawn by
the vendored chart library served from our own static files (no CDN)."""

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from ledger.models import PaymentAnalytics, Payout

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/ledger/paymentanalytics/dashboard/"


def _staff(*codenames):
    user = get_user_model().objects.create_user("fin", "fin@example.com", "pw-not-used-elsewhere", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="ledger", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_charts_the_rolled_up_days_and_payouts(merchant):
    today = timezone.localdate()
    PaymentAnalytics.objects.create(
        merchant=merchant, date=today, currency="USD", total_transactions=4, successful_transactions=3,
        total_amount=9000, total_refunds=500, total_fees=400, chargeback_count=1,
    )  # fmt: skip
    Payout.objects.create(
        merchant=merchant, amount=100, currency="USD", payout_date=today, arrival_date=today, reference="po_x"
    )
    client = _staff("view_paymentanalytics")
    response = client.get(DASHBOARD, {"days": 7})
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ledger/vendor/chart.umd.js" in page and "cdn" not in page.lower()
    charts = json.loads(page.split('id="finance-charts" type="application/json">')[1].split("</script>")[0])
    titles = [c["title"] for c in charts]
    assert titles == [
        "Daily volume (USD)", "Success rate (%)", "Refunds, fees and disputes (USD)",
        "Disputes opened (USD)", "Payouts by status",
    ]  # fmt: skip
    assert charts[0]["labels"][-1] == today.isoformat() and len(charts[0]["labels"]) == 7
    # Amounts travel as integers in minor units with what the page needs to draw them in
    # major units ($90.00); rates and counts carry no currency.
    assert charts[0]["datasets"][0]["data"][-1] == 9000
    assert (charts[0]["currency"], charts[0]["exponent"]) == ("USD", 2)
    assert (charts[2]["currency"], charts[2]["exponent"]) == ("USD", 2)
    assert "currency" not in charts[1] and "currency" not in charts[3] and "currency" not in charts[4]
    assert charts[1]["datasets"][0]["data"][-1] == 75.0
    assert charts[4]["datasets"][0] == {"label": "pending", "data": [0] * 6 + [1]}
    assert page.count("<canvas") == 5
    totals = page.split('data-testid="finance-totals"')[1].split('class="bo-charts"')[0]
    for figure in ("$90.00", "75.0 %", "$5.00", "$4.00"):
        assert figure in totals, figure
    payouts = page.split('data-testid="payout-totals"')[1].split("</table>")[0]
    assert '<th scope="col" class="num">Amount</th>' in payouts and "$1.00" in payouts
    assert finders.find("ledger/vendor/chart.umd.js") and finders.find("ledger/js/dashboard.js")


def test_the_dashboard_needs_the_view_permission(db):
    assert _staff().get(DASHBOARD).status_code == 403


def test_ledger_pages_are_read_only(merchant):
    client = _staff("view_balancetransaction", "view_payout", "add_balancetransaction", "change_balancetransaction")
    assert client.get("/admin/ledger/balancetransaction/").status_code == 200
    assert client.get("/admin/ledger/balancetransaction/add/").status_code == 403
    assert client.get("/admin/ledger/payout/").status_code == 200
    assert date.today()


def test_the_sidebar_links_the_finance_dashboard_for_who_may_see_it(merchant):
    from django.test import RequestFactory

    from core.backoffice.navigation import visible_menu

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.create_user("fin2", "fin2@example.com", "pw-x", is_staff=True)
    request.user.user_permissions.set(Permission.objects.filter(codename="view_paymentanalytics"))
    links = {item.title: url for items in visible_menu(request).values() for item, url in items}
    assert links["Finance dashboard"] == DASHBOARD
    assert "Payouts" not in links  # no permission to view payouts
