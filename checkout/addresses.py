"""Contact and address rules: what a valid email, phone and address look like, per country.

Country codes are checked by django-countries (ISO 3166-1 alpha-2) and phone numbers by
phonenumbers. Which fields a country's addresses need and the shape of its postal codes
is not in any installed library, so it is the small table below, following Google's
address metadata (libaddressinput: its `require` and `zip` keys). A country missing from
the table gets the generic checks only and its address is stored as `unverified`.

Everything here is pure: no database, no network. Services call it before they lock.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext as _
from django_countries import countries

from core.exceptions import DomainError

TEXT_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "phone")
GENERIC_REQUIRED = ("line1", "city")

# Postal codes written without their separator are common; these put it back so every
# stored code has the one spelling carriers and tax tables expect.


def _space_before_last(n: int) -> Callable[[str], str]:
    def fmt(code: str) -> str:
        compact = code.replace(" ", "")
        return f"{compact[:-n]} {compact[-n:]}" if len(compact) > n else compact

    return fmt


def _hyphen_after(n: int) -> Callable[[str], str]:
    def fmt(code: str) -> str:
        compact = code.replace("-", "").replace(" ", "")
        return f"{compact[:n]}-{compact[n:]}" if len(compact) > n else compact

    return fmt


@dataclass(frozen=True)
class CountryRule:
    required: tuple[str, ...]
    postal_code: str | None = None  # full-match regex on the normalised code
    postal_example: str = ""
    postal_format: Callable[[str], str] | None = None
    region: str | None = None  # full-match regex when the region is a code (US state); else free text
    region_example: str = ""


_ACZ = ("line1", "city", "postal_code")
_ACSZ = ("line1", "city", "region", "postal_code")

COUNTRY_RULES: dict[str, CountryRule] = {
    "US": CountryRule(_ACSZ, r"\d{5}(-\d{4})?", "94103, 94103-1234", region=r"[A-Z]{2}", region_example="CA"),
    "CA": CountryRule(
        _ACSZ, r"[A-Z]\d[A-Z] \d[A-Z]\d", "K1A 0B1", _space_before_last(3), r"[A-Z]{2}", region_example="ON"
    ),
    "AU": CountryRule(_ACSZ, r"\d{4}", "2000", region=r"[A-Z]{2,3}", region_example="NSW"),
    "GB": CountryRule(_ACZ, r"GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", "SW1A 1AA", _space_before_last(3)),
    "NL": CountryRule(_ACZ, r"\d{4} [A-Z]{2}", "1012 AB", _space_before_last(2)),
    "SE": CountryRule(_ACZ, r"\d{3} \d{2}", "114 55", _space_before_last(2)),
    "PL": CountryRule(_ACZ, r"\d{2}-\d{3}", "00-950", _hyphen_after(2)),
    "PT": CountryRule(_ACZ, r"\d{4}-\d{3}", "1000-001", _hyphen_after(4)),
    "JP": CountryRule(("line1", "region", "postal_code"), r"\d{3}-\d{4}", "100-0001", _hyphen_after(3)),
    **{code: CountryRule(_ACZ, r"\d{5}", "10115") for code in ("DE", "FR", "IT", "ES", "FI")},
    **{code: CountryRule(_ACZ, r"\d{4}", "1000") for code in ("AT", "BE", "CH", "DK", "NO")},
}

# Whole sentences, not a label spliced into one: other languages inflect the noun. The
# API answers in English (no language is active there); the hosted pages in the shopper's.
MISSING_FIELD_MESSAGES = {
    "line1": lambda country: _("Addresses in %(country)s need a street address.") % {"country": country},
    "city": lambda country: _("Addresses in %(country)s need a city.") % {"country": country},
    "region": lambda country: _("Addresses in %(country)s need a region (state, province or prefecture).")
    % {"country": country},
    "postal_code": lambda country: _("Addresses in %(country)s need a postal code.") % {"country": country},
}


@dataclass(frozen=True)
class CleanAddress:
    """A normalised address ready to store, with its validation outcome."""

    values: dict
    validation_status: str  # "valid" or "unverified"; an invalid address is never stored
    validation_messages: list


def _squash(value) -> str:
    # Collapses runs of whitespace too: pasted addresses carry tabs and double spaces.
    return " ".join(str(value or "").split())


def country_clean(value: str) -> str:
    code = _squash(value).upper()
    if len(code) != 2 or code not in countries:
        raise DomainError(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, GB, DE).",
            code="country_invalid",
            param="country",
        )
    return code


def email_normalize(value: str) -> str:
    """Trims and lower-cases the domain; the local part is the mailbox owner's to case."""
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


