"""The simulator's 3-D Secure challenge page: two buttons, CSRF-protected posts."""

import pytest
from django.test import Client

from payments.simulator.models import SimulatorCharge
from tests.payments.helpers import THREE_DS, confirm, ok, paid_intent

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge(api):
    _, intent = paid_intent(api, THREE_DS)
    ok(confirm(api, intent["id"]))
    return f"/simulator/3ds/{SimulatorCharge.objects.get().reference}"


def test_page_shows_two_buttons_and_a_csrf_token(challenge):
    page = Client().get(challenge)
    html = page.content.decode()
    assert page.status_code == 200 and "csrfmiddlewaretoken" in html
    assert html.count('type="submit"') == 2
    assert ">Complete authentication<" in html and ">Fail authentication<" in html
    assert "$50.00" in html and "4242" not in html and "3184" in html
    assert "<script" not in html and "src=" not in html and "<link" not in html  # nothing fetched from outside


def test_post_without_csrf_is_refused(challenge):
    response = Client(enforce_csrf_checks=True).post(challenge, {"result": "complete"})
    assert response.status_code == 403
    assert SimulatorCharge.objects.get().status == "requires_action"


def test_post_with_an_unknown_answer_is_400(challenge):
    browser = Client(enforce_csrf_checks=True)
    browser.get(challenge)
    response = browser.post(challenge, {"result": "maybe", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 400


def test_answering_twice_changes_nothing(challenge):
    browser = Client()
    assert browser.post(challenge, {"result": "fail"}).status_code == 303
    assert browser.post(challenge, {"result": "complete"}).status_code == 303
    assert SimulatorCharge.objects.get().status == "failed"
    assert "finished" in browser.get(challenge).content.decode()


def test_unknown_challenge_is_404():
    assert Client().get("/simulator/3ds/sim_pi_nope").status_code == 404
