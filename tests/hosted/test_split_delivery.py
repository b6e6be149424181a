"""The hosted delivery step when the cart ships from several locations."""

import pytest

from checkout.models import CheckoutSession, ShipmentPlan
from checkout.services.fulfillment import location_create, location_stock_set
from tests.hosted.helpers import choose_delivery, open_checkout, pay_page, submit_details, text


def _two_locations(merchant):
    warehouse = location_create(merchant_id=merchant.pk, code="WH-1", name="Reno warehouse", country="US", priority=1)
    store = location_create(merchant_id=merchant.pk, code="ST-2", name="Market Street store", country="US", priority=2)
    location_stock_set(
        merchant_id=merchant.pk,
        location_id=warehouse.public_id,
        items=[{"sku": "MUG-BLUE", "on_hand": 5}],
        actor="test",
    )  # noqa: E501
    location_stock_set(
        merchant_id=merchant.pk, location_id=store.public_id, items=[{"sku": "TEE-L", "on_hand": 5}], actor="test"
    )  # noqa: E501


def test_the_delivery_step_shows_each_parcel_and_choosing_them_prices_both(browser, shop_api, checkout_session):
    _two_locations(shop_api.merchant)
    open_checkout(browser, checkout_session)
    submit_details(browser, checkout_session)
    page = text(browser.get(pay_page(checkout_session, "shipping")))
    assert "Your order ships in 2 parcels" in page
    assert "Parcel 1 from Reno warehouse: 2 × Blue mug · Standard $5.00" in page
    assert "Parcel 2 from Market Street store: 1 × Logo T-shirt · Standard $5.00" in page
    assert "Or ship everything together" in page and "$10.00" in page

    response = choose_delivery(browser, checkout_session, "plan:split")
    assert response.status_code == 303 and response["Location"] == pay_page(checkout_session, "payment")
    session = CheckoutSession.objects.get(pk=checkout_session.pk)
    assert ShipmentPlan.objects.get(session=session, status="selected").shipping_total == 1000
    assert session.current_calculation.shipping_total == 1000
    # The parcels are a delivery choice: the payment page opens, not the review again.
    payment_page = browser.get(pay_page(checkout_session, "payment"))
    assert payment_page.status_code == 200 and "Card number" in text(payment_page)


def test_a_cart_from_one_place_shows_no_parcels(browser, shop_api, checkout_session):
    open_checkout(browser, checkout_session)
    submit_details(browser, checkout_session)
    page = text(browser.get(pay_page(checkout_session, "shipping")))
    assert "parcels" not in page and "Standard" in page


def test_the_demo_shop_ships_its_cart_in_two_parcels(shop_api):
    from checkout.hosted.demo import demo_session_create, demo_shop_ensure
    from checkout.models import StockLocation
    from checkout.services.customer import address_set
    from checkout.services.fulfillment import shipment_groups_preview

    merchant = shop_api.merchant
    demo_shop_ensure(merchant=merchant)
    demo_shop_ensure(merchant=merchant)  # the run command calls it on every start
    assert StockLocation.objects.filter(merchant=merchant).count() == 2
    session = demo_session_create(merchant=merchant)
    address = {"name": "Ada", "line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
               "country": "US"}  # fmt: skip
    address_set(merchant_id=merchant.pk, checkout_id=session.public_id, kind="shipping", data=address, actor="test")
    groups = shipment_groups_preview(session)
    assert [group["location"]["code"] for group in groups] == ["WH-OAKLAND", "SHOP-MISSION"]


@pytest.mark.parametrize(
    "currency, country, carriers",
    [
        ("USD", "US", ["USPS", "UPS"]),
        ("GBP", "GB", ["Royal Mail", "DPD"]),
        ("EUR", "DE", ["DHL", "DHL"]),
        ("GBP", "US", ["DHL"]),
    ],
)
def test_the_demo_shop_offers_each_country_its_own_carriers(merchant, currency, country, carriers):
    from checkout.hosted.demo import demo_session_create, demo_shop_ensure
    from checkout.selectors import session_shipping_quote
    from checkout.services.customer import address_set

    merchant.default_currency = currency
    merchant.save(update_fields=["default_currency"])
    demo_shop_ensure(merchant=merchant)
    session = demo_session_create(merchant=merchant)
    postal = {"US": {"region": "CA", "postal_code": "94105"}, "GB": {"postal_code": "SW1A 1AA"}}
    address = {"name": "Ada", "line1": "1 High St", "city": "Town", "postal_code": "10115", "country": country}
    address.update(postal.get(country, {}))
    address_set(merchant_id=merchant.pk, checkout_id=session.public_id, kind="shipping", data=address, actor="test")
    session.refresh_from_db()
    options = session_shipping_quote(session).options
    assert [option.carrier for option in options] == carriers
    assert {option.currency for option in options} == {currency}
