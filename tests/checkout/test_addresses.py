import pytest

from checkout.addresses import address_clean, email_normalize, phone_e164
from core.exceptions import DomainError

US = {"name": "Jane Doe", "line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
      "country": "US"}  # fmt: skip


def _error(data, kind="shipping"):
    with pytest.raises(DomainError) as info:
        address_clean(data, kind=kind)
    return info.value


def test_us_address_is_normalised_and_valid():
    clean = address_clean(
        {**US, "country": " us ", "region": "ca", "line1": "  1   Market St ", "phone": "(415) 555-2671"},
        kind="shipping",
    )
    assert clean.validation_status == "valid"
    assert clean.validation_messages == []
    assert clean.values["country"] == "US"
    assert clean.values["region"] == "CA"
    assert clean.values["line1"] == "1 Market St"
    assert clean.values["phone"] == "+14155552671"
    assert clean.values["company"] == ""


@pytest.mark.parametrize(
    "country,postal_code,region,expected",
    [
        ("US", "94105-1234", "NY", "94105-1234"),
        ("GB", "sw1a1aa", "", "SW1A 1AA"),
        ("GB", "EC1A 1BB", "", "EC1A 1BB"),
        ("NL", "1012ab", "", "1012 AB"),
        ("DE", "10115", "", "10115"),
        ("FR", "75008", "", "75008"),
        ("CA", "k1a0b1", "on", "K1A 0B1"),
        ("JP", "1000001", "Tokyo", "100-0001"),
        ("JP", "100-0001", "Tokyo", "100-0001"),
        ("SE", "11455", "", "114 55"),
        ("PL", "00950", "", "00-950"),
    ],
)
def test_postal_codes_take_the_country_spelling(country, postal_code, region, expected):
    clean = address_clean({**US, "country": country, "postal_code": postal_code, "region": region}, kind="billing")
    assert clean.values["postal_code"] == expected
    assert clean.validation_status == "valid"


@pytest.mark.parametrize(
    "changes,param,code",
    [
        ({"country": "XX"}, "country", "country_invalid"),
        ({"country": "USA"}, "country", "country_invalid"),
        ({"country": ""}, "country", "country_invalid"),
        ({"postal_code": "9410"}, "postal_code", "postal_code_invalid"),
        ({"postal_code": "94105-12"}, "postal_code", "postal_code_invalid"),
        ({"postal_code": ""}, "postal_code", "parameter_missing"),
        ({"region": ""}, "region", "parameter_missing"),
        ({"region": "California"}, "region", "region_invalid"),
        ({"line1": " "}, "line1", "parameter_missing"),
        ({"city": ""}, "city", "parameter_missing"),
        ({"phone": "12345"}, "phone", "phone_invalid"),
        ({"country": "GB", "region": "", "postal_code": "SW1A"}, "postal_code", "postal_code_invalid"),
        ({"country": "DE", "region": "", "postal_code": "1011"}, "postal_code", "postal_code_invalid"),
        ({"country": "NL", "region": "", "postal_code": "1012"}, "postal_code", "postal_code_invalid"),
        ({"country": "JP", "region": "", "postal_code": "100-0001"}, "region", "parameter_missing"),
        ({"country": "JP", "region": "Tokyo", "postal_code": "10000"}, "postal_code", "postal_code_invalid"),
    ],
)
def test_invalid_addresses_name_the_field(changes, param, code):
    error = _error({**US, **changes})
    assert (error.param, error.code, error.status_code) == (param, code, 400)


def test_country_outside_the_table_gets_generic_checks_and_is_unverified():
    clean = address_clean({"line1": "Av. Paulista 1000", "city": "São Paulo", "country": "br"}, kind="shipping")
    assert clean.validation_status == "unverified"
    assert {m["code"] for m in clean.validation_messages} == {"country_rules_generic", "recipient_missing"}
    assert _error({"city": "São Paulo", "country": "BR"}).param == "line1"


def test_jp_needs_no_city():
    clean = address_clean(
        {"line1": "1-1 Chiyoda", "region": "Tokyo", "postal_code": "1000001", "country": "JP"}, kind="billing"
    )
    assert clean.validation_status == "valid"
    assert clean.validation_messages == []  # a billing address needs no recipient


def test_foreign_phone_is_kept_with_a_warning():
    clean = address_clean({**US, "phone": "+44 20 7946 0958"}, kind="shipping")
    assert clean.values["phone"] == "+442079460958"
    assert [m["code"] for m in clean.validation_messages] == ["phone_country_mismatch"]


def test_phone_e164_reads_national_numbers_in_the_region():
    assert phone_e164("020 7946 0958", region="GB") == "+442079460958"
    assert phone_e164("", region="GB") == ""
    with pytest.raises(DomainError) as info:
        phone_e164("020 7946 0958", region="US", param="phone")
    assert info.value.param == "phone"


@pytest.mark.parametrize(
    ("value", "region", "e164"),
    [
        ("+447700900123", None, "+447700900123"),  # Ofcom's range for fiction and testing
        ("+447700900123", "US", "+447700900123"),
        ("07700 900123", "GB", "+447700900123"),
        ("+44 7911 123456", "GB", "+447911123456"),
        ("+49 151 12345678", "DE", "+4915112345678"),
        ("+33 6 12 34 56 78", None, "+33612345678"),
        ("+81 3-1234-5678", "JP", "+81312345678"),
        ("+55 11 98765-4321", "BR", "+5511987654321"),
        ("+61 412 345 678", "AU", "+61412345678"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_phone_e164_takes_international_and_national_numbers_of_many_countries(value, region, e164):
    assert phone_e164(value, region=region) == e164


@pytest.mark.parametrize(
    ("value", "region", "hint"),
    [
        ("+44 7700 90", "GB", "too short"),
        ("+1 415", None, "too short"),
        ("+49 151 1234567890123", None, "too long"),
        ("12345", "US", "international form"),
        ("020 7946 0958", "US", "international form"),
    ],
)
def test_phone_e164_refusals_say_what_is_wrong(value, region, hint):
    with pytest.raises(DomainError) as info:
        phone_e164(value, region=region)
    assert (info.value.code, info.value.param) == ("phone_invalid", "phone")
    assert hint in info.value.message
    if value.startswith("+"):
        assert "international form" not in info.value.message


def test_email_normalize_lowercases_only_the_domain():
    assert email_normalize(" Jane.Doe@Example.COM ") == "Jane.Doe@example.com"
