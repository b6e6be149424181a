// The "Copy reference" button: shown only where the browser can copy, since without
// JavaScript the read-only field (selected whole on focus) is the way to copy it.
(function () {
  "use strict";
  var source = document.querySelector("[data-copy-source]");
  var button = document.querySelector("[data-copy-button]");
  var live = document.querySelector("[data-copy-live]");
  if (!source || !button) {
    return;
  }
  source.addEventListener("focus", function () {
    source.select();
  });
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(function () {
      button.textContent = button.dataset.copied;
      if (live) {
        live.textContent = button.dataset.copied;
      }
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    }, function () {
      source.focus();
    });
  });
})();
