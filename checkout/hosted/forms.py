"""The hosted pages' forms. They check what a shopper typed and say what is wrong next to
the field; the rules themselves (addresses, phones, cards) stay in their own modules."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from checkout.addresses import address_clean, phone_e164
from core.exceptions import DomainError


class AccessibleErrorsMixin:
    """Points each invalid input at its error text (aria-describedby), so a screen reader
    reads the error with the field; Django marks aria-invalid itself."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                auto_id = self[name].auto_id
                ids = [f"{auto_id}_helptext"] if field.help_text else []
                field.widget.attrs["aria-describedby"] = " ".join([*ids, f"{auto_id}_error"])

    def add_domain_error(self, error: DomainError, *, fields=None) -> None:
        """A service's error goes next to the field it names (`param`), else on the form."""
        fields = fields or {}
        name = fields.get(error.param, error.param)
        self.add_error(name if name in self.fields else None, error.message)


PHONE_INVALID = _("Enter a valid phone number, e.g. +1 415 555 2671.")


def _text(label, autocomplete, *, required=True, max_length=200, **attrs):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, **attrs}),
    )


class ContactForm(AccessibleErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={"required": _("Enter your email address."), "invalid": _("Enter a valid email address.")},
        help_text=_("For your receipt and updates about this order."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = _text(_("Phone (optional)"), "tel", required=False, max_length=32, inputmode="tel", type="tel")

    def __init__(self, *args, phone_region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone_region = phone_region

    def clean_phone(self):
        try:
            return phone_e164(self.cleaned_data.get("phone", ""), region=self.phone_region)
        except DomainError:
            raise forms.ValidationError(
                PHONE_INVALID, code="phone_invalid"
            ) from None


class AddressForm(AccessibleErrorsMixin, forms.Form):
    """One address; the form's prefix (shipping/billing) also names its autocomplete section."""

    name = forms.CharField(label=_("Full name"), max_length=200, error_messages={"required": _("Enter the full name.")})
    line1 = forms.CharField(
        label=_("Address"), max_length=300, error_messages={"required": _("Enter the street address.")}
    )
    line2 = forms.CharField(label=_("Apartment, suite, etc. (optional)"), max_length=300, required=False)
    city = forms.CharField(label=_("City"), max_length=200, required=False)
    region = forms.CharField(label=_("State / region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=list(countries))

    AUTOCOMPLETE = {
        "name": "name",
        "line1": "address-line1",
        "line2": "address-line2",
        "city": "address-level2",
        "region": "address-level1",
        "postal_code": "postal-code",
        "country": "country",
    }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, prefix=kind, **kwargs)
        self.kind = kind
        # Read per request, not at import: names in the shopper's language, sorted by them.
        self.fields["country"].choices = list(countries)
        # Shipping and billing ask the same questions: the error summary says which.
        self.summary_label = _("Shipping address") if kind == "shipping" else _("Billing address")
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = f"{kind} {token}"
        self.clean_address = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.clean_address = address_clean(data, kind=self.kind)
        except DomainError as error:
            if error.code == "phone_invalid":
                # The API's explanation names the rule broken; the shopper needs the fix.
                error = DomainError(PHONE_INVALID, code=error.code, param=error.param)
            self.add_domain_error(error)
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.AUTOCOMPLETE}


class BillingChoiceForm(forms.Form):
    billing_same = forms.BooleanField(label=_("Billing address is the same as shipping"), required=False)


class DetailsForms:
    """The details page: contact, the shipping address (when something ships) with its
    "billing is the same" box, and the billing address. Checked together, saved together."""

    def __init__(self, data=None, *, ships: bool, initial: dict):
        self.ships = ships
        shipping_country = (data or {}).get("shipping-country" if ships else "billing-country")
        self.contact = ContactForm(
            data,
            phone_region=shipping_country or initial["shipping"]["country"],
            initial=initial["contact"],
        )
        self.shipping = AddressForm(data, kind="shipping", initial=initial["shipping"]) if ships else None
        self.billing_choice = (
            BillingChoiceForm(data, initial={"billing_same": initial["billing_same"]}) if ships else None
        )
        self.billing_same = bool(
            ships
            and data is not None
            and self.billing_choice.is_valid()
            and self.billing_choice.cleaned_data["billing_same"]
        )
        # Hidden while the box is ticked: neither checked nor reported.
        self.billing = AddressForm(None if self.billing_same else data, kind="billing", initial=initial["billing"])

    def as_dict(self) -> dict:
        return {"contact": self.contact, "shipping": self.shipping, "billing_choice": self.billing_choice,
                "billing": self.billing}  # fmt: skip

    def is_valid(self) -> bool:
        checked = [self.contact, self.shipping, None if self.billing_same else self.billing]
        return all([form.is_valid() for form in checked if form is not None])

    def values(self) -> tuple[dict, dict | None, dict]:
        """(contact, shipping address or None, billing address) for the service."""
        shipping = self.shipping.values() if self.ships else None
        billing = shipping if self.billing_same else self.billing.values()
        contact = {**self.contact.cleaned_data, "name": billing["name"]}
        return contact, shipping, billing

    def add_domain_error(self, error: DomainError) -> None:
        (self.shipping or self.billing).add_domain_error(error)


class DeliveryForm(AccessibleErrorsMixin, forms.Form):
    choice = forms.ChoiceField(
        label=_("Delivery method"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you'd like to receive your order.")},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [(value, value) for value in choices]
        self.fields["choice"].error_messages["invalid_choice"] = _("That option is no longer available; choose again.")

    def selection(self) -> tuple[str, str]:
        kind, _, ident = self.cleaned_data["choice"].partition(":")
        return kind, ident


class SensitiveInput(forms.TextInput):
    """Never writes the value back into the page: a card number or CVC that came with a
    form error is not echoed into HTML, caches or screenshots."""

    def format_value(self, value):
        return None


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")


class CardForm(AccessibleErrorsMixin, forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        error_messages={"required": _("Enter your card number.")},
        widget=SensitiveInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "placeholder": "1234 1234 1234 1234"}
        ),
    )
    expiry = forms.CharField(
        label=_("Expiry date"),
        max_length=7,
        error_messages={"required": _("Enter your card's expiry date.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM / YY"}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        error_messages={"required": _("Enter your card's security code.")},
        help_text=_("3 digits on the back, 4 on the front for Amex."),
        widget=SensitiveInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "placeholder": "CVC"}),
    )
    name = forms.CharField(
        label=_("Name on card"),
        max_length=200,
        error_messages={"required": _("Enter the name on your card.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )

    # Filled by static/hosted/fingerprint.js; anything but a SHA-256 hex digest is dropped.
    device_fingerprint = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_device_fingerprint(self):
        value = self.cleaned_data.get("device_fingerprint") or ""
        return value if re.fullmatch(r"[0-9a-f]{64}", value) else ""

    # Services name card fields the way the tokenize API does.
    PARAMS = {"card.number": "number", "card.exp_year": "expiry", "card.exp_month": "expiry", "card.cvc": "cvc"}

    def clean_number(self):
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError(_("Your card number is incorrect."), code="incorrect_number")
        return number

    def clean_expiry(self):
        match = _EXPIRY.match(self.cleaned_data["expiry"])
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError(_("Enter the expiry date as MM / YY."), code="invalid_expiry")
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        today = date.today()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("Your card's expiry date is in the past."), code="invalid_expiry")
        return month, year

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError(_("Your card's security code is incomplete."), code="incorrect_cvc")
        return cvc


class StripeCardForm(AccessibleErrorsMixin, forms.Form):
    """Stripe mode's card form: the card stays with Stripe.js; what is posted is the id of
    the SetupIntent it confirmed (filled by static/hosted/stripe_card.js)."""

    setup_intent = forms.RegexField(
        r"^seti_[A-Za-z0-9]{1,64}$",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Enter your card details, then pay."),
            "invalid": _("Enter your card details, then pay."),
        },
    )
    device_fingerprint = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    clean_device_fingerprint = CardForm.clean_device_fingerprint
