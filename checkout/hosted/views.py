"""The hosted checkout pages. Thin: parse the form, call one hosted service, redirect
(post → redirect → get), render. Which page a session belongs on is decided in
selectors.hosted_stage; every view is guarded by pages.hosted_page."""

import logging

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from checkout.hosted import services
from checkout.hosted.access import grant_drop, grant_from_token, hosted_view, link_invalid
from checkout.hosted.forms import AddressForm, CardForm, DeliveryForm, DetailsForms, StripeCardForm
from checkout.hosted.pages import first_missing_step, go, hosted_page, page, receipt_url, return_url
from checkout.hosted.selectors import decline_message, hosted_session_get, hosted_stage, session_payment
from checkout.hosted.summary import babel_locale, delivery_choices
from checkout.hosted.summary import money as summary_money
from checkout.models import Address, CheckoutSession
from checkout.order_selectors import order_for_session, order_payments
from checkout.receipts import payment_rows, receipt_installments
from checkout.selectors import session_address, session_requires_shipping
from core.client_ip import client_ip
from core.exceptions import Conflict, DomainError, InvalidStateTransition
from payments.bnpl.selectors import pay_later_step
from payments.exceptions import CardError, GatewayUnavailable
from payments.selectors import (
    attempts_remaining,
    bank_transfer_shown,
    payment_has_failed,
    payment_is_held,
    payment_needs_action,
    payment_review_open,
)
from payments.services import payment_intent_authentication_complete

logger = logging.getLogger(__name__)
Status = CheckoutSession.Status

# How often the waiting and processing pages reload, and how long the success page shows
# before it sends the browser back to the store (seconds).
REFRESH_SECONDS = 3
RETURN_SECONDS = 5
# A bank transfer takes hours or days to reach the statement: its page looks less often.
TRANSFER_REFRESH_SECONDS = 60
# What session_payment_intent_create says when the totals the shopper saw are not payable.
TOTALS_CHANGED = frozenset({"calculation_missing", "stale_calculation", "nothing_to_pay"})


@require_GET
def entry(request, checkout_id):
    """The link the merchant hands out. With `?token=` it grants access and redirects to
    the clean URL; without, it sends the shopper to the page the session is on."""
    if "token" in request.GET:
        if not grant_from_token(request, checkout_id=checkout_id, token=request.GET["token"]):
            return link_invalid(request)
        return redirect("hosted:entry", checkout_id)
    return _dispatch(request, checkout_id)


@require_GET
def embed_entry(request, checkout_id):
    """The embedded checkout's first page (checkout.js puts it in the merchant's iframe):
    trades the embed token for a grant that renders the frame variant of every page."""
    if not grant_from_token(request, checkout_id=checkout_id, token=request.GET.get("token", ""), embedded=True):
        return link_invalid(request)
    return _embed_redirect(request, checkout_id)


@hosted_view
def _embed_redirect(request, session):
    # Through hosted_view, so even this redirect carries the merchant's frame-ancestors.
    return redirect("hosted:entry", session.public_id)


@hosted_view
def _dispatch(request, session):
    return go(session, hosted_stage(session, session_payment(session)))


# --- editing: review, details, delivery ---------------------------------------------------


@require_GET
@hosted_page("review")
def review(request, session, payment):
    return page(request, session, "review.html", step="review", next_step=first_missing_step(session) or "payment")


def _likely_country(session) -> str:
    """The country the address form starts on: the session locale's (de_DE: Germany), else
    the merchant's. A guess the shopper changes with one choice, never a rule. en_US is
    what a session created without a locale stores, so it says nothing of the shopper."""
    if session.locale == CheckoutSession._meta.get_field("locale").default:
        return session.merchant.country
    region = (session.locale or "").replace("-", "_").partition("_")[2].upper()
    return region if region in countries else session.merchant.country


def _address_initial(session, kind):
    address = session_address(session, kind)
    if address is None:
        return {"country": _likely_country(session), "name": session.customer_name}
    return {name: getattr(address, name) for name in AddressForm.AUTOCOMPLETE}


def _details_initial(session) -> dict:
    shipping = _address_initial(session, Address.Kind.SHIPPING)
    billing = _address_initial(session, Address.Kind.BILLING)
    return {
        "contact": {"email": session.customer_email, "phone": session.customer_phone},
        "shipping": shipping,
        "billing": billing,
        "billing_same": session_address(session, Address.Kind.BILLING) is None or billing == shipping,
    }


