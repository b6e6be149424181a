"""The only place checkout builds select_for_update querysets.

Order when several rows are locked: session → order → payment → refund, by primary key.
"""

from checkout.models import CheckoutSession
from core.exceptions import NotFound


def lock_session(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    """Locks the merchant's session row for the rest of the transaction, or 404s.

    Another merchant's session is indistinguishable from a missing one.
    """
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .filter(merchant_id=merchant_id, public_id=checkout_id)
        .first()
    )
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return session
