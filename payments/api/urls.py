from django.urls import path

from payments.api import views

urlpatterns = [
    path("payment-intents/<str:payment_intent_id>", views.PaymentIntentDetailApi.as_view(), name="payment-intent"),
    path(
        "payment-intents/<str:payment_intent_id>/attach-method",
        views.PaymentIntentAttachMethodApi.as_view(),
        name="payment-intent-attach-method",
    ),
    path(
        "payment-intents/<str:payment_intent_id>/confirm",
        views.PaymentIntentConfirmApi.as_view(),
        name="payment-intent-confirm",
    ),
    path(
        "payment-intents/<str:payment_intent_id>/3ds/complete",
        views.PaymentIntentThreeDSCompleteApi.as_view(),
        name="payment-intent-3ds-complete",
    ),
    path(
        "payment-intents/<str:payment_intent_id>/capture",
        views.PaymentIntentCaptureApi.as_view(),
        name="payment-intent-capture",
    ),
    path(
        "payment-intents/<str:payment_intent_id>/cancel",
        views.PaymentIntentCancelApi.as_view(),
        name="payment-intent-cancel",
    ),
    path("payment-methods", views.PaymentMethodListApi.as_view(), name="payment-methods"),
    path("payment-methods/tokenize", views.PaymentMethodTokenizeApi.as_view(), name="payment-methods-tokenize"),
    path("redirect/return", views.RedirectReturnApi.as_view(), name="redirect-return"),
    path("3ds/callback", views.ThreeDSCallbackApi.as_view(), name="3ds-callback"),
    path("webhook/payment", views.PaymentWebhookApi.as_view(), name="webhook-payment"),
]

# Gift cards, store credit and split payments.
from payments.wallet import api as wallet_api  # noqa: E402

urlpatterns += [
    path("gift-cards", wallet_api.GiftCardListCreateApi.as_view(), name="gift-cards"),
    path("gift-cards/<str:gift_card_id>", wallet_api.GiftCardDetailApi.as_view(), name="gift-card"),
    path(
        "gift-cards/<str:gift_card_id>/transactions",
        wallet_api.GiftCardTransactionsApi.as_view(),
        name="gift-card-transactions",
    ),
    path("gift-cards/<str:gift_card_id>/disable", wallet_api.GiftCardDisableApi.as_view(), name="gift-card-disable"),
    path(
        "customers/<str:customer_id>/store-credit",
        wallet_api.StoreCreditGrantApi.as_view(),
        name="customer-store-credit",
    ),
    path(
        "payment-intents/<str:payment_intent_id>/split",
        wallet_api.PaymentIntentSplitApi.as_view(),
        name="payment-intent-split",
    ),
]

# Buy now, pay later: an intent's installments, and paying one late.
from payments.bnpl.api import urls as bnpl_urls  # noqa: E402

urlpatterns += bnpl_urls.urlpatterns
