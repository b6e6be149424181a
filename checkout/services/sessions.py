"""Creating, changing, cancelling and expiring checkout sessions."""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from checkout.locks import lock_session
from checkout.models import CartLine, CheckoutSession
from checkout.selectors import session_with_children
from checkout.services.customer import customer_apply
from checkout.services.inventory import session_holds_release, session_partial_hold_release
from checkout.services.lifecycle import (
    ensure_editable,
    session_event_emit,
    session_rows_add,
    session_snapshot,
    session_touch,
    session_transition,
    session_writes,
    timeline_record,
)
from checkout.services.pricing import session_calculate_locked
from core.exceptions import DomainError
from core.ids import new_public_id
from core.versioning import check_version
from merchants.models import Merchant

logger = logging.getLogger(__name__)

# Changing any of these can move the totals, so the current calculation goes stale.
PRICING_FIELDS = frozenset({"lines", "promotion_codes", "currency"})
MAX_SESSION_TTL_SECONDS = 24 * 60 * 60


def _build_lines(session: CheckoutSession, lines: list[dict]) -> list[CartLine]:
    return [
        CartLine(
            session=session,
            position=position,
            public_id=new_public_id("li"),
            sku=line["sku"],
            name=line["name"],
            quantity=line["quantity"],
            unit_amount=line["unit_amount"],
            tax_code=line.get("tax_code", ""),
            requires_shipping=line.get("requires_shipping", True),
            weight_grams=line.get("weight_grams", 0),
            image_url=line.get("image_url", ""),
        )
        for position, line in enumerate(lines, start=1)
    ]


def _check_currency(merchant: Merchant, currency: str) -> None:
    if currency not in merchant.supported_currencies:
        raise DomainError(
            f"{currency} is not among this merchant's supported currencies.",
            code="currency_not_supported",
            param="currency",
        )


def _owner_fields(owner: dict | None) -> dict:
    owner = owner or {}
    return {"owner_type": owner.get("type", ""), "owner_id": owner.get("id", "")}


def _new_expiry(session: CheckoutSession, changes: dict, now):
    """The expiry a PATCH asks for, or None. Bounded to [60 s, 24 h] from now."""
    if "expires_in_seconds" in changes:
        return now + timedelta(seconds=changes["expires_in_seconds"]), "expires_in_seconds"
    if "extend_ttl_seconds" in changes:
        return max(session.expires_at, now) + timedelta(seconds=changes["extend_ttl_seconds"]), "extend_ttl_seconds"
    return None, None


def session_create(*, merchant: Merchant, data: dict, actor: str) -> CheckoutSession:
    """Binds a snapshot of the merchant's cart to a new session.

    `data` is validated input (see the API's create serializer). Writes the session, its
    lines, the first timeline entry and `checkout.created` in one transaction.
    """
    currency = data.get("currency") or merchant.default_currency
    _check_currency(merchant, currency)
    options = data.get("options") or {}
    return_urls = data.get("return_urls") or {}
    with transaction.atomic():
        session = CheckoutSession.objects.create(
            merchant=merchant,
            cart_id=data.get("cart_id", ""),
            **_owner_fields(data.get("owner")),
            channel=data.get("channel", CheckoutSession.Channel.WEB),
            currency=currency,
            locale=data.get("locale", "en_US"),
            metadata=data.get("metadata", {}),
            capture_mode=options.get("capture_mode", ""),
            require_billing_address=options.get("require_billing_address", False),
            success_url=return_urls.get("success_url", ""),
            error_url=return_urls.get("error_url", ""),
            callback_url=return_urls.get("callback_url", ""),
            promotion_codes=data.get("promotion_codes", []),
            expires_at=timezone.now() + timedelta(minutes=merchant.session_ttl_minutes),
        )
        # No lines: the session is bound to `cart_id` alone and gets its lines by PATCH;
        # calculate, reserve and payment refuse it (409 cart_empty) until then.
        # Lines, timeline, audit row and event: one statement.
        with session_writes(session):
            lines = _build_lines(session, data.get("lines") or [])
            session_rows_add(session, *lines)
            session_with_children(session, lines=lines)
            timeline_record(session, type="status.created", actor=actor, to_status=session.status)
            session_event_emit(
                session,
                merchant_id=merchant.pk,
                type="checkout.created",
                checkout_id=session.public_id,
                data={"before": None, "after": session_snapshot(session)},
            )
    return session


