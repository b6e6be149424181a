"""How the order reaches the shopper: a shipping option or a pickup location, never both.

Each service locks the session, checks If-Match under the lock, refuses once the session
is past collecting (409), and marks the totals stale: the shipping charge (and its tax)
follows the choice.
"""

from django.db import transaction

from checkout.locks import lock_session
from checkout.models import CheckoutSession
from checkout.rate_tables import shipping_rate_get
from checkout.selectors import pickup_location_get, session_requires_shipping, session_shipping_quote
from checkout.services.fulfillment import shipment_plans_supersede
from checkout.services.lifecycle import ensure_editable, session_touch, session_writes
from core.exceptions import DomainError
from core.versioning import check_version


def _unavailable(option_id: str) -> DomainError:
    return DomainError(
        f"Shipping option {option_id!r} is not offered for this cart and address; "
        "list the current ones with GET shipping-options.",
        code="shipping_option_unavailable",
        param="shipping_option_id",
    )


def _matching_option(quote, *, option_id: str | None, carrier: str | None, service_code: str | None):
    """The quoted option the request names. Carrier and service code compare without case
    ("DHL" and "dhl" are one carrier)."""
    if option_id is not None:
        option = quote.option(option_id)
        if option is None:
            raise _unavailable(option_id)
        for param, asked, actual in (
            ("carrier", carrier, option.carrier),
            ("service_code", service_code, option.service_code),
        ):
            if asked is not None and asked.casefold() != actual.casefold():
                raise DomainError(
                    f"Shipping option {option_id!r} is {option.carrier} {option.service_code}, not {param} {asked!r}.",
                    code="shipping_option_mismatch",
                    param=param,
                )
        return option
    for option in quote.options:
        if (
            option.carrier.casefold() == carrier.casefold()
            and option.service_code.casefold() == service_code.casefold()
        ):
            return option
    raise DomainError(
        f"No shipping option {carrier} {service_code} is offered for this cart and address; "
        "list the current ones with GET shipping-options.",
        code="shipping_option_unavailable",
        param="service_code",
    )


def shipping_select(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    option_id: str | None = None,
    carrier: str | None = None,
    service_code: str | None = None,
    expected_versions=None,
) -> CheckoutSession:
    """Chooses one of the options the session qualifies for now, and drops any pickup.

    Eligibility is decided under the session lock, against the cart and address that the
    lock freezes, so an address or cart change cannot slip in between check and write.
    The option is named by id, or by carrier + service_code; given with an id they must
    describe that same option. Raises NotFound (404), PreconditionFailed (412),
    InvalidStateTransition (409) and DomainError `shipping_option_unavailable` /
    `shipping_option_mismatch` (400).
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id, with_children=True)
        check_version(expected_versions, session.version)
        with session_writes(session):
            ensure_editable(session, actor=actor)
            option = _matching_option(
                session_shipping_quote(session), option_id=option_id, carrier=carrier, service_code=service_code
            )
            rate = shipping_rate_get(merchant_id=merchant_id, public_id=option.id)
            if rate is None:
                raise _unavailable(option.id)
            if (
                session.selected_shipping_rate_id == rate.pk
                and session.pickup_location_id is None
                and not _has_selected_plan(session)
            ):
                return session  # already chosen: nothing moves, so neither do version and totals
            session.selected_shipping_rate = rate
            session.pickup_location = None
            shipment_plans_supersede(session)
            session_touch(
                session,
                actor=actor,
                type="shipping.selected",
                data={"shipping_option_id": rate.public_id, "amount": option.amount, "currency": option.currency},
                pricing_changed=True,
            )
    return session


def _has_selected_plan(session: CheckoutSession) -> bool:
    known = session.__dict__.get("_selected_plan_id", 0)
    if known != 0:
        return known is not None  # read by the locking query (checkout.locks)
    return session.shipment_plans.filter(status="selected").exists()


def pickup_location_select(
    *, merchant_id: int, checkout_id: str, pickup_location_id: str, actor: str, expected_versions=None
) -> CheckoutSession:
    """Chooses one of the merchant's active pickup locations, and drops any shipping option.

    Raises NotFound (404: no such session, or no such active location of this merchant),
    PreconditionFailed (412), InvalidStateTransition (409) and DomainError
    `shipping_not_required` (400) when nothing in the cart ships.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        check_version(expected_versions, session.version)
        ensure_editable(session, actor=actor)
        location = pickup_location_get(merchant_id=merchant_id, pickup_location_id=pickup_location_id)
        if not session_requires_shipping(session):
            raise DomainError(
                "Nothing in this cart is shipped, so there is nothing to pick up.",
                code="shipping_not_required",
                param="pickup_location_id",
            )
        if session.pickup_location_id == location.pk and session.selected_shipping_rate_id is None:
            return session
        session.pickup_location = location
        session.selected_shipping_rate = None
        shipment_plans_supersede(session)
        session_touch(
            session,
            actor=actor,
            type="shipping.pickup_selected",
            data={"pickup_location_id": location.public_id},
            pricing_changed=True,
        )
    return session
