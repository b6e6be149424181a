"""Tokenizing cards: the number goes to the gateway's vault and nowhere else."""

from django.views.decorators.debug import sensitive_variables

from merchants.cached import active_merchant
from merchants.models import Merchant
from payments.gateways import gateway_named
from payments.models import PaymentMethod


@sensitive_variables("number", "cvc")
def payment_method_tokenize(*, merchant_id: int, number: str, exp_month: int, exp_year: int, cvc: str) -> PaymentMethod:
    """Vaults the card at the merchant's gateway (outside any transaction) and keeps only
    its token, brand, last four, expiry and fingerprint. Raises IncorrectNumber (402) for
    a number the gateway refuses, GatewayUnavailable (502/503) when it cannot answer."""
    # The caller's merchant, from process memory (the request authenticated with it).
    merchant = active_merchant(merchant_id) or Merchant.objects.get(pk=merchant_id)
    gateway = gateway_named(merchant.gateway)
    tokenized = gateway.tokenize(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
    card = tokenized.card
    return PaymentMethod.objects.create(
        merchant=merchant,
        gateway=gateway.name,
        token=tokenized.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
    )
