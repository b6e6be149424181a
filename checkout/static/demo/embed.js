// The demo merchant's page: the checkout id and embed token come in the query string
// (`manage.py demo_checkout` prints the link); a real shop gets them from its server.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var list = document.getElementById("events");
  Checkout.mount("#checkout", {
    checkoutId: params.get("checkout") || "",
    token: params.get("token") || "",
    onEvent: function (event) {
      if (event.type === "checkout.resize") {
        return;
      }
      var item = document.createElement("li");
      item.textContent = event.type + (event.page ? " (" + event.page + ")" : "") + (event.order_id ? " " + event.order_id : "");
      list.appendChild(item);
    },
  });
})();
