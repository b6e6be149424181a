// Stripe mode of the hosted card form: the card is typed into Stripe.js's card Element
// and goes from this browser to Stripe; this page's server sees only Stripe's ids.
//
// Paying: a SetupIntent (made for this checkout by our server) is confirmed with the
// Element (stripe.confirmCardSetup, which runs the bank's check if the card asks for one
// when it is saved); its id is posted in the form, and the server charges the card it set
// up. 3-D Secure on the payment itself: the processing page hands the PaymentIntent's
// client secret to stripe.confirmCardPayment, then returns to our payment-return page,
// which asks Stripe how it ended. Only Stripe.js's documented calls are used, so the same
// code runs against js.stripe.com and against the replacement the tests serve.
(function () {
  "use strict";

  function collect(form) {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card", { hidePostalCode: true });
    card.mount(form.querySelector("[data-stripe-element]"));
    var error = form.querySelector("[data-stripe-error]");
    var button = form.querySelector("[data-stripe-submit]");
    var name = form.querySelector("[data-stripe-name]");
    var busy = false;

    function fail(message) {
      error.textContent = message || form.dataset.msgFailed;
      error.hidden = false;
      button.disabled = false;
      busy = false;
    }

    card.on("change", function (event) {
      // Stripe's Element reports what is wrong as the shopper types.
      if (event && event.error) {
        error.textContent = event.error.message;
        error.hidden = false;
      } else if (!busy) {
        error.hidden = true;
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      button.disabled = true;
      error.hidden = true;
      fetch(form.dataset.setupUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok || !body.client_secret) {
              throw new Error((body.error && body.error.message) || "");
            }
            return body.client_secret;
          });
        })
        .then(function (clientSecret) {
          var details = name && name.value.trim() ? { name: name.value.trim() } : {};
          return stripe.confirmCardSetup(clientSecret, {
            payment_method: { card: card, billing_details: details },
          });
        })
        .then(function (result) {
          if (result.error) {
            fail(result.error.message);
            return;
          }
          form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
          form.submit();
        })
        .catch(function (err) {
          fail(err && err.message);
        });
    });
  }

  function authenticate(box) {
    var stripe = window.Stripe(box.dataset.publishableKey);
    // Whatever Stripe.js answers, the server asks Stripe itself on the way back.
    stripe.confirmCardPayment(box.dataset.clientSecret).then(
      function () {
        window.location.assign(box.dataset.returnUrl);
      },
      function () {
        window.location.assign(box.dataset.returnUrl);
      }
    );
  }

  if (typeof window.Stripe !== "function") {
    var missing = document.querySelector("[data-stripe-error]");
    if (missing) {
      missing.textContent = document.querySelector("[data-stripe-card]").dataset.msgFailed;
      missing.hidden = false;
    }
    return;
  }
  var form = document.querySelector("[data-stripe-card]");
  if (form) {
    collect(form);
  }
  var box = document.querySelector("[data-stripe-action]");
  if (box && box.dataset.clientSecret) {
    authenticate(box);
  }
})();
