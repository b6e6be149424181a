"""The shopper's hosted checkout pages, mounted at /pay/.

review → details → shipping → (place; with merchant approval: wait) → payment → (3-D
Secure) → finalize → success. Every page is server-rendered and works without
JavaScript; none loads anything from another origin, except Stripe.js for Stripe
merchants' card entry (below).

Card entry depends on the merchant's gateway:
- simulator: the card form posts to our server, which hands the number and CVC straight
  to the simulator's vault (`payments.services.payment_method_tokenize`) and keeps only
  the token, brand and last four. The number is never logged, stored or re-rendered.
- stripe: the number never reaches our server. The payment page loads Stripe.js
  (settings.STRIPE_JS_URL, allowed by the page's CSP) and mounts its card Element
  (templates/hosted/_stripe_card.html, static hosted/stripe_card.js); the browser sets
  the card up at Stripe on a SetupIntent made for the session and posts only its id;
  3-D Secure on the payment runs in the processing page with Stripe.js. Card posts are
  refused. This mode needs JavaScript (Stripe.js is JavaScript).
"""
