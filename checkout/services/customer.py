"""Who the shopper is and where the order goes: customer, contact details and addresses.

Each service locks the session (checkout.locks), checks If-Match under the lock, refuses
once the session is past collecting (409), then saves and writes the timeline through
checkout.services.lifecycle in the same transaction. Timeline entries name the fields
that changed, not their values: the address itself is personal data and lives in one row.
"""

import copy

from django.db import transaction

from checkout.addresses import address_clean, email_normalize, phone_e164
from checkout.locks import lock_session
from checkout.models import Address, CheckoutSession
from checkout.selectors import session_address, session_with_children
from checkout.services.lifecycle import ensure_editable, session_rows_add, session_touch, session_writes
from core.exceptions import DomainError
from core.versioning import check_version

CUSTOMER_FIELDS = {"email": "customer_email", "name": "customer_name", "phone": "customer_phone",
                   "reference": "customer_reference", "customer_id": "customer_reference",
                   "save_for_later": "save_for_later"}  # fmt: skip


def _phone_region(session: CheckoutSession) -> str:
    """A national phone number is read in the country the order goes to, else where it is
    billed, else the merchant's own country."""
    for kind in (Address.Kind.SHIPPING, Address.Kind.BILLING):
        address = session_address(session, kind)
        if address is not None:
            return address.country
    return session.merchant.country


def customer_apply(session: CheckoutSession, changes: dict) -> None:
    """Sets the customer fields in `changes` on the locked session (no save): the phone
    stored E.164, the email normalized. Raises DomainError `phone_invalid` (400)."""
    if "customer_id" in changes and "reference" in changes and changes["customer_id"] != changes["reference"]:
        raise DomainError("customer_id and reference name the same thing; send one of them.", param="customer_id")
    if "phone" in changes:
        changes = {**changes, "phone": phone_e164(changes["phone"], region=_phone_region(session))}
    if changes.get("email"):
        changes = {**changes, "email": email_normalize(changes["email"])}
    for name, value in changes.items():
        setattr(session, CUSTOMER_FIELDS[name], value)


def _customer_set(*, merchant_id, checkout_id, changes, actor, expected_versions, event_type) -> CheckoutSession:
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id, with_children=True)
        check_version(expected_versions, session.version)
        with session_writes(session):
            ensure_editable(session, actor=actor)
            # Raising here rolls back the move to `collecting` too: bad input writes nothing.
            customer_apply(session, changes)
            session_touch(session, actor=actor, type=event_type, data={"fields": sorted(changes)})
    return session


def customer_set(
    *, merchant_id: int, checkout_id: str, changes: dict, actor: str, expected_versions=None
) -> CheckoutSession:
    """Sets any of the customer's email, name, phone (stored E.164), the merchant's id for
    the customer (`customer_id`, formerly `reference`) and `save_for_later`: the shopper's
    request to keep their payment preferences, recorded on the session for the merchant.

    Locks the session. Raises NotFound (404), PreconditionFailed (412), InvalidStateTransition
    (409) and DomainError `phone_invalid` (400)."""
    return _customer_set(
        merchant_id=merchant_id,
        checkout_id=checkout_id,
        changes=changes,
        actor=actor,
        expected_versions=expected_versions,
        event_type="customer.updated",
    )


def contact_set(*, merchant_id: int, checkout_id: str, changes: dict, actor: str, expected_versions=None):
    """Sets where the shopper is reached about the order (email, phone); as customer_set."""
    return _customer_set(
        merchant_id=merchant_id,
        checkout_id=checkout_id,
        changes=changes,
        actor=actor,
        expected_versions=expected_versions,
        event_type="contact.updated",
    )


def address_set(
    *, merchant_id: int, checkout_id: str, kind: str, data: dict, actor: str, expected_versions=None
) -> CheckoutSession:
    """Creates or replaces the session's shipping or billing address.

    The body replaces the whole address. It is validated before the lock (400 naming the
    field; nothing written). Locks the session; raises NotFound (404), PreconditionFailed
    (412), InvalidStateTransition (409).

    Totals may move: tax follows the shipping address (the billing one when nothing is
    shipped to), and shipping options are quoted per destination country, so a new
    country drops the selected shipping rate; the shopper chooses again from the new list.
    """
    clean = address_clean(data, kind=kind)
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id, with_children=True)
        check_version(expected_versions, session.version)
        with session_writes(session):
            ensure_editable(session, actor=actor)
            shipping = session_address(session, Address.Kind.SHIPPING)
            previous = shipping if kind == Address.Kind.SHIPPING else session_address(session, Address.Kind.BILLING)
            # The session lock serializes address writes, so the prefetched row is the truth.
            values = {
                **clean.values,
                "validation_status": clean.validation_status,
                "validation_messages": clean.validation_messages,
            }
            if previous is None:
                written = Address(session=session, kind=kind, **values)
                session_rows_add(session, written)
            else:
                written = copy.copy(previous)
                for name, value in values.items():
                    setattr(written, name, value)
                written.save(update_fields=[*values, "updated_at"])
            others = [a for a in session.addresses.all() if a.kind != kind]
            session_with_children(
                session, lines=session.lines.all(), addresses=sorted([*others, written], key=lambda a: a.kind)
            )
            timeline = {
                "country": clean.values["country"],
                "validation_status": clean.validation_status,
                "replaced": previous is not None,
            }
            country_changed = previous is None or previous.country != clean.values["country"]
            if kind == Address.Kind.SHIPPING and country_changed and session.selected_shipping_rate_id:
                session.selected_shipping_rate = None
                timeline["selected_shipping_cleared"] = True
            session_touch(
                session,
                actor=actor,
                type=f"address.{kind}_set",
                data=timeline,
                pricing_changed=kind == Address.Kind.SHIPPING or shipping is None,
            )
    return session
