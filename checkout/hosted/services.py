"""The hosted pages' writes: each is one shopper action, made of the checkout and payments
services that already exist (this module adds no rule of its own).

The actor is always "shopper": the grant, not a merchant key, let the browser in.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from checkout.locks import lock_session
from checkout.models import Address, CheckoutSession, Order
from checkout.services.approval import session_place
from checkout.services.customer import address_set, contact_set
from checkout.services.finalize import session_finalize
from checkout.services.fulfillment import shipment_plan_propose, shipment_plan_select
from checkout.services.payment import session_payment_intent_create
from checkout.services.pricing import session_calculate
from checkout.services.shipping import pickup_location_select, shipping_select
from core.exceptions import DomainError
from payments.models import PaymentTransaction
from payments.services import (
    card_setup_create,
    card_setup_method,
    payment_action_client_secret,
    payment_intent_confirm,
    payment_method_tokenize,
)
from payments.services.card_limits import card_attempt_count

logger = logging.getLogger(__name__)
ACTOR = "shopper"


def hosted_return_url(session: CheckoutSession) -> str:
    """Where the browser comes back to after 3-D Secure."""
    return settings.PUBLIC_BASE_URL + reverse("hosted:payment-return", args=[session.public_id])


def hosted_details_save(
    *, session: CheckoutSession, contact: dict, shipping: dict | None, billing: dict | None
) -> None:
    """Contact details and addresses, all saved or none: the services run as savepoints
    inside one transaction that locks the session first. Addresses go first so a phone
    without a country code is read in the shipping country."""
    ids = {"merchant_id": session.merchant_id, "checkout_id": session.public_id, "actor": ACTOR}
    with transaction.atomic():
        lock_session(merchant_id=session.merchant_id, checkout_id=session.public_id)
        if shipping is not None:
            address_set(kind=Address.Kind.SHIPPING, data=shipping, **ids)
        if billing is not None:
            address_set(kind=Address.Kind.BILLING, data=billing, **ids)
        contact_set(changes=contact, **ids)


def hosted_delivery_choose(*, session: CheckoutSession, kind: str, ident: str) -> None:
    """A shipping option or a pickup point, and the totals that follow from it, together:
    the shopper never sees a choice without its price."""
    ids = {"merchant_id": session.merchant_id, "checkout_id": session.public_id, "actor": ACTOR}
    with transaction.atomic():
        lock_session(merchant_id=session.merchant_id, checkout_id=session.public_id)
        if kind == "pickup":
            pickup_location_select(pickup_location_id=ident, **ids)
        elif kind == "plan":
            # Planned and chosen at once, under this lock: the parcels the page showed,
            # unless stock moved meanwhile (then the new plan's, or a shortfall to report).
            plan = shipment_plan_propose(**ids)
            shipment_plan_select(plan_id=plan.public_id, **ids)
        else:
            shipping_select(option_id=ident, **ids)
        session_calculate(**ids)


def hosted_calculate(*, session: CheckoutSession) -> None:
    """Fresh totals for a cart with nothing to ship (no delivery step to compute them)."""
    session_calculate(merchant_id=session.merchant_id, checkout_id=session.public_id, actor=ACTOR)


def hosted_card_attempt_wait(*, session: CheckoutSession, ip: str) -> int | None:
    """Counts a card submitted on the hosted page against the merchant's card-testing
    limits, per client IP and per session, as the API counts tokenize and confirm; the
    seconds to wait when over a limit, else None."""
    return card_attempt_count(merchant=session.merchant, ip=ip, session=session.public_id)


@sensitive_variables("number", "cvc")
def hosted_card_pay(
    *,
    session: CheckoutSession,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    ip: str = "",
    device_fingerprint: str = "",
) -> PaymentTransaction:
    """Vaults the card, then creates (or reuses) the session's intent and confirms it.

    The number and CVC go to the gateway's vault and nowhere else: no transaction is open,
    nothing here logs them, and `sensitive_variables` keeps them out of error reports.
    Tokenizing first means a mistyped number costs neither an intent nor an attempt.
    Raises what the services raise: IncorrectNumber and other CardErrors (402),
    AttemptsExhausted, InvalidStateTransition, Conflict (409), GatewayUnavailable (502).
    """
    method = payment_method_tokenize(
        merchant_id=session.merchant_id, number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc
    )
    return _pay_with_method(session, method, ip=ip, device_fingerprint=device_fingerprint)


def _pay_with_method(session: CheckoutSession, method, *, ip: str, device_fingerprint: str) -> PaymentTransaction:
    """The session's intent (made or reused), confirmed with a method the shopper just gave."""
    _, payment = session_payment_intent_create(
        merchant_id=session.merchant_id,
        checkout_id=session.public_id,
        actor=ACTOR,
        return_url=hosted_return_url(session),
    )
    return payment_intent_confirm(
        merchant_id=session.merchant_id,
        payment_intent_id=payment.public_id,
        payment_method_id=method.public_id,
        actor=ACTOR,
        ip=ip,
        device_fingerprint=device_fingerprint,
    )


def hosted_stripe_card_setup(*, session: CheckoutSession) -> str:
    """Stripe mode: the client secret of a SetupIntent, tagged with the session, for the
    page's card Element to confirm in the browser. Raises GatewayUnavailable."""
    return card_setup_create(merchant_id=session.merchant_id, metadata={"checkout_id": session.public_id})


