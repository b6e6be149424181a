"""Plumbing shared by the hosted views: the page guard, the common context, redirects."""

from functools import wraps

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from checkout.fulfillment_selectors import selected_shipment_plan
from checkout.hosted.access import hosted_view
from checkout.hosted.policy import frame_ancestors
from checkout.hosted.selectors import allowed_pages, hosted_stage, session_payment
from checkout.hosted.summary import html_lang, order_summary
from checkout.models import Address, CheckoutSession
from checkout.order_selectors import with_checkout_id
from checkout.selectors import session_address, session_requires_shipping

STAGE_PAGES = {
    "review": "hosted:review",
    "waiting": "hosted:waiting",
    "declined": "hosted:declined",
    "success": "hosted:success",
    "closed": "hosted:closed",
    "expired": "hosted:expired",
    "payment": "hosted:payment",
    "processing": "hosted:processing",
    "failed": "hosted:failed",
}
RECEIPT_URL_NAME = "receipt"
STEPS = (("review", _("Review")), ("details", _("Details")), ("shipping", _("Delivery")), ("payment", _("Payment")))


def go(session: CheckoutSession, page: str, *, post: bool = False):
    """A redirect to one of the session's pages; 303 after a POST so a reload never posts again."""
    response = redirect(STAGE_PAGES.get(page, f"hosted:{page}"), session.public_id)
    if post:
        response.status_code = 303
    return response


def first_missing_step(session: CheckoutSession) -> str | None:
    """The first editing step the shopper has still to complete; None once payable."""
    ships = session_requires_shipping(session)
    kind = Address.Kind.SHIPPING if ships else Address.Kind.BILLING
    if not session.customer_email or session_address(session, kind) is None:
        return "details"
    if ships and not (
        session.selected_shipping_rate_id or session.pickup_location_id or selected_shipment_plan(session)
    ):
        return "shipping"
    if not session.calculation_is_current:
        return "shipping" if ships else "details"
    return None


def hosted_page(name: str):
    """A hosted page named `name`: grant checked (access.hosted_view), then the page must
    suit the session's stage, or the shopper is sent to the page that does. The view is
    called as `view(request, session, payment)`."""

    def decorator(view):
        @hosted_view
        @wraps(view)
        def wrapper(request, session, *args, **kwargs):
            payment = session_payment(session)
            stage = hosted_stage(session, payment)
            allowed = allowed_pages(stage)
            if stage == "review" and name == "payment" and first_missing_step(session) is None:
                allowed = (*allowed, "payment")
            if name not in allowed:
                return go(session, stage, post=request.method == "POST")
            return view(request, session, payment, *args, **kwargs)

        return wrapper

    return decorator


def steps(session: CheckoutSession, current: str) -> list[dict]:
    """The progress indicator. Steps the shopper completed stay done (and link back while
    details may change) wherever the shopper stands now: going back to Review from Delivery
    must not make Details and Delivery look undone."""
    names = [step for step in STEPS if step[0] != "shipping" or session_requires_shipping(session)]
    order = [name for name, _ in names]
    index = order.index(current) if current in order else len(names)
    reached = order.index(first_missing_step(session) or "payment") if session.is_editable else index
    return [
        {
            "name": name,
            "label": label,
            "number": i + 1,
            "state": "current" if i == index else "done" if i < max(index, reached) else "upcoming",
            "link": session.is_editable and i != index and i < max(index, reached),
        }
        for i, (name, label) in enumerate(names)
    ]


def form_errors(forms) -> list[dict]:
    """Every error of the page's forms, for the summary at the top that links to each field."""
    found = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            group = getattr(form, "summary_label", "")
            found.extend(
                {"anchor": field.auto_id if field else "", "message": f"{group}: {error}" if group else error}
                for error in errors
            )
    return found


# The event an embedded page posts to the merchant's page, besides checkout.loaded.
EMBED_EVENTS = {
    "success.html": "checkout.completed",
    "failed.html": "checkout.failed",
    "declined.html": "checkout.failed",
    "closed.html": "checkout.failed",
    "expired.html": "checkout.failed",
}


def _lang(session: CheckoutSession) -> str:
    """The page's lang attribute: the session's locale when the page speaks its language."""
    session_lang = html_lang(session)
    language = translation.get_language() or "en"
    return session_lang if session_lang.split("-")[0] == language.split("-")[0] else language


def page(request, session: CheckoutSession, template: str, *, step: str | None = None, status=200, **context):
    forms = list((context.get("forms") or {}).values()) + [context.get("form")]
    context.setdefault("errors", form_errors(forms))
    embedded = getattr(request, "hosted_embedded", False)
    return render(
        request,
        f"hosted/{template}",
        {
            "session": session,
            "checkout_id": session.public_id,
            "merchant_name": session.merchant.name,
            "lang": _lang(session),
            "embedded": embedded,
            "parent_origins": frame_ancestors(session) if embedded else [],
            "embed_event": EMBED_EVENTS.get(template, ""),
            "page_name": template.removesuffix(".html"),
            "summary": order_summary(session),
            "steps": steps(session, step) if step else None,
            **context,
        },
        status=status,
    )


def return_url(session: CheckoutSession, *, success: bool) -> str:
    return with_checkout_id(session.success_url if success else session.error_url, session.public_id) or ""


def receipt_url(order) -> str:
    """The order's receipt page, once the receipts app serves one."""
    if order is None:
        return ""
    try:
        return reverse(RECEIPT_URL_NAME, args=[order.receipt_id])
    except NoReverseMatch:
        return ""
