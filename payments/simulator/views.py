"""The simulator's 3-D Secure challenge page, like Stripe's test page: two buttons.

Served under the simulator's own prefix (/simulator/), not the API: it stands for the
card issuer's page a shopper is redirected to.
"""

from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from core.money import Money
from payments.simulator import processor
from payments.simulator.models import SimulatorCharge

RESULTS = {"complete": True, "fail": False}


@csrf_protect
@require_http_methods(["GET", "POST"])
def challenge(request, reference):
    charge = processor.charge_get(reference=reference)
    if charge is None:
        raise Http404("No such challenge.")
    if request.method == "POST":
        if request.POST.get("result") not in RESULTS:
            return HttpResponseBadRequest("Choose to complete or to fail the authentication.")
        charge = processor.charge_authenticate(reference=reference, success=RESULTS[request.POST["result"]])
        if charge.return_url:
            return HttpResponseRedirect(charge.return_url, status=303)
    context = {
        "charge": charge,
        "amount": Money(charge.amount, charge.currency).format(),
        "pending": charge.status == SimulatorCharge.Status.REQUIRES_ACTION,
    }
    response = render(request, "simulator/challenge.html", context)
    # An issuer's 3-D Secure page is shown inside the checkout that asks for it, embedded
    # checkouts included (the merchant's page, then our frame, then this one): it may be
    # framed anywhere, as the card schemes' challenge pages are. It holds nothing to
    # click-jack but a test card's pass/fail.
    response._csp_replace = {"frame-ancestors": ["*"]}
    response.xframe_options_exempt = True
    return response
