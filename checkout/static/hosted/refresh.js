// Pages that wait (for the merchant, for the payment) ask the server quietly every few
// seconds and move on only when the checkout did; the success page goes back to the
// store after a few seconds unless the shopper chooses to stay. Without this script the
// <noscript> meta refresh does the same, less gently.
(function () {
  "use strict";
  var body = document.body;
  var seconds = +body.dataset.refresh;
  if (!seconds) {
    return;
  }
  var target = body.dataset.refreshUrl;
  if (target) {
    var timer = window.setTimeout(function () {
      window.location.assign(target);
    }, seconds * 1000);
    var stay = document.querySelector("[data-refresh-stay]");
    if (stay) {
      stay.hidden = false;
      stay.addEventListener("click", function () {
        window.clearTimeout(timer);
        var note = document.querySelector("[data-refresh-note]");
        if (note) {
          note.textContent = stay.dataset.stayed;
        }
        stay.hidden = true;
      });
    }
    return;
  }
  // Bounded: a checkout's payment window is minutes, not hours.
  var polls = 0;
  var maxPolls = Math.ceil(3600 / seconds);
  var here = window.location.href;
  function poll() {
    if (++polls > maxPolls) {
      return;
    }
    window.fetch(here, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.redirected && response.url !== here) {
        window.location.assign(response.url);
      } else {
        window.setTimeout(poll, seconds * 1000);
      }
    }, function () {
      window.setTimeout(poll, seconds * 1000);
    });
  }
  window.setTimeout(poll, seconds * 1000);
})();
