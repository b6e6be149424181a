// The card form, enhanced: number spacing and brand detection, "MM / YY", inline checks
// as the shopper types, errors announced. Without this script the form posts as typed and
// the server checks it (checkout/hosted/forms.py); the server stays the judge either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-form]");
  if (!form) {
    return;
  }
  var number = form.querySelector("input[name=number]");
  var expiry = form.querySelector("input[name=expiry]");
  var cvc = form.querySelector("input[name=cvc]");
  var name = form.querySelector("input[name=name]");
  var brandMark = form.querySelector("[data-card-brand]");
  var live = form.querySelector("[data-card-live]");
  var text = form.dataset;

  // Prefixes and groupings from the networks' published ranges.
  var BRANDS = [
    { id: "amex", label: "American Express", re: /^3[47]/, groups: [4, 6, 5], lengths: [15], usual: 15, cvc: 4 },
    { id: "diners", label: "Diners Club", re: /^3(0[0-5]|[689])/, groups: [4, 6, 4], lengths: [14, 16], usual: 14, cvc: 3 },
    { id: "jcb", label: "JCB", re: /^35/, groups: [4, 4, 4, 4, 3], lengths: [16, 17, 18, 19], usual: 16, cvc: 3 },
    { id: "visa", label: "Visa", re: /^4/, groups: [4, 4, 4, 4, 3], lengths: [13, 16, 19], usual: 16, cvc: 3 },
    { id: "mastercard", label: "Mastercard", re: /^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/, groups: [4, 4, 4, 4], lengths: [16], usual: 16, cvc: 3 },
    { id: "discover", label: "Discover", re: /^(6011|65|64[4-9])/, groups: [4, 4, 4, 4, 3], lengths: [16, 19], usual: 16, cvc: 3 },
    { id: "unionpay", label: "UnionPay", re: /^62/, groups: [4, 4, 4, 4, 3], lengths: [16, 17, 18, 19], usual: 16, cvc: 3 },
  ];
  var UNKNOWN = { id: "", label: "", groups: [4, 4, 4, 4, 3], lengths: [12, 13, 14, 15, 16, 17, 18, 19], usual: 16, cvc: 3 };

  function digits(value) {
    return value.replace(/\D/g, "");
  }

  function brandOf(value) {
    for (var i = 0; i < BRANDS.length; i++) {
      if (BRANDS[i].re.test(value)) {
        return BRANDS[i];
      }
    }
    return UNKNOWN;
  }

  function luhn(value) {
    var sum = 0;
    for (var i = 0; i < value.length; i++) {
      var d = +value[value.length - 1 - i];
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function spaced(value, groups) {
    var out = [];
    var at = 0;
    for (var i = 0; i < groups.length && at < value.length; i++) {
      out.push(value.slice(at, at + groups[i]));
      at += groups[i];
    }
    return out.join(" ");
  }

  // Re-formats a field and keeps the caret after the same digit it followed.
  function reformat(input, format) {
    var caret = input.selectionStart == null ? input.value.length : input.selectionStart;
    var before = digits(input.value.slice(0, caret)).length;
    var next = format(input.value);
    if (next === input.value) {
      return;
    }
    input.value = next;
    var pos = 0;
    for (var seen = 0; pos < next.length && seen < before; pos++) {
      if (/\d/.test(next[pos])) {
        seen++;
      }
    }
    if (document.activeElement === input) {
      input.setSelectionRange(pos, pos);
    }
  }

  function formatExpiry(value, deleting) {
    var d = digits(value).slice(0, 4);
    if (d.length === 1 && d > "1") {
      d = "0" + d;
    }
    if (d.length >= 2 && !deleting) {
      return d.slice(0, 2) + " / " + d.slice(2);
    }
    return d.length > 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
  }

  function fieldOf(input) {
    return input.closest(".field");
  }

  function setError(input, message) {
    var field = fieldOf(input);
    var id = input.id + "_error";
    var node = document.getElementById(id);
    if (message) {
      if (!node) {
        node = document.createElement("p");
        node.className = "error";
        node.id = id;
        field.appendChild(node);
      }
      node.textContent = message;
      field.classList.add("field--error");
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) === -1) {
        described.push(id);
      }
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      if (node) {
        node.remove();
      }
      field.classList.remove("field--error");
      input.removeAttribute("aria-invalid");
      var rest = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
        return x && x !== id;
      });
      if (rest.length) {
        input.setAttribute("aria-describedby", rest.join(" "));
      } else {
        input.removeAttribute("aria-describedby");
      }
    }
  }

  function checkNumber(final) {
    var d = digits(number.value);
    var brand = brandOf(d);
    if (!d) {
      return final ? text.msgNumberRequired : "";
    }
    var complete = brand.lengths.indexOf(d.length) !== -1;
    if (final || d.length === brand.usual || d.length >= Math.max.apply(null, brand.lengths)) {
      // At the usual length a number that fails the check digit is said wrong at once;
      // the rare longer numbers of the brand still get through once typed in full.
      return complete && luhn(d) ? "" : text.msgNumber;
    }
    return "";
  }

  function checkExpiry(final) {
    var d = digits(expiry.value);
    if (!d) {
      return final ? text.msgExpiryRequired : "";
    }
    if (d.length < 4) {
      return final ? text.msgExpiry : "";
    }
    var month = +d.slice(0, 2);
    var year = 2000 + +d.slice(2, 4);
    if (month < 1 || month > 12) {
      return text.msgExpiry;
    }
    var now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return text.msgExpiryPast;
    }
    return "";
  }

  function checkCvc(final) {
    var d = digits(cvc.value);
    if (!d) {
      return final ? text.msgCvcRequired : "";
    }
    return !final || d.length === brandOf(digits(number.value)).cvc ? "" : text.msgCvc;
  }

  function checkName(final) {
    return final && !name.value.trim() ? text.msgNameRequired : "";
  }

  var checks = [[number, checkNumber], [expiry, checkExpiry], [cvc, checkCvc], [name, checkName]];

  function showBrand() {
    var brand = brandOf(digits(number.value));
    if (brandMark) {
      brandMark.dataset.brand = brand.id;
      brandMark.textContent = brand.label;
      brandMark.hidden = !brand.id;
    }
    cvc.maxLength = brand.cvc;
    cvc.placeholder = brand.cvc === 4 ? "1234" : "CVC";
  }

  number.addEventListener("input", function () {
    var brand = brandOf(digits(number.value));
    reformat(number, function (value) {
      return spaced(digits(value).slice(0, Math.max.apply(null, brand.lengths)), brand.groups);
    });
    showBrand();
    // Moves on once a complete, valid number of the brand's usual length is in.
    var message = checkNumber(false);
    setError(number, message);
    var typed = digits(number.value);
    if (!message && typed.length === brand.usual && luhn(typed)) {
      expiry.focus();
    }
  });
  expiry.addEventListener("input", function (event) {
    var deleting = event.inputType && event.inputType.indexOf("delete") === 0;
    reformat(expiry, function (value) {
      return formatExpiry(value, deleting);
    });
    setError(expiry, checkExpiry(false));
    if (!deleting && digits(expiry.value).length === 4 && !checkExpiry(true)) {
      cvc.focus();
    }
  });
  cvc.addEventListener("input", function () {
    reformat(cvc, function (value) {
      return digits(value).slice(0, brandOf(digits(number.value)).cvc);
    });
    setError(cvc, checkCvc(false));
  });
  name.addEventListener("input", function () {
    setError(name, checkName(false));
  });
  checks.forEach(function (pair) {
    pair[0].addEventListener("blur", function () {
      // Blur only adds errors: an error cleared here would move the page under the
      // pointer between mousedown and click (the Pay button among what moves). Typing
      // clears them. An empty field the shopper only passed through is not an error yet.
      var message = pair[0].value ? pair[1](true) : "";
      if (message) {
        setError(pair[0], message);
      }
    });
  });

  form.addEventListener("submit", function (event) {
    var problems = [];
    checks.forEach(function (pair) {
      var message = pair[1](true);
      setError(pair[0], message);
      if (message) {
        problems.push([pair[0], message]);
      }
    });
    if (problems.length) {
      event.preventDefault();
      live.textContent = problems.map(function (p) { return p[1]; }).join(" ");
      problems[0][0].focus();
      return;
    }
    // No double charge from a double click: the button stays down while the page posts.
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
  });
  // Back from the next page (the browser's page cache): the button works again.
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  showBrand();
})();
