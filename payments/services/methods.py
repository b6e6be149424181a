"""Cards into our vault: a number goes to the gateway's vault and nowhere else; a card the
browser gave the gateway directly (Stripe.js) comes in by the gateway's id for it."""

import uuid

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from core.exceptions import DomainError, NotFound
from merchants.cached import active_merchant
from merchants.models import Merchant
from payments.exceptions import CardNumbersRefused
from payments.gateways import base, gateway_named
from payments.models import PaymentMethod, PaymentTransaction


def _method_keep(*, merchant: Merchant, gateway_name: str, tokenized: base.TokenizedCard) -> PaymentMethod:
    card = tokenized.card
    return PaymentMethod.objects.create(
        merchant=merchant,
        gateway=gateway_name,
        token=tokenized.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
    )


@sensitive_variables("number", "cvc")
def payment_method_tokenize(*, merchant_id: int, number: str, exp_month: int, exp_year: int, cvc: str) -> PaymentMethod:
    """Vaults the card at the merchant's gateway (outside any transaction) and keeps only
    its token, brand, last four, expiry and fingerprint. Raises CardNumbersRefused (400)
    when the merchant's gateway collects cards in the browser (Stripe), IncorrectNumber
    (402) for a number the gateway refuses, GatewayUnavailable (502/503) when it cannot
    answer."""
    # The caller's merchant, from process memory (the request authenticated with it).
    merchant = active_merchant(merchant_id) or Merchant.objects.get(pk=merchant_id)
    gateway = gateway_named(merchant.gateway)
    if not gateway.takes_card_numbers:
        raise CardNumbersRefused()
    tokenized = gateway.tokenize(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
    return _method_keep(merchant=merchant, gateway_name=gateway.name, tokenized=tokenized)


def payment_method_import(*, merchant_id: int, reference: str) -> PaymentMethod:
    """Takes in a card the shopper's browser gave the gateway (Stripe.js's `pm_…`): the
    gateway is asked what it is (outside any transaction), and we keep what tokenize
    keeps. The same card again answers the method already kept for this merchant.

    Raises payment_method_unsupported (400) on a gateway without such ids, NotFound (404)
    for an id the gateway does not know or another merchant's card, GatewayUnavailable.
    """
    merchant = Merchant.objects.get(pk=merchant_id)
    gateway = gateway_named(merchant.gateway)
    tokenized = gateway.card_method(reference=reference)
    try:
        # A savepoint: a lost race for the unique (gateway, token) must not end the caller's transaction.
        with transaction.atomic():
            return _method_keep(merchant=merchant, gateway_name=gateway.name, tokenized=tokenized)
    except IntegrityError:
        known = PaymentMethod.objects.filter(gateway=gateway.name, token=tokenized.token).first()
        # One platform Stripe account serves every Stripe merchant: a card another
        # merchant's shopper created is not this merchant's to charge.
        if known is None or known.merchant_id != merchant.pk:
            raise NotFound("No such payment method.", param="payment_method") from None
        return known


def card_setup_create(*, merchant_id: int, metadata: dict) -> str:
    """For a gateway whose browser library collects the card (Stripe.js): a setup the
    browser confirms the card with, tagged with `metadata`; its client secret, which goes
    to that browser only and is kept nowhere. Raises GatewayUnavailable."""
    merchant = Merchant.objects.get(pk=merchant_id)
    setup = gateway_named(merchant.gateway).card_setup_create(
        metadata=metadata, idempotency_key=f"{merchant.public_id}:card_setup:{uuid.uuid4().hex}"
    )
    return setup["client_secret"]


def card_setup_method(*, merchant_id: int, setup_id: str, metadata: dict) -> PaymentMethod:
    """The card a browser set up (card_setup_create), taken into our vault, once the
    gateway says the setup succeeded and carries `metadata` (the checkout it was made
    for): a card id alone, lifted from another checkout, is refused. Raises DomainError
    card_setup_incomplete (400), NotFound, GatewayUnavailable."""
    merchant = Merchant.objects.get(pk=merchant_id)
    setup = gateway_named(merchant.gateway).card_setup_get(reference=setup_id)
    if any(setup["metadata"].get(key) != value for key, value in metadata.items()) or not setup["payment_method"]:
        raise DomainError("This card was not set up for this checkout.", code="card_setup_incomplete")
    if setup["status"] != "succeeded":
        raise DomainError("The card's setup did not complete.", code="card_setup_incomplete")
    return payment_method_import(merchant_id=merchant_id, reference=setup["payment_method"])


def payment_action_client_secret(*, payment: PaymentTransaction) -> str:
    """The client secret of the gateway's payment now waiting for the shopper (3-D
    Secure run by Stripe.js in the browser); "" when there is none. Read, never kept."""
    attempt = payment.attempts.order_by("-number").first()
    if attempt is None or not attempt.gateway_reference:
        return ""
    return gateway_named(payment.merchant.gateway).payment_client_secret(reference=attempt.gateway_reference)
