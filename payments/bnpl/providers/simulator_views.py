"""The simulated BNPL provider's hosted checkout: the schedule, a card, agree or leave.

Served under the simulator's prefix (/simulator/bnpl/), like the 3-D Secure page: it
stands for the provider's own site, which the shopper is redirected to and back from.
"""

import re
from datetime import date

from django import forms
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.money import Money
from payments.bnpl import schedule
from payments.bnpl.providers import simulator
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class ProviderCardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    expiry = forms.CharField(label=_("Expiry (MM / YY)"), max_length=7)
    cvc = forms.CharField(label=_("Security code"), max_length=4, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_number(self):
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError(_("Your card number is incorrect."))
        return number

    def clean_expiry(self):
        match = _EXPIRY.match(self.cleaned_data["expiry"])
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError(_("Enter the expiry date as MM / YY."))
        year = int(match[2])
        return int(match[1]), year + 2000 if year < 100 else year

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError(_("Your card's security code is incomplete."))
        return cvc


def _schedule(checkout: SimulatorBNPLCheckout) -> list[dict]:
    slots = schedule.build(
        checkout.amount,
        timezone.localdate() if checkout.status == SimulatorBNPLCheckout.Status.OPEN else checkout.created_at.date(),
        count=checkout.installment_count,
        unit=checkout.interval_unit,
        every=checkout.interval_count,
    )
    today = date.today()
    return [
        {
            "sequence": slot.sequence,
            "amount": Money(slot.amount, checkout.currency).format(),
            "due": "Today" if slot.due_date == today else slot.due_date.strftime("%-d %B %Y"),
        }
        for slot in slots
    ]


@csrf_protect
@sensitive_post_parameters("number", "cvc", "expiry")
@require_http_methods(["GET", "POST"])
def checkout_page(request, reference):
    checkout = simulator.checkout_get(reference)
    if checkout is None:
        raise Http404("No such checkout.")
    form = ProviderCardForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "cancel":
            checkout = simulator.checkout_cancel(reference=reference)
            return HttpResponseRedirect(checkout.return_url or request.path, status=303)
        if action != "agree":
            return HttpResponseBadRequest("Agree to the plan or leave.")
        if checkout.status == SimulatorBNPLCheckout.Status.OPEN and form.is_valid():
            month, year = form.cleaned_data["expiry"]
            try:
                checkout = simulator.checkout_complete(
                    reference=reference,
                    number=form.cleaned_data["number"],
                    exp_month=month,
                    exp_year=year,
                    cvc=form.cleaned_data["cvc"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                return HttpResponseRedirect(checkout.return_url or request.path, status=303)
        elif checkout.status == SimulatorBNPLCheckout.Status.OPEN:
            status = 400
    context = {
        "checkout": checkout,
        "open": checkout.status == SimulatorBNPLCheckout.Status.OPEN,
        "total": Money(checkout.amount, checkout.currency).format(),
        "schedule": _schedule(checkout),
        "form": form,
    }
    return render(request, "simulator/bnpl_checkout.html", context, status=status)