def phone_e164(value: str, *, region: str | None, param: str = "phone") -> str:
    """The number in E.164 (+14155552671); a national number is read as one of `region`.

    A number of a possible length for its country is taken even when the metadata does not
    list its range as allocated: those lists lag behind the regulators and leave out the
    ranges set aside for fiction and testing (Ofcom's 07700 900xxx), which merchants test
    with, and a contact number is for reaching the shopper, not for checking their carrier.
    """
    raw = _squash(value)
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    reason = phonenumbers.is_possible_number_with_reason(number) if number is not None else None
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE and not (
        number is not None and phonenumbers.is_valid_number(number)
    ):
        where = f" for {region}" if region and not raw.startswith("+") else ""
        if raw.startswith("+") and reason in _LENGTH_HINTS:
            hint = f"it is {_LENGTH_HINTS[reason]} for its country code"
        elif raw.startswith("+"):
            hint = "check the country code and the number"
        else:
            hint = "use international form, e.g. +14155552671"
        raise DomainError(f"{value!r} is not a valid phone number{where}; {hint}.", code="phone_invalid", param=param)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_LENGTH_HINTS = {
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    # Diallable within an area only: a contact number must work from anywhere.
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "not of a length in use",
}


def _postal_code(code: str, rule: CountryRule, country: str) -> str:
    if rule.postal_format and code:
        code = rule.postal_format(code)
    if rule.postal_code and code and not re.fullmatch(rule.postal_code, code):
        raise DomainError(
            _("%(code)s is not a valid %(country)s postal code (e.g. %(example)s).")
            % {"code": repr(code), "country": countries.name(country), "example": rule.postal_example},
            code="postal_code_invalid",
            param="postal_code",
        )
    return code


def _region(region: str, rule: CountryRule, country: str) -> str:
    if rule.region is None or not region:
        return region
    region = region.upper()
    if not re.fullmatch(rule.region, region):
        raise DomainError(
            _("%(country)s addresses need the region as a code (e.g. %(example)s).")
            % {"country": countries.name(country), "example": rule.region_example},
            code="region_invalid",
            param="region",
        )
    return region


def address_clean(data: dict, *, kind: str) -> CleanAddress:
    """Normalises and checks an address; raises DomainError (400, with `param`) on the
    first field that makes it undeliverable. Warnings that should not block the shopper
    are returned in `validation_messages`."""
    country = country_clean(data.get("country", ""))
    values = {name: _squash(data.get(name)) for name in TEXT_FIELDS}
    values["postal_code"] = values["postal_code"].upper()
    rule = COUNTRY_RULES.get(country)
    messages = []
    for name in rule.required if rule else GENERIC_REQUIRED:
        if not values[name]:
            raise DomainError(
                MISSING_FIELD_MESSAGES[name](countries.name(country)),
                code="parameter_missing",
                param=name,
            )
    if rule:
        values["postal_code"] = _postal_code(values["postal_code"], rule, country)
        values["region"] = _region(values["region"], rule, country)
    else:
        messages.append(
            {
                "code": "country_rules_generic",
                "param": "country",
                "message": f"Only the generic checks apply to {countries.name(country)} addresses.",
            }
        )
    values["phone"] = phone_e164(values["phone"], region=country)
    if values["phone"]:
        phone_region = phonenumbers.region_code_for_number(phonenumbers.parse(values["phone"]))
        # Non-geographic numbers (+800 …) have no region to disagree with.
        if phone_region and phone_region != country:
            messages.append(
                {
                    "code": "phone_country_mismatch",
                    "param": "phone",
                    "message": f"The phone number belongs to {phone_region}, not {country}.",
                }
            )
    if kind == "shipping" and not values["name"]:
        messages.append(
            {"code": "recipient_missing", "param": "name", "message": "No recipient name; carriers may not deliver."}
        )
    return CleanAddress(
        values={**values, "country": country},
        validation_status="valid" if rule else "unverified",
        validation_messages=messages,
    )