def hosted_stripe_pay(
    *, session: CheckoutSession, setup_intent: str, ip: str = "", device_fingerprint: str = ""
) -> PaymentTransaction:
    """Stripe mode: the card Stripe.js set up in the browser pays the session's intent.

    The setup must be one made for this session and succeeded at Stripe
    (card_setup_method); raises its card_setup_incomplete (400), and what confirm raises.
    """
    method = card_setup_method(
        merchant_id=session.merchant_id, setup_id=setup_intent, metadata={"checkout_id": session.public_id}
    )
    return _pay_with_method(session, method, ip=ip, device_fingerprint=device_fingerprint)


def hosted_stripe_action_secret(*, payment: PaymentTransaction) -> str:
    """The client secret Stripe.js's confirmCardPayment needs for 3-D Secure."""
    return payment_action_client_secret(payment=payment)


def hosted_pay_later_plans(session: CheckoutSession, amount_due: int) -> list[dict]:
    """The buy now, pay later plans that take this session's amount (none when gift cards
    already pay part of it: a plan pays a whole order)."""
    from payments.bnpl.selectors import bnpl_method_offers

    offers = bnpl_method_offers(merchant=session.merchant, currency=session.currency, amount=amount_due)
    return [plan for offer in offers for plan in offer["plans"]]


def hosted_pay_later(*, session: CheckoutSession, plan: str, ip: str = "") -> PaymentTransaction:
    """The shopper chose a pay later plan: the session's intent (accepting card too, so a
    decline can be followed by a card) is confirmed with it. Raises BNPLDeclined (402)
    with the reason, and what confirm raises."""
    _, payment = session_payment_intent_create(
        merchant_id=session.merchant_id,
        checkout_id=session.public_id,
        actor=ACTOR,
        return_url=hosted_return_url(session),
        method_types=["card", "buy_now_pay_later"],
    )
    return payment_intent_confirm(
        merchant_id=session.merchant_id,
        payment_intent_id=payment.public_id,
        payment_method_data={"type": "buy_now_pay_later", "plan": plan},
        actor=ACTOR,
        ip=ip,
    )


def hosted_bank_transfer_offered(session: CheckoutSession) -> bool:
    """The merchant takes bank transfers (a valid receiving IBAN). Not beside gift cards:
    a transfer pays the whole order, as a pay later plan does."""
    from payments.capabilities import bank_transfer

    return bank_transfer(session.merchant)


def hosted_bank_transfer(*, session: CheckoutSession, ip: str = "") -> PaymentTransaction:
    """The shopper chose to pay by bank transfer: the session's intent is confirmed with a
    bank-transfer method and answers with the instructions (requires_action); the
    statement's credit completes it later. A second submit (a reload, a double click)
    answers with the transfer already waiting rather than a new reference. Raises
    bank_transfer_unavailable (400) and what confirm raises."""
    from payments.selectors import payment_awaits_transfer
    from payments.services.bank_transfers import bank_transfer_method_create

    if not hosted_bank_transfer_offered(session):
        # Refused before an intent is made for it (an old page, a crafted form).
        raise DomainError("This merchant does not take bank transfers.", code="bank_transfer_unavailable")
    _, payment = session_payment_intent_create(
        merchant_id=session.merchant_id,
        checkout_id=session.public_id,
        actor=ACTOR,
        return_url=hosted_return_url(session),
    )
    if payment_awaits_transfer(payment):
        return payment
    method = bank_transfer_method_create(merchant_id=session.merchant_id)
    return payment_intent_confirm(
        merchant_id=session.merchant_id,
        payment_intent_id=payment.public_id,
        payment_method_id=method.public_id,
        actor=ACTOR,
        ip=ip,
    )


def hosted_place(*, session: CheckoutSession) -> CheckoutSession:
    """Places the order once the last editing step is done: in merchant-approval mode the
    session now waits for the merchant, otherwise it stays ready to pay. Raises what
    session_place raises (409 session_not_ready with its blockers, invalid_state_transition)."""
    return session_place(merchant_id=session.merchant_id, checkout_id=session.public_id, actor=ACTOR)


def hosted_finalize(*, session: CheckoutSession) -> Order | None:
    """Hands a paid session off as its order; safe to call again (the same order comes
    back). None while the payment has not settled, or when finalizing failed: finalize
    has then given the money back and failed the session, which the pages show."""
    try:
        finalized = session_finalize(merchant_id=session.merchant_id, checkout_id=session.public_id, actor=ACTOR)
    except DomainError as error:
        logger.warning("hosted finalize of %s did not complete: %s", session.public_id, error.code)
        return None
    return finalized.order if finalized else None


def hosted_gift_card_apply(*, session: CheckoutSession, code: str, ip: str = "") -> dict:
    """The shopper's "Add a gift card": raises the apply errors (404, 422, 429, 409)."""
    from checkout.services.wallet import session_gift_card_apply

    return session_gift_card_apply(
        merchant_id=session.merchant_id, checkout_id=session.public_id, code=code, actor=ACTOR, ip=ip
    )


def hosted_gift_card_remove(*, session: CheckoutSession, gift_card_id: str) -> None:
    from checkout.services.wallet import session_gift_card_remove_by_id

    session_gift_card_remove_by_id(
        merchant_id=session.merchant_id, checkout_id=session.public_id, gift_card_id=gift_card_id, actor=ACTOR
    )
