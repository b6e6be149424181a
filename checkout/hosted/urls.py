from django.urls import path

from checkout.hosted import views

app_name = "hosted"

urlpatterns = [
    path("<str:checkout_id>", views.entry, name="entry"),
    path("<str:checkout_id>/embed", views.embed_entry, name="embed"),
    path("<str:checkout_id>/review", views.review, name="review"),
    path("<str:checkout_id>/details", views.details, name="details"),
    path("<str:checkout_id>/shipping", views.shipping, name="shipping"),
    path("<str:checkout_id>/waiting", views.waiting, name="waiting"),
    path("<str:checkout_id>/payment", views.payment_view, name="payment"),
    path("<str:checkout_id>/payment/wallet", views.payment_wallet, name="payment-wallet"),
    path("<str:checkout_id>/payment/later", views.payment_later, name="payment-later"),
    path("<str:checkout_id>/payment/stripe-setup", views.payment_stripe_setup, name="payment-stripe-setup"),
    path("<str:checkout_id>/payment/return", views.payment_return, name="payment-return"),
    path("<str:checkout_id>/payment/processing", views.processing, name="processing"),
    path("<str:checkout_id>/payment/failed", views.failed, name="failed"),
    path("<str:checkout_id>/success", views.success, name="success"),
    path("<str:checkout_id>/declined", views.declined, name="declined"),
    path("<str:checkout_id>/closed", views.closed, name="closed"),
    path("<str:checkout_id>/expired", views.expired, name="expired"),
    path("<str:checkout_id>/leave", views.leave, name="leave"),
]
