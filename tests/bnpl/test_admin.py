"""Back office: plans with colour-coded installments, the collections list, and the three
actions through services, each behind its own permission and written to the trail."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from core.backoffice.roles import FINANCE_CLERK, SUPPORT_AGENT, grant_role_permissions
from merchants.audit.models import AuditEntry
from payments.bnpl.models import BNPLEvent, Installment, InstallmentPlan
from tests.backoffice.helpers import signed_in, staff_user
from tests.bnpl.helpers import bnpl_intent, card_starts_declining, complete_at_provider, confirm_bnpl, plan_card_token
from tests.payments.helpers import ok
from tests.payments.test_admin import login

pytestmark = pytest.mark.django_db(transaction=True)
INSTALLMENTS = "/admin/bnpl/installment/"
OVERDUE = "/admin/bnpl/overdueinstallment/"


@pytest.fixture
def overdue(api) -> Installment:
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    card_starts_declining(plan_card_token(intent["id"]))
    today = timezone.localdate()
    for day in (14, 15, 18, 25):
        call_command("bnpl_charge_installments", "--as-of", (today + timedelta(days=day)).isoformat())
    installment = Installment.objects.get(plan__payment__public_id=intent["id"], sequence=2)
    assert installment.state == "overdue"
    return installment


def _act(client, url, action, installment):
    return client.post(url, {"action": action, "_selected_action": [installment.pk]}, follow=True)


def test_plan_page_colours_each_installment_and_the_collections_list_shows_overdue(overdue):
    staff = login(superuser=True)
    plan = InstallmentPlan.objects.get(pk=overdue.plan_id)
    page = staff.get(f"/admin/bnpl/installmentplan/{plan.pk}/change/").content.decode()
    assert "bnpl-state-paid" in page and "bnpl-state-overdue" in page and "bnpl-state-pending" in page
    listing = staff.get(OVERDUE).content.decode()
    assert overdue.public_id in listing and "ada@example.com" in listing
    assert Installment.objects.get(plan=plan, sequence=1).public_id not in listing


def test_actions_need_their_permission_and_go_through_the_services(overdue):
    viewer = login("view_installment", "change_installment", "view_overdueinstallment", username="viewer")
    _act(viewer, OVERDUE, "mark_paid_offline", overdue)
    overdue.refresh_from_db()
    assert overdue.state == "overdue"

    clerk = login("view_overdueinstallment", "change_overdueinstallment", "settle_installment", username="clerk")
    _act(clerk, OVERDUE, "mark_paid_offline", overdue)
    overdue.refresh_from_db()
    assert overdue.state == "paid" and overdue.paid_offline
    trail = BNPLEvent.objects.filter(installment=overdue, type="installment.paid").get()
    assert trail.actor == "staff:clerk" and trail.from_state == "overdue"

    # A paid installment cannot go to collections: refused by the transition, reported.
    collector = login("view_installment", "change_installment", "collect_installment", username="collector")
    response = _act(collector, INSTALLMENTS, "send_to_collections", overdue)
    assert "cannot send to collections" in response.content.decode()


def test_send_to_collections_and_retry_now(overdue, api):
    collector = login("view_overdueinstallment", "change_overdueinstallment", "collect_installment", username="c2")
    _act(collector, OVERDUE, "send_to_collections", overdue)
    overdue.refresh_from_db()
    assert overdue.state == "collections"

    third = Installment.objects.get(plan_id=overdue.plan_id, sequence=3)
    call_command("bnpl_charge_installments", "--as-of", (timezone.localdate() + timedelta(days=28)).isoformat())
    third.refresh_from_db()
    assert third.state == "failed" and third.attempt_count == 1
    retrier = login("view_installment", "change_installment", "retry_installment", username="retrier")
    _act(retrier, INSTALLMENTS, "retry_now", third)
    third.refresh_from_db()
    assert third.state == "failed" and third.attempt_count == 2  # the card still declines; tried now


def test_finance_clerks_work_the_overdue_list_support_agents_only_read_and_the_audit_trail_shows_both(overdue):
    # A transactional test empties the tables the migration filled: its grants, once more.
    grant_role_permissions(apps, import_module("payments.bnpl.migrations.0005_staff_roles").ROLES)
    agent = signed_in(staff_user("sam", SUPPORT_AGENT))
    plan_page = agent.get(f"/admin/bnpl/installmentplan/{overdue.plan_id}/change/")
    assert plan_page.status_code == 200 and overdue.public_id in plan_page.content.decode()
    _act(agent, OVERDUE, "mark_paid_offline", overdue)
    overdue.refresh_from_db()
    assert overdue.state == "overdue"

    clerk = signed_in(staff_user("fiona", FINANCE_CLERK))
    listing = clerk.get(OVERDUE)
    assert listing.status_code == 200 and overdue.public_id in listing.content.decode()
    _act(clerk, OVERDUE, "mark_paid_offline", overdue)
    overdue.refresh_from_db()
    assert overdue.state == "paid" and overdue.paid_offline

    # The merchant's one audit trail has the job's dunning and the clerk's action.
    trail = AuditEntry.objects.filter(object_type="installment", object_id=overdue.public_id).order_by("id")
    assert [(e.action, e.actor) for e in trail if e.action in ("installment.overdue", "installment.paid")] == [
        ("installment.overdue", "system:bnpl"),
        ("installment.paid", "staff:fiona"),
    ]
    paid = trail.get(action="installment.paid")
    assert paid.actor_type == "staff" and paid.before == {"status": "overdue"} and paid.after == {"status": "paid"}