@require_http_methods(["GET", "POST"])
@hosted_page("details")
def details(request, session, payment):
    ships = session_requires_shipping(session)
    data = request.POST if request.method == "POST" else None
    forms = DetailsForms(data, ships=ships, initial=_details_initial(session))
    if request.method == "POST" and forms.is_valid():
        contact, shipping, billing = forms.values()
        try:
            services.hosted_details_save(session=session, contact=contact, shipping=shipping, billing=billing)
            if ships:
                return go(session, "shipping", post=True)
            services.hosted_calculate(session=session)
            return _place(session)
        except InvalidStateTransition:
            return go(session, "review", post=True)
        except DomainError as error:
            forms.add_domain_error(error)
    return page(request, session, "details.html", step="details", forms=forms.as_dict(), ships=ships)


@require_http_methods(["GET", "POST"])
@hosted_page("shipping")
def shipping(request, session, payment):
    if not session_requires_shipping(session):
        return go(session, "details", post=request.method == "POST")
    if session_address(session, Address.Kind.SHIPPING) is None:
        return go(session, "details", post=request.method == "POST")
    choices = delivery_choices(session)
    values = [option["value"] for option in choices["options"] + choices["pickups"]]
    if choices["parcels"]:
        values.insert(0, choices["parcels"]["value"])
    form = DeliveryForm(
        request.POST if request.method == "POST" else None,
        choices=values,
        initial={"choice": choices["selected"] or (values[0] if values else "")},
    )
    if request.method == "POST" and form.is_valid():
        kind, ident = form.selection()
        try:
            services.hosted_delivery_choose(session=session, kind=kind, ident=ident)
            return _place(session)
        except InvalidStateTransition:
            return go(session, "review", post=True)
        except DomainError as error:
            form.add_domain_error(error, fields={"shipping_option_id": "choice", "pickup_location_id": "choice"})
    address = session_address(session, Address.Kind.SHIPPING)
    return page(request, session, "shipping.html", step="shipping", form=form, choices=choices, address=address)


def _place(session):
    """After the last editing step the order is placed: on to payment, or to wait for the
    merchant's approval. Raises session_place's DomainError for the caller's form when
    something still blocks the order."""
    try:
        placed = services.hosted_place(session=session)
    except DomainError as error:
        if error.code != "session_not_ready":
            raise
        blockers = error.extra.get("blockers") or []
        raise DomainError(" ".join(b["message"] for b in blockers) or error.message, code=error.code) from error
    return go(session, "waiting" if placed.status == Status.AWAITING_APPROVAL else "payment", post=True)


# --- waiting for the merchant --------------------------------------------------------------


@require_GET
@hosted_page("waiting")
def waiting(request, session, payment):
    return page(request, session, "waiting.html", refresh=REFRESH_SECONDS)


# --- payment ---------------------------------------------------------------------------------


def _card_entry_here(session) -> bool:
    """Only the simulator takes card numbers through our server (see the package docstring)."""
    return session.merchant.gateway == "simulator"


def _stripe_mode(session) -> bool:
    """Stripe merchants' cards are entered in Stripe.js's card Element (package docstring)."""
    return session.merchant.gateway == "stripe"


def _stripe_context(session, **extra) -> dict:
    return {
        "stripe": {
            "js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "setup_url": reverse("hosted:payment-stripe-setup", args=[session.public_id]),
            **extra,
        }
    }


GIFT_CARD_MESSAGES = {
    "gift_card_not_found": _("We couldn't find a gift card with that code. Check it and try again."),
    "gift_card_expired": _("This gift card has expired."),
    "gift_card_disabled": _("This gift card can no longer be used."),
    "gift_card_currency_mismatch": _("This gift card is in another currency."),
    "gift_card_empty": _("This gift card has no balance left."),
    "nothing_to_pay": _("Your gift cards already cover this order."),
    "too_many_attempts": _("Too many codes were tried. Please wait a few minutes and try again."),
}


def _wallet_context(session) -> dict:
    from checkout.services.wallet import session_wallet

    wallet = session_wallet(session)

    def money(amount):
        return summary_money(session, amount)

    cards = [
        {**item, "applied": money(item["applied_amount"])} for item in wallet["applied"] if item["type"] == "gift_card"
    ]
    return {
        "gift_cards": cards,
        "wallet_covered": wallet["amount_due"] <= 0 and bool(cards),
        "amount_due": money(wallet["amount_due"]),
        "wallet_total": money(wallet["gift_card_total"] + wallet["store_credit_total"]),
    }


