"""The shopper's page to pay a failed or overdue installment late, linked from the
failure email: the signed link grants this browser that one installment, then a card
form pays it through the same service as POST /installments/{id}/pay."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.money import Money
from payments.bnpl.models import Installment
from payments.bnpl.providers.simulator_views import ProviderCardForm
from payments.bnpl.services.installments import installment_pay
from payments.bnpl.services.notify import pay_late_token_check
from payments.exceptions import CardError, GatewayUnavailable
from payments.services.methods import payment_method_tokenize

GRANTS = "bnpl_installments"
PAYABLE = (Installment.State.FAILED, Installment.State.OVERDUE)


def _granted(request, installment_id: str) -> bool:
    return installment_id in request.session.get(GRANTS, [])


@csrf_protect
@sensitive_post_parameters("number", "cvc", "expiry")
@require_http_methods(["GET", "POST"])
def pay_installment(request, installment_id):
    if "token" in request.GET:
        if pay_late_token_check(request.GET["token"]) != installment_id:
            return render(request, "bnpl/pay_installment.html", {"invalid": True}, status=404)
        request.session[GRANTS] = [*request.session.get(GRANTS, [])[-9:], installment_id]
        return HttpResponseRedirect(request.path, status=302)
    installment = Installment.objects.select_related("merchant", "plan").filter(public_id=installment_id).first()
    if installment is None or not _granted(request, installment_id):
        return render(request, "bnpl/pay_installment.html", {"invalid": True}, status=404)
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
                error, status = "Your card was declined. Please try another card.", 402
            except GatewayUnavailable:
                error, status = "We couldn't reach the payment processor. Please try again in a moment.", 503
            except DomainError as exc:
                error, status = exc.message, exc.status_code
        else:
            status = 400
        installment.refresh_from_db()
    context = {
        "installment": installment,
        "merchant": installment.merchant,
        "amount": Money(installment.amount, installment.currency).format(),
        "payable": installment.state in PAYABLE,
        "card_entry": card_entry,
        "form": form,
        "error": error,
    }
    return render(request, "bnpl/pay_installment.html", context, status=status)
