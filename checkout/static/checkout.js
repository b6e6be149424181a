// checkout.js: mounts the hosted checkout in an iframe on the merchant's page.
//
//   <div id="checkout"></div>
//   <script src="https://PAYMENTS_HOST/static/checkout.js"></script>
//   <script>
//     Checkout.mount("#checkout", {
//       checkoutId: "cs_…",
//       token: "…",              // GET /v1/checkout/sessions/{id}/embed-token, from your server
//       onEvent: function (event) { if (event.type === "checkout.completed") { … } },
//     });
//   </script>
//
// Events: checkout.loaded {page}, checkout.completed {order_id}, checkout.failed {page},
// checkout.resize {height} (the frame follows it by itself). The page embedding it must be
// listed in the merchant's `hosted_frame_ancestors` setting, or the browser refuses the frame.
(function (global) {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src).origin : "";

  function mount(target, options) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) {
      throw new Error("Checkout.mount: no element matches " + target);
    }
    if (!options || !options.checkoutId || !options.token) {
      throw new Error("Checkout.mount needs checkoutId and token");
    }
    var base = options.origin || origin;
    var frame = document.createElement("iframe");
    frame.src = base + "/pay/" + encodeURIComponent(options.checkoutId) + "/embed?token=" + encodeURIComponent(options.token);
    frame.title = options.title || "Checkout";
    frame.setAttribute("allow", "payment");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.minHeight = (options.minHeight || 640) + "px";
    frame.style.display = "block";

    function onMessage(event) {
      if (event.origin !== base || event.source !== frame.contentWindow) {
        return;
      }
      var data = event.data || {};
      if (typeof data.type !== "string" || data.type.indexOf("checkout.") !== 0) {
        return;
      }
      if (data.checkout_id !== options.checkoutId) {
        return;
      }
      if (data.type === "checkout.resize" && data.height > 0) {
        frame.style.height = data.height + "px";
      }
      if (typeof options.onEvent === "function") {
        options.onEvent(data);
      }
      container.dispatchEvent(new CustomEvent(data.type, { detail: data }));
    }

    window.addEventListener("message", onMessage);
    container.appendChild(frame);
    return {
      frame: frame,
      unmount: function () {
        window.removeEventListener("message", onMessage);
        frame.remove();
      },
    };
  }

  global.Checkout = { mount: mount };
})(window);
