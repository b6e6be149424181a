"""The shopper's hosted checkout pages, mounted at /pay/.

review → details → shipping → (place; with merchant approval: wait) → payment → (3-D
Secure) → finalize → success. Every page is server-rendered and works without
JavaScript; none loads anything from another origin.

Card entry depends on the merchant's gateway:
- simulator: the card form posts to our server, which hands the number and CVC straight
  to the simulator's vault (`payments.services.payment_method_tokenize`) and keeps only
  the token, brand and last four. The number is never logged, stored or re-rendered.
- stripe: the number must never reach our server. The payment page renders no card
  fields and refuses card posts; the place for Stripe Elements (card fields in Stripe's
  iframe, tokenized in the browser, then `attach-method` + `confirm` with a client
  token) is marked in templates/hosted/payment.html and is not built yet.
"""