def _pay_later_declined(payment) -> bool:
    """The provider refused this session's shopper credit: asking again would get the same
    answer, so the plans are not offered again (the decline's message says why)."""
    error = (payment.last_error or {}) if payment is not None else {}
    return error.get("code") == "bnpl_declined" and error.get("decline_code") != "checkout_expired"


def _pay_later_context(session, wallet: dict, payment=None, declined: bool = False) -> dict:
    if wallet["gift_cards"] or not _card_entry_here(session) or declined or _pay_later_declined(payment):
        return {"pay_later_plans": []}
    from checkout.services.wallet import session_wallet

    plans = services.hosted_pay_later_plans(session, session_wallet(session)["amount_due"])
    for plan in plans:
        # The default plans' names are in the catalog; a merchant's own name passes through.
        name = plan["name"]
        first, *rest = plan["installments"]
        values = {
            "name": gettext(name),
            "count": plan["installment_count"],
            "each": summary_money(session, rest[-1] if rest else first),
            "every": _every(plan["interval"]),
        }
        if rest and first != rest[-1]:
            # The cents that don't divide evenly are taken with the first payment: say so,
            # the shopper sees that amount at the provider a moment later.
            values.update(first=summary_money(session, first), rest=len(rest))
            plan["label"] = gettext("%(name)s: %(first)s today, then %(rest)s payments of %(each)s, %(every)s") % values
        else:
            plan["label"] = gettext("%(name)s: %(count)s payments of %(each)s, %(every)s") % values
    return {"pay_later_plans": plans}


def _every(interval: str) -> str:
    """A plan's interval ("14 days", "1 month") as the shopper reads it."""
    count, unit = interval.split(" ", 1)
    count = int(count)
    unit = unit.rstrip("s")
    if count == 1:
        return {"day": gettext("every day"), "week": gettext("every week"), "month": gettext("every month")}.get(
            unit, interval
        )
    phrases = {
        "day": ngettext("every %(count)s day", "every %(count)s days", count),
        "week": ngettext("every %(count)s week", "every %(count)s weeks", count),
        "month": ngettext("every %(count)s month", "every %(count)s months", count),
    }
    return phrases[unit] % {"count": count} if unit in phrases else interval


def _back_step(session) -> str | None:
    """Where the payment page's Back link goes: the last editing step, while the order
    may still change (not once the merchant approved it or a payment is under way)."""
    if not session.is_editable:
        return None
    return "shipping" if session_requires_shipping(session) else "details"


def _payment_page(
    request,
    session,
    payment,
    form,
    *,
    status=200,
    gift_card_error="",
    pay_later_error="",
    pay_later_declined=False,
    bank_transfer_error="",
):
    previous_failed = payment is not None and payment_has_failed(payment)
    wallet = _wallet_context(session)
    transfer_offered = not wallet["gift_cards"] and services.hosted_bank_transfer_offered(session)
    return page(
        request,
        session,
        "payment.html",
        step="payment",
        form=form,
        card_entry=_card_entry_here(session),
        **(_stripe_context(session) if _stripe_mode(session) else {}),
        previous_error=decline_message(payment) if previous_failed else "",
        approved=session.approved_at is not None,
        gift_card_error=gift_card_error,
        pay_later_error=pay_later_error,
        bank_transfer_offered=transfer_offered,
        bank_transfer_error=bank_transfer_error,
        back_step=_back_step(session),
        **wallet,
        **_pay_later_context(session, wallet, payment, pay_later_declined),
        status=status,
    )


@sensitive_post_parameters("number", "cvc", "expiry")
@require_http_methods(["GET", "POST"])
@hosted_page("payment")
def payment_view(request, session, payment):
    if request.method == "GET":
        return _payment_page(request, session, payment, CardForm())
    if _stripe_mode(session):
        return _stripe_payment_post(request, session, payment)
    if not _card_entry_here(session):
        return _payment_page(request, session, payment, CardForm(), status=400)
    form = CardForm(request.POST)
    if not form.is_valid():
        return _payment_page(request, session, payment, form)
    wait = services.hosted_card_attempt_wait(session=session, ip=request.META.get("REMOTE_ADDR", ""))
    if wait:
        return _too_many_attempts(request, session, payment, form, wait)
    month, year = form.cleaned_data["expiry"]
    return _pay(
        request,
        session,
        payment,
        form,
        lambda: services.hosted_card_pay(
            session=session,
            number=form.cleaned_data["number"],
            exp_month=month,
            exp_year=year,
            cvc=form.cleaned_data["cvc"],
            ip=client_ip(request),
            device_fingerprint=form.cleaned_data["device_fingerprint"],
        ),
    )