def session_update(
    *, merchant_id: int, checkout_id: str, changes: dict, actor: str, expected_versions=None
) -> CheckoutSession:
    """Applies a PATCH under the session lock; 412 on a stale If-Match, 409 once the
    session is past the stage where its details may change."""
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        check_version(expected_versions, session.version)
        ensure_editable(session, actor=actor)
        if "currency" in changes:
            _check_currency(session.merchant, changes["currency"])
        simple = ("cart_id", "channel", "currency", "locale", "metadata", "promotion_codes")
        for field in simple:
            if field in changes:
                setattr(session, field, changes[field])
        if "owner" in changes:
            for field, value in _owner_fields(changes["owner"]).items():
                setattr(session, field, value)
        if "customer" in changes:
            customer_apply(session, changes["customer"])
        now = timezone.now()
        expires_at, ttl_param = _new_expiry(session, changes, now)
        if expires_at is not None:
            if expires_at > now + timedelta(seconds=MAX_SESSION_TTL_SECONDS):
                raise DomainError(
                    "A session can live at most 24 hours from now.",
                    param=ttl_param,
                    explain=f"the expiry asked for, {expires_at.isoformat()}, is past now + 86400 seconds",
                )
            session.expires_at = expires_at
        options = changes.get("options") or {}
        if "capture_mode" in options:
            session.capture_mode = options["capture_mode"]
        if "require_billing_address" in options:
            session.require_billing_address = options["require_billing_address"]
        for field, value in (changes.get("return_urls") or {}).items():
            setattr(session, field, value)
        if "lines" in changes:
            # A best_fit hold that fell short was for the old cart: give it back.
            session_partial_hold_release(session, actor=actor)
            session.lines.all().delete()
            CartLine.objects.bulk_create(_build_lines(session, changes["lines"]))
        session_touch(
            session,
            actor=actor,
            type="session.updated",
            data={"fields": sorted(changes)},
            pricing_changed=bool(PRICING_FIELDS & set(changes)),
        )
    return session


def session_cancel(*, merchant_id: int, checkout_id: str, actor: str, release_inventory: bool = True):
    """Cancels the session (409 once paid, completed or expired).

    `release_inventory` (the default) gives its stock holds back at once. With False the
    active hold is left to lapse at its own expires_at (at most the merchant's
    hold_minutes, never past the session's expiry), for a merchant that re-checks the
    cart before letting the stock go; the tidy job then records it expired.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        session_transition(
            session,
            "cancel",
            actor=actor,
            data={"release_inventory": release_inventory},
            reason="Canceled by the merchant.",
        )
        if release_inventory:
            session_holds_release(session, actor=actor, reason="session canceled")
    return session


def session_refresh(*, merchant_id: int, checkout_id: str, actor: str) -> CheckoutSession:
    """Extends a live session's lifetime by the merchant's session TTL from now.

    A session that has totals and is still editable is recalculated too, so a shopper
    coming back sees today's prices, rates and promotions. If the totals cannot be
    computed (say a promotion setting changed), the refresh still succeeds: the failure
    goes to the timeline and validate reports the stale calculation.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if session.status in (
            CheckoutSession.Status.COMPLETED,
            CheckoutSession.Status.CANCELED,
            CheckoutSession.Status.EXPIRED,
        ):
            raise DomainError(
                f"A {session.status} session cannot be refreshed.",
                code="invalid_state_transition",
                status_code=409,
            )
        session.expires_at = timezone.now() + timedelta(minutes=session.merchant.session_ttl_minutes)
        session_touch(
            session, actor=actor, type="session.refreshed", data={"expires_at": session.expires_at.isoformat()}
        )
        if session.current_calculation_id is not None and session.is_editable:
            try:
                with transaction.atomic():
                    session_calculate_locked(session, actor=actor)
            except DomainError as exc:
                timeline_record(
                    session, type="calculation.failed", actor=actor, data={"code": exc.code, "message": exc.message}
                )
    return session


EXPIRY_BATCH = 200


def sessions_expire_due(*, now=None, batch_size: int = EXPIRY_BATCH) -> int:
    """Expires sessions past `expires_at` that are not yet being paid for.

    Each session is expired in its own short transaction; `skip_locked` lets several
    workers run this at once without waiting on (or double-handling) each other's rows.
    Sessions in payment_processing are left to the payment time-limit job, which must
    void the authorization first.
    """
    now = now or timezone.now()
    expirable = [
        CheckoutSession.Status.CREATED,
        CheckoutSession.Status.COLLECTING,
        CheckoutSession.Status.AWAITING_APPROVAL,
        CheckoutSession.Status.APPROVED,
        CheckoutSession.Status.DECLINED,
        CheckoutSession.Status.RESERVED,
    ]
    expired = 0
    for _ in range(batch_size):
        with transaction.atomic():
            session = (
                CheckoutSession.objects.select_for_update(skip_locked=True)
                .filter(status__in=expirable, expires_at__lte=now)
                .order_by("expires_at", "id")
                .first()
            )
            if session is None:
                break
            session_transition(session, "expire", actor="system:expiry")
            session_holds_release(session, actor="system:expiry", reason="session expired")
            expired += 1
    if expired:
        logger.info("expired %s checkout sessions", expired)
    return expired
