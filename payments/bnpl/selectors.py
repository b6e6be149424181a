"""Reads of BNPL state; never write."""

from core.exceptions import NotFound
from payments.bnpl import plans
from payments.bnpl.models import BNPLApplication, Installment, InstallmentPlan
from payments.bnpl.providers.simulator import PROVIDERS
from payments.selectors import intent_method_types

METHOD_TYPE = "buy_now_pay_later"
# Why a pay-later intent waits in requires_action: the shopper finishes at the provider.
PAY_LATER_REDIRECT = "bnpl_redirect"


def bnpl_method_offers(*, merchant, country="", currency="", amount=None, channel=""):
    """GET /payment-methods' buy_now_pay_later option: the plans that fit the currency
    (and the amount, when given). Nothing when no plan fits or no provider is configured."""
    if channel == "pos" or not plans.merchant_terms(merchant.pk).enabled:
        return []
    provider = next((p for p in PROVIDERS.values() if p.is_configured()), None)
    if provider is None:
        return []
    currencies = [currency] if currency else list(merchant.supported_currencies)
    options = []
    for code in currencies:
        fitting = [
            plans.plan_option(p, code, amount) for p in plans.merchant_plans(merchant.pk) if p.fits(amount, code)
        ]
        if fitting:
            options.append(
                {
                    "type": METHOD_TYPE,
                    "gateway": provider.card_gateway,
                    "provider": provider.name,
                    "currencies": [code],
                    "country": country or None,
                    "capture_methods": ["auto"],
                    "plans": fitting,
                }
            )
    return options


def bnpl_available(merchant) -> bool:
    """GET /capabilities' installments: the merchant offers plans and a provider is configured."""
    if not plans.merchant_terms(merchant.pk).enabled:
        return False
    return any(provider.is_configured() for provider in PROVIDERS.values()) and bool(plans.merchant_plans(merchant.pk))


def plan_for_payment(payment) -> InstallmentPlan | None:
    """The order payment's plan: the live one, else the latest."""
    plans_qs = InstallmentPlan.objects.filter(payment=payment).select_related("payment_method", "application")
    return plans_qs.exclude(state=InstallmentPlan.State.CANCELLED).first() or plans_qs.order_by("-id").first()


def plan_installments(plan: InstallmentPlan):
    return list(plan.installments.select_related("charge").order_by("sequence"))


def installment_get(*, merchant_id: int, installment_id: str) -> Installment:
    installment = (
        Installment.objects.select_related("plan", "plan__payment")
        .filter(merchant_id=merchant_id, public_id=installment_id)
        .first()
    )
    if installment is None:
        raise NotFound("No such installment.", param="id")
    return installment


def application_for_payment(payment) -> BNPLApplication | None:
    return BNPLApplication.objects.filter(payment=payment).order_by("-id").first()


def pay_later_step(payment) -> str:
    """What a pay-later intent waiting in requires_action asks of the shopper: "agree" (at
    the provider's page), "wait" (agreed there: the intent waits for the first
    installment's charge, nothing is left for the shopper to do), or "" (no pay-later
    redirect)."""
    if (payment.next_action or {}).get("reason") != PAY_LATER_REDIRECT:
        return ""
    application = application_for_payment(payment)
    finished = application is not None and application.state == BNPLApplication.State.COMPLETED
    return "wait" if finished else "agree"


def overdue_installments(merchant_id: int | None = None):
    """The collections team's list: overdue or with collections, oldest first."""
    qs = Installment.objects.filter(state__in=[Installment.State.OVERDUE, Installment.State.COLLECTIONS])
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return qs.select_related("plan", "plan__payment").order_by("overdue_since", "id")


def installment_as_dict(installment: Installment) -> dict:
    charge = installment.paid_by or installment.charge
    return {
        "id": installment.public_id,
        "sequence": installment.sequence,
        "status": installment.state,
        "amount": installment.amount,
        "currency": installment.currency,
        "due_date": installment.due_date.isoformat(),
        "attempts": installment.attempt_count,
        "last_decline_code": installment.last_decline_code or None,
        "payment_intent_id": charge.public_id if charge else None,
    }


def payment_may_have_installments(payment) -> bool:
    """Whether a plan can pay this intent: only one that accepts buy now, pay later (the
    confirm refuses a method an intent does not accept), so a card-only intent's order
    needs no read of a schedule."""
    return METHOD_TYPE in intent_method_types(payment.method_types)


def installments_for_payment_intent(*, merchant_id: int, payment_intent_id: str) -> list[dict] | None:
    """The schedule of the plan that pays an order's intent (for the order resource), or
    None when it was not paid by installments. One query."""
    rows = (
        Installment.objects.filter(
            merchant_id=merchant_id,
            plan__payment__public_id=payment_intent_id,
            plan__state__in=[InstallmentPlan.State.ACTIVE, InstallmentPlan.State.COMPLETED],
        )
        .select_related("paid_by", "charge")
        .order_by("sequence")
    )
    return [installment_as_dict(row) for row in rows] or None