def _too_many_attempts(request, session, payment, form, wait):
    form.add_error(None, _("Too many payment attempts. Please wait a few minutes and try again."))
    response = _payment_page(request, session, payment, form, status=429)
    response["Retry-After"] = str(wait)
    return response


def _stripe_payment_post(request, session, payment):
    """The card form of Stripe mode, posted by stripe_card.js once Stripe.js has set the
    card up: only the SetupIntent's id (and the device fingerprint) reach us."""
    form = StripeCardForm(request.POST)
    if not form.is_valid():
        return _payment_page(request, session, payment, form, status=400)
    return _pay(
        request,
        session,
        payment,
        form,
        lambda: services.hosted_stripe_pay(
            session=session,
            setup_intent=form.cleaned_data["setup_intent"],
            ip=client_ip(request),
            device_fingerprint=form.cleaned_data["device_fingerprint"],
        ),
    )


def _pay(request, session, payment, form, pay):
    """Runs one card payment (`pay()`), then sends the shopper where it leads: the bank's
    page, the outcome, or back to the form with why."""
    try:
        paid = pay()
    except CardError as error:
        if CardForm.PARAMS.get(error.param) in form.fields:
            # Refused by the vault before any attempt: the shopper fixes the field.
            form.add_error(CardForm.PARAMS[error.param], decline_message(None, error.code))
            return _payment_page(request, session, payment, form)
        return _dispatch_after_post(session)
    except GatewayUnavailable:
        logger.warning("gateway unavailable for hosted payment of %s", session.public_id)
        form.add_error(None, _("We couldn't reach the payment processor. Please try again in a moment."))
        return _payment_page(request, session, payment, form, status=503)
    except Conflict as error:
        if error.code in TOTALS_CHANGED:
            form.add_error(None, _("Your order changed since its total was shown. Please review it and pay again."))
            return _payment_page(request, session, payment, form, status=409)
        return _dispatch_after_post(session)
    except InvalidStateTransition:
        return _dispatch_after_post(session)
    except DomainError as error:
        if error.error_type == "card_error":
            # Declined before the gateway (a fraud block, a merchant's limit): the shopper
            # reads a decline in their language, never which check refused it.
            form.add_error(None, decline_message(None, error.code))
            return _payment_page(request, session, payment, form, status=error.status_code)
        form.add_domain_error(error, fields=CardForm.PARAMS)
        return _payment_page(request, session, payment, form)
    if payment_needs_action(paid) and (paid.next_action or {}).get("url"):
        # The 3-D Secure hand-off: the bank's page, which sends the browser back to
        # hosted:payment-return when the shopper is done.
        return HttpResponseRedirect(paid.next_action["url"], status=303)
    return _dispatch_after_post(session)


