// Inside the merchant's iframe: tells the page around it what happens (checkout.loaded on
// every page, checkout.completed or checkout.failed at the end, checkout.resize so the
// frame fits its content). Messages go only to the parent's origin, and only when that
// origin is one the merchant configured (the same list as the CSP frame-ancestors).
(function () {
  "use strict";
  var body = document.body;
  if (window.parent === window || !body.dataset.checkoutId) {
    return;
  }
  var allowed = (body.dataset.parentOrigins || "").split(" ").filter(Boolean);
  var ancestors = window.location.ancestorOrigins;
  var parentOrigin = ancestors && ancestors.length ? ancestors[0] : "";
  if (!parentOrigin && document.referrer) {
    parentOrigin = new URL(document.referrer).origin;
  }
  if (allowed.indexOf(parentOrigin) === -1) {
    return;
  }
  function post(type, data) {
    var message = { type: type, checkout_id: body.dataset.checkoutId };
    if (body.dataset.orderId) {
      message.order_id = body.dataset.orderId;
    }
    Object.keys(data || {}).forEach(function (key) {
      message[key] = data[key];
    });
    window.parent.postMessage(message, parentOrigin);
  }
  var lastHeight = 0;
  function resize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post("checkout.resize", { height: height });
    }
  }
  post("checkout.loaded", { page: body.dataset.page || "" });
  if (body.dataset.event) {
    post(body.dataset.event, { page: body.dataset.page || "" });
  }
  resize();
  if (window.ResizeObserver) {
    new ResizeObserver(resize).observe(document.documentElement);
  }
})();
