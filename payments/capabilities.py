"""Payments' answers to GET /capabilities (registered in PaymentsConfig.ready())."""

from merchants.gateways import gateway_is_configured
from payments.wallet.models import GiftCard, StoreCreditAccount


def card_payments(merchant) -> bool:
    """Cards, with 3-D Secure, need the merchant's gateway configured on the platform."""
    return gateway_is_configured(merchant.gateway)


def gift_cards(merchant) -> bool:
    return GiftCard.objects.filter(merchant=merchant, status=GiftCard.Status.ACTIVE).exists()


def store_credit(merchant) -> bool:
    return StoreCreditAccount.objects.filter(merchant=merchant).exists()


def split_payments(merchant) -> bool:
    # A split is a card part plus balances, or two cards: it needs the card gateway.
    return card_payments(merchant)


def bank_transfer(merchant) -> bool:
    """The merchant named a receiving account (a valid IBAN) and turned bank transfer on."""
    from core.exceptions import DomainError
    from payments.services.bank_transfers import bank_transfer_settings

    try:
        return bank_transfer_settings(merchant) is not None
    except DomainError:
        return False