@require_POST
@hosted_page("payment")
def payment_stripe_setup(request, session, payment):
    """Stripe mode, called by stripe_card.js when the shopper pays: a SetupIntent's
    client_secret for Stripe.js to confirm the card Element with. Counted against the
    card-testing limits, as a posted card is."""
    if not _stripe_mode(session):
        return JsonResponse({"error": {"code": "stripe_mode_off", "message": "Not a Stripe checkout."}}, status=400)
    wait = services.hosted_card_attempt_wait(session=session, ip=request.META.get("REMOTE_ADDR", ""))
    if wait:
        message = str(_("Too many payment attempts. Please wait a few minutes and try again."))
        response = JsonResponse({"error": {"code": "rate_limited", "message": message}}, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        client_secret = services.hosted_stripe_card_setup(session=session)
    except DomainError as error:
        logger.warning("stripe card setup for %s failed: %s", session.public_id, error.code)
        message = str(_("We couldn't reach the payment processor. Please try again in a moment."))
        return JsonResponse({"error": {"code": error.code, "message": message}}, status=error.status_code)
    return JsonResponse({"client_secret": client_secret})


@require_POST
@hosted_page("payment")
def payment_wallet(request, session, payment):
    """ "Add a gift card", remove one, or complete an order the gift cards cover whole."""
    action = request.POST.get("action", "")
    try:
        if action == "apply":
            code = request.POST.get("code", "")[:64]
            services.hosted_gift_card_apply(session=session, code=code, ip=client_ip(request))
        elif action == "remove":
            services.hosted_gift_card_remove(session=session, gift_card_id=request.POST.get("gift_card_id", "")[:40])
        elif action == "complete":
            services.hosted_finalize(session=session)
            return _dispatch_after_post(session)
        else:
            return _payment_page(request, session, payment, CardForm(), status=400)
    except DomainError as error:
        message = GIFT_CARD_MESSAGES.get(error.code, error.message)
        response = _payment_page(
            request, session, payment, CardForm(), status=error.status_code, gift_card_error=message
        )
        if getattr(error, "retry_after", None):
            response["Retry-After"] = str(error.retry_after)
        return response
    return go(session, "payment", post=True)


@require_POST
@hosted_page("payment")
def payment_later(request, session, payment):
    """ "Pay in 4" (or another plan): off to the provider's page, or back with why not."""
    plan = request.POST.get("plan", "")[:40]
    if not plan or not _card_entry_here(session):
        return _payment_page(request, session, payment, CardForm(), status=400)
    try:
        applied = services.hosted_pay_later(session=session, plan=plan, ip=client_ip(request))
    except CardError as error:
        message = decline_message(None, (error.extra or {}).get("decline_code") or error.code)
        return _payment_page(
            request, session, payment, CardForm(), status=402, pay_later_error=message, pay_later_declined=True
        )
    except GatewayUnavailable:
        message = gettext("We couldn't reach the pay later provider. Please try again in a moment.")
        return _payment_page(request, session, payment, CardForm(), status=503, pay_later_error=message)
    except (Conflict, InvalidStateTransition):
        return _dispatch_after_post(session)
    except DomainError as error:
        return _payment_page(request, session, payment, CardForm(), status=400, pay_later_error=error.message)
    if payment_needs_action(applied) and (applied.next_action or {}).get("url"):
        return HttpResponseRedirect(applied.next_action["url"], status=303)
    return _dispatch_after_post(session)


@require_POST
@hosted_page("payment")
def payment_transfer(request, session, payment):
    """ "Pay by bank transfer": the instructions come next (the processing page), and that
    page waits for the statement's credit."""
    try:
        services.hosted_bank_transfer(session=session, ip=client_ip(request))
    except CardError:
        # Refused before the transfer was set up (a fraud block): recorded on the intent.
        return _dispatch_after_post(session)
    except (Conflict, InvalidStateTransition) as error:
        if error.code in TOTALS_CHANGED:
            message = _("Your order changed since its total was shown. Please review it and pay again.")
            return _payment_page(request, session, payment, CardForm(), status=409, bank_transfer_error=message)
        return _dispatch_after_post(session)
    except DomainError as error:
        if error.code == "bank_transfer_unavailable":
            message = _("This store doesn't take bank transfers at the moment. Please pay by card.")
        else:
            message = error.message
        return _payment_page(request, session, payment, CardForm(), status=400, bank_transfer_error=message)
    return _dispatch_after_post(session)


def _dispatch_after_post(session):
    """Where the shopper goes after a payment POST, decided on the session as it is now."""
    session = hosted_session_get(merchant_id=session.merchant_id, checkout_id=session.public_id)
    payment = session_payment(session)
    if hosted_stage(session, payment) == "success":
        services.hosted_finalize(session=session)
        session = hosted_session_get(merchant_id=session.merchant_id, checkout_id=session.public_id)
        payment = session_payment(session)
    return go(session, hosted_stage(session, payment), post=True)


@require_GET
@hosted_view
def payment_return(request, session):
    """Back from 3-D Secure. The redirect endpoint has asked the gateway already; ask
    again if it is still open, then send the shopper to the page that fits."""
    payment = session_payment(session)
    if payment is not None and payment_needs_action(payment):
        try:
            payment_intent_authentication_complete(
                merchant_id=session.merchant_id, payment_intent_id=payment.public_id, actor=services.ACTOR
            )
        except CardError:
            pass  # recorded on the intent: the failed page reads it from there
        except GatewayUnavailable:
            logger.warning("gateway unavailable after 3-D Secure for %s", session.public_id)
    return go(session, hosted_stage(session, session_payment(session)))


@require_GET
@hosted_page("processing")
def processing(request, session, payment):
    action = (payment.next_action or {}) if payment_needs_action(payment) else {}
    action_url = action.get("url", "")
    pay_later = pay_later_step(payment) if action_url else ""
    if pay_later == "wait":
        action_url = ""  # back from the provider: the first installment's charge decides now
    # A bank transfer waits for the shopper's transfer: its instructions, not a spinner,
    # and a slow check for the statement's credit (this is the page they come back to).
    transfer = bank_transfer_shown(payment, locale=babel_locale(session))
    # A payment the gateway is still deciding refreshes; a 3-D Secure step waits for the shopper.
    refresh = TRANSFER_REFRESH_SECONDS if transfer else None if action_url else REFRESH_SECONDS
    checking = payment_is_held(payment) and payment_review_open(payment)
    stripe = {}
    if _stripe_mode(session) and action.get("type") == "use_stripe_sdk":
        # Stripe.js runs 3-D Secure in this page; a reload would cut the shopper off.
        refresh = None
        stripe = _stripe_action(session, payment)
    return page(
        request, session, "processing.html", action_url=action_url, refresh=refresh, checking=checking,
        pay_later=pay_later, transfer=transfer,
        **stripe,
    )  # fmt: skip


def _stripe_action(session, payment) -> dict:
    try:
        secret = services.hosted_stripe_action_secret(payment=payment)
    except DomainError:
        logger.warning("stripe intent of %s could not be read for 3-D Secure", session.public_id)
        secret = ""
    return _stripe_context(
        session,
        authenticate=True,
        client_secret=secret,
        return_url=reverse("hosted:payment-return", args=[session.public_id]),
    )


@require_GET
@hosted_page("failed")
def failed(request, session, payment):
    return page(
        request,
        session,
        "failed.html",
        message=decline_message(payment),
        attempts_left=attempts_remaining(payment),
        leave_url=return_url(session, success=False),
    )


# --- outcomes ----------------------------------------------------------------------------------


@require_GET
@hosted_page("success")
def success(request, session, payment):
    order = order_for_session(session)
    if order is None:
        # Paid but not handed off yet (a 3-D Secure return, a webhook that came first):
        # finalize now; it is idempotent, and a failure leaves the session closed.
        order = services.hosted_finalize(session=session)
        session = hosted_session_get(merchant_id=session.merchant_id, checkout_id=session.public_id)
        if order is None and hosted_stage(session, session_payment(session)) != "success":
            return go(session, hosted_stage(session, session_payment(session)))
    # In a frame the merchant's page takes over on checkout.completed; the frame stays put.
    back = "" if request.hosted_embedded else return_url(session, success=True)
    return page(
        request,
        session,
        "success.html",
        payment=payment,
        order=order,
        receipt_url=receipt_url(order),
        plan=receipt_installments(order) if order is not None else None,
        method=payment.payment_method if payment else None,
        paid_with=_paid_with(session, order),
        leave_url=back,
        refresh=RETURN_SECONDS if back else None,
        refresh_url=back,
    )


def _paid_with(session, order) -> list[dict]:
    """Paid in parts (gift cards, store credit, a card): each with what it paid."""
    payments = order_payments(order) if order is not None else []
    return payment_rows(payments, lambda amount: summary_money(session, amount)) if len(payments) > 1 else []


def _outcome(template):
    @require_GET
    @hosted_page(template)
    def view(request, session, payment):
        return page(request, session, f"{template}.html", leave_url=return_url(session, success=False))

    view.__name__ = template
    return view


declined = _outcome("declined")
expired = _outcome("expired")


@require_GET
@hosted_page("closed")
def closed(request, session, payment):
    failed_payment = payment is not None and payment_has_failed(payment)
    return page(
        request,
        session,
        "closed.html",
        message=decline_message(payment) if failed_payment else "",
        leave_url=return_url(session, success=False),
    )


@require_POST
@hosted_view
def leave(request, session):
    """ "Return to store": back to the merchant's success or error URL with the checkout id.

    A finished checkout also ends this browser's access to it, so a shared computer does
    not keep showing the order to the next person. A POST, since it changes that access.
    """
    stage = hosted_stage(session, session_payment(session))
    url = return_url(session, success=stage == "success")
    if stage in ("success", "declined", "closed", "expired"):
        grant_drop(request, session.public_id)
    if not url:
        return go(session, stage, post=True)
    return HttpResponseRedirect(url, status=303)
