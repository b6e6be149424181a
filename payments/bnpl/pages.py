"""The shopper's page to pay a failed or overdue installment late, linked from the
failure email: the signed link grants this browser that one installment, then a card
form pays it through the same service as POST /installments/{id}/pay."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.languages import locale_language, supported_language
from core.money import Money
from payments.bnpl.models import Installment
from payments.bnpl.providers.simulator_views import ProviderCardForm
from payments.bnpl.services.installments import installment_pay
from payments.bnpl.services.notify import pay_late_token_check, shopper_date, shopper_locale, state_name
from payments.exceptions import CardError, GatewayUnavailable
from payments.services.methods import payment_method_tokenize

GRANTS = "bnpl_installments"
PAYABLE = (Installment.State.FAILED, Installment.State.OVERDUE)


def _granted(request, installment_id: str) -> bool:
    return installment_id in request.session.get(GRANTS, [])


def _language(request, installment: Installment | None) -> str:
    """The plan's language (its emails', whose link brought the shopper here) once this
    browser holds the grant; before that, the browser's."""
    if installment is not None and _granted(request, installment.public_id) and installment.plan.locale:
        return locale_language(installment.plan.locale)
    return supported_language(translation.get_language_from_request(request)) or "en"


def _page(request, context: dict, *, status: int = 200):
    return render(request, "bnpl/pay_installment.html", {**context, "lang": translation.get_language()}, status=status)


@csrf_protect
@sensitive_post_parameters("number", "cvc", "expiry")
@require_http_methods(["GET", "POST"])
def pay_installment(request, installment_id):
    installment = Installment.objects.select_related("merchant", "plan").filter(public_id=installment_id).first()
    with translation.override(_language(request, installment)):
        return _pay_installment(request, installment_id, installment)


def _pay_installment(request, installment_id, installment):
    if "token" in request.GET:
        if pay_late_token_check(request.GET["token"]) != installment_id:
            return _page(request, {"invalid": True}, status=404)
        request.session[GRANTS] = [*request.session.get(GRANTS, [])[-9:], installment_id]
        return HttpResponseRedirect(request.path, status=302)
    if installment is None or not _granted(request, installment_id):
        return _page(request, {"invalid": True}, status=404)
    form = ProviderCardForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    card_entry = installment.merchant.gateway == "simulator"
    if request.method == "POST" and installment.state in PAYABLE and card_entry:
        if form.is_valid():
            month, year = form.cleaned_data["expiry"]
            try:
                method = payment_method_tokenize(
                    merchant_id=installment.merchant_id,
                    number=form.cleaned_data["number"],
                    exp_month=month,
                    exp_year=year,
                    cvc=form.cleaned_data["cvc"],
                )
                installment_pay(
                    merchant_id=installment.merchant_id,
                    installment_id=installment_id,
                    payment_method_id=method.public_id,
                    actor="shopper",
                )
                return HttpResponseRedirect(request.path, status=303)
            except CardError:
                error, status = gettext("Your card was declined. Please try another card."), 402
            except GatewayUnavailable:
                error = gettext("We couldn't reach the payment processor. Please try again in a moment.")
                status = 503
            except DomainError as exc:
                error, status = exc.message, exc.status_code
        else:
            status = 400
        installment.refresh_from_db()
    context = {
        "installment": installment,
        "merchant": installment.merchant,
        "amount": Money(installment.amount, installment.currency).format(shopper_locale(installment.plan.locale)),
        "due": shopper_date(installment.due_date, installment.plan.locale),
        "state": state_name(installment.state),
        "payable": installment.state in PAYABLE,
        "card_entry": card_entry,
        "form": form,
        "error": error,
    }
    return _page(request, context, status=status)
