// The order summary follows the delivery choice: each option's totals (shipping, tax,
// total) were computed by the server with the page, so picking one only swaps them in.
(function () {
  "use strict";
  var totals = document.querySelector(".summary .totals");
  if (!totals) {
    return;
  }
  totals.setAttribute("aria-live", "polite");
  function show(value) {
    var template = document.querySelector('template[data-totals-for="' + CSS.escape(value) + '"]');
    if (!template) {
      return;
    }
    var fresh = template.content.querySelector(".totals").cloneNode(true);
    totals.replaceChildren.apply(totals, Array.prototype.slice.call(fresh.childNodes));
  }
  document.querySelectorAll("input[type=radio][name=choice]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) {
        show(radio.value);
      }
    });
    if (radio.checked) {
      show(radio.value);
    }
  });
})();
