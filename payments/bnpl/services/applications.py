"""Applying to the BNPL provider and completing there: claim → call → record, like a card.

The payment intent is the order's one payable. Confirming it with buy_now_pay_later
applies to the provider: approved, the intent waits in requires_action with a redirect
to the provider's page; declined, it fails with 402 bnpl_declined and the shopper may pay
another way. The provider's `checkout.completed` webhook (or the shopper's return, which
asks the provider) completes the application and creates the plan; the first
installment is then charged to the card given there, and its outcome confirms the intent.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition
from payments import hooks
from payments.bnpl import plans, schedule
from payments.bnpl.locks import lock_application
from payments.bnpl.models import BNPLApplication, Installment, InstallmentPlan
from payments.bnpl.providers import base
from payments.bnpl.providers.simulator import provider_named
from payments.bnpl.selectors import PAY_LATER_REDIRECT
from payments.bnpl.services.log import application_transition, bnpl_log
from payments.exceptions import AttemptsExhausted, GatewayUnavailable, PayableClosed
from payments.locks import lock_payment, lock_payment_by_pk
from payments.models import PaymentMethod, PaymentTransaction
from payments.selectors import attempts_remaining, payment_queryset
from payments.services.confirm import redirect_return_url
from payments.services.intents import reopen_if_failed
from payments.services.log import payment_log, payment_transition

logger = logging.getLogger(__name__)
State = BNPLApplication.State
PState = PaymentTransaction.State
PROVIDER = "simulator"  # the default and only provider configured today


@dataclass(frozen=True)
class _Claim:
    payment_pk: int
    application_pk: int | None = None


def _plan_or_refuse(merchant_id: int, code: str) -> plans.Plan:
    plan = plans.merchant_plan(merchant_id, code) if plans.merchant_terms(merchant_id).enabled else None
    if plan is None:
        raise DomainError(
            f"No buy now, pay later plan {code!r} is offered.",
            code="bnpl_plan_unavailable",
            param="payment_method_data.plan",
        )
    return plan


def _claim(*, merchant_id: int, payment_intent_id: str, plan_code: str, actor: str) -> _Claim:
    with transaction.atomic(durable=True):
        reference = (
            PaymentTransaction.objects.filter(merchant_id=merchant_id, public_id=payment_intent_id)
            .values_list("reference", flat=True)
            .first()
        )
        # The payable's owner locks its row first (session → payment), as a card confirm does.
        verdict = hooks.payable_check(
            merchant_id=merchant_id, reference=reference or "", payment_intent_id=payment_intent_id
        )
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        plan = _plan_or_refuse(merchant_id, plan_code)
        open_application = payment.bnpl_applications.filter(state__in=[State.PENDING, State.APPROVED]).first()
        if payment.state in (PState.CANCELLED, PState.EXPIRED):
            raise InvalidStateTransition(f"A {payment.state} payment intent cannot be confirmed.")
        if payment.state not in (PState.PENDING, PState.FAILED):
            if open_application is not None and open_application.state == State.PENDING:
                return _Claim(payment.pk, open_application.pk)  # its call is repeated, same key
            return _Claim(payment.pk)  # confirmed already: answer with where it stands
        if not verdict.payable:
            raise PayableClosed(verdict.message or None)
        reopen_if_failed(payment, actor=actor)
        if attempts_remaining(payment) <= 0:
            raise AttemptsExhausted()
        facts = hooks.risk_facts_for(merchant_id=merchant_id, reference=payment.reference)
        application = BNPLApplication(
            merchant_id=merchant_id,
            payment=payment,
            provider=PROVIDER,
            plan_code=plan.code,
            amount=payment.amount,
            currency=payment.currency,
            email=facts.get("email", ""),
            locale=facts.get("locale", ""),
        )
        application.idempotency_key = f"{payment.public_id}:{application.public_id}"
        application.save()
        bnpl_log(application, type="application.pending", actor=actor, to_state=State.PENDING, data={"plan": plan.code})
        # An application is an attempt: the merchant's attempt limit bounds them as it does cards.
        payment.attempt_count += 1
        payment_transition(
            payment, "process", actor=actor, data={"method": "buy_now_pay_later", "application": application.public_id}
        )
        return _Claim(payment.pk, application.pk)


def _request(application: BNPLApplication) -> base.ApplicationRequest:
    plan = plans.merchant_plan(application.merchant_id, application.plan_code) or next(
        p for p in plans.DEFAULT_PLANS if p.code == application.plan_code
    )
    limits = plan.limits_for(application.currency) or (0, -1)
    return base.ApplicationRequest(
        idempotency_key=application.idempotency_key,
        amount=application.amount,
        currency=application.currency,
        plan_code=plan.code,
        plan_name=plan.name,
        installment_count=plan.installment_count,
        interval_unit=plan.interval_unit,
        interval_count=plan.interval_count,
        min_amount=limits[0],
        max_amount=limits[1],
        email=application.email,
        return_url=redirect_return_url(application.payment),
        metadata={"application": application.public_id, "payment_intent": application.payment.public_id},
    )


def _record_decision(*, application_pk: int, decision: base.Decision, actor: str) -> None:
    with transaction.atomic(durable=True):
        application = BNPLApplication.objects.get(pk=application_pk)
        payment = lock_payment_by_pk(application.payment_id)
        application = lock_application(application_pk)
        if application.state != State.PENDING:
            return  # the completion webhook came first (out of order), or a repeat
        _apply_decision(application, payment, decision, actor=actor)


def _apply_decision(application, payment, decision: base.Decision, *, actor: str) -> None:
    """The caller holds the payment's and the application's locks."""
    now = timezone.now()
    if decision.status == base.APPROVED:
        application_transition(
            application,
            "approve",
            actor=actor,
            reference=decision.reference,
            redirect_url=decision.redirect_url,
            at=now,
        )
        if payment.state == PState.PROCESSING:
            action = {"type": "redirect_to_url", "url": decision.redirect_url, "reason": PAY_LATER_REDIRECT}
            expires = now + timedelta(minutes=settings.BNPL_CHECKOUT_TIMEOUT_MINUTES)
            payment_transition(payment, "require_action", actor=actor, next_action=action, expires_at=expires)
        return
    application_transition(
        application, "decline", actor=actor, reason=decision.reason, reference=decision.reference, at=now
    )
    if payment.state == PState.PROCESSING:
        error = {"code": "bnpl_declined", "decline_code": decision.reason or None, "message": None}
        payment_transition(payment, "fail", actor=actor, error=error, data={"application": application.public_id})


def bnpl_confirm(*, merchant_id: int, payment_intent_id: str, data: dict, actor: str, ip: str = ""):
    """Confirms an intent with buy now, pay later: applies to the provider for `data["plan"]`.

    Locks the session (through the payable check) and the payment to claim; calls the
    provider with no lock held, under the application's stored key; locks again to record.
    Idempotent: a confirmed intent answers as it stands; an application whose call got no
    answer is repeated with its key. Raises DomainError 400 bnpl_plan_unavailable,
    409 invalid_state_transition / attempts_exhausted / session_not_payable, and
    GatewayUnavailable (502) when the provider did not answer. A decline is recorded
    (the intent fails with bnpl_declined) and raised by the caller as 402.
    """
    claim = _claim(merchant_id=merchant_id, payment_intent_id=payment_intent_id, plan_code=data["plan"], actor=actor)
    if claim.application_pk is not None:
        application = BNPLApplication.objects.select_related("payment").get(pk=claim.application_pk)
        provider = provider_named(application.provider)
        try:
            decision = provider.apply(_request(application))
        except GatewayUnavailable:
            logger.warning("BNPL provider gave no answer for %s", application.public_id)
            raise
        _record_decision(application_pk=application.pk, decision=decision, actor=actor)
    return payment_queryset().get(pk=claim.payment_pk)


def applications_retry_unanswered(*, now=None, batch_size: int = 100) -> int:
    """The janitor's part for applications whose provider call got no answer: the intent
    waits in processing, and without this only the shopper confirming again would move it.

    Each is asked again with its stored key, so the provider answers its first decision
    and never opens a second application; no lock is held during the call. One the
    provider leaves unanswered past the checkout timeout expires, which fails the intent,
    so the shopper can pay another way. Returns how many moved.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PAYMENTS_CALL_STALE_SECONDS)
    give_up = now - timedelta(minutes=settings.BNPL_CHECKOUT_TIMEOUT_MINUTES)
    moved = 0
    waiting = BNPLApplication.objects.filter(
        state=State.PENDING, created_at__lt=stale, payment__state=PState.PROCESSING
    ).order_by("created_at")
    for application in waiting.select_related("payment")[:batch_size]:
        try:
            decision = provider_named(application.provider).apply(_request(application))
        except GatewayUnavailable:
            if application.created_at < give_up:
                moved += application_expire(
                    application.pk, actor="system:janitor", reason="The BNPL provider never answered the application."
                )
            else:
                logger.warning("BNPL provider still gives no answer for %s", application.public_id)
            continue
        _record_decision(application_pk=application.pk, decision=decision, actor="system:janitor")
        moved += 1
    return moved


# --- completion at the provider ------------------------------------------------------------


def _saved_method(merchant_id: int, state: base.CheckoutState) -> PaymentMethod:
    """The card the shopper gave the provider, kept on file for the plan's charges."""
    method, _ = PaymentMethod.objects.get_or_create(
        gateway=state.gateway,
        token=state.token,
        defaults={
            "merchant_id": merchant_id,
            "brand": state.card.brand,
            "last4": state.card.last4,
            "exp_month": state.card.exp_month,
            "exp_year": state.card.exp_year,
            "fingerprint": state.card.fingerprint,
            "saved": True,
        },
    )
    return method


def _plan_create(application: BNPLApplication, method: PaymentMethod, *, actor: str) -> InstallmentPlan:
    terms = plans.merchant_plan(application.merchant_id, application.plan_code) or next(
        p for p in plans.DEFAULT_PLANS if p.code == application.plan_code
    )
    plan = InstallmentPlan.objects.create(
        merchant_id=application.merchant_id,
        application=application,
        payment=application.payment,
        payment_method=method,
        plan_code=terms.code,
        installment_count=terms.installment_count,
        interval_unit=terms.interval_unit,
        interval_count=terms.interval_count,
        total_amount=application.amount,
        currency=application.currency,
        email=application.email,
        locale=application.locale,
    )
    slots = schedule.build(
        application.amount,
        timezone.localdate(),
        count=terms.installment_count,
        unit=terms.interval_unit,
        every=terms.interval_count,
    )
    Installment.objects.bulk_create(
        Installment(
            plan=plan,
            merchant_id=application.merchant_id,
            sequence=slot.sequence,
            amount=slot.amount,
            original_amount=slot.amount,
            currency=application.currency,
            due_date=slot.due_date,
        )
        for slot in slots
    )
    bnpl_log(
        application,
        type="plan.created",
        actor=actor,
        data={"plan_id": plan.public_id, "schedule": [[s.amount, s.due_date.isoformat()] for s in slots]},
    )
    return plan


def application_complete(application_pk: int, state: base.CheckoutState, *, actor: str, source: str) -> bool:
    """Applies the provider's word that the shopper completed the checkout. The caller
    holds no lock (a webhook's transaction may be open). Locks payment → application.

    Idempotent: a completed application is left alone (a replayed or second webhook);
    a completion for a still-PENDING application (its decision not recorded yet: the
    webhook came first) approves it on the way; one for an expired or declined
    application is logged and ignored. Returns whether this call completed it; the
    first installment's charge is queued on commit.
    """
    application = BNPLApplication.objects.get(pk=application_pk)
    payment = lock_payment_by_pk(application.payment_id)
    application = lock_application(application_pk)
    if application.state == State.PENDING:
        decision = base.Decision(status=base.APPROVED, reference=state.reference, redirect_url="")
        _apply_decision(application, payment, decision, actor=actor)
    if application.state != State.APPROVED:
        bnpl_log(
            application, type="completion.ignored", actor=actor, data={"source": source, "state": application.state}
        )
        return False
    if state.card is None or not state.token:
        bnpl_log(application, type="completion.without_card", actor=actor, data={"source": source})
        return False
    method = _saved_method(application.merchant_id, state)
    application_transition(application, "complete", actor=actor, at=timezone.now(), data={"source": source})
    plan = _plan_create(application, method, actor=actor)
    payment_log(payment, type="bnpl.plan_created", actor=actor, data={"plan_id": plan.public_id})
    first = plan.installments.get(sequence=1)

    def charge_first(pk=first.pk):
        from payments.bnpl.tasks import installment_charge_task

        installment_charge_task.delay(pk)

    transaction.on_commit(charge_first, robust=True)
    return True


def bnpl_checkout_event(*, payload: dict, event_id: str, gateway: str) -> None:
    """The provider's signed webhook, inside the gateway event's transaction."""
    provider = provider_named(gateway)
    event_type, state, metadata = provider.checkout_from_payload(payload)
    application = (
        BNPLApplication.objects.filter(public_id=metadata.get("application", "")).first()
        or BNPLApplication.objects.filter(provider=provider.name, provider_reference=state.reference).first()
    )
    if application is None:
        logger.info("BNPL event %s names no application of ours", event_id)
        return
    actor = f"provider:{provider.name}"
    if event_type == "checkout.completed" and state.status == base.COMPLETED:
        application_complete(application.pk, state, actor=actor, source=f"webhook:{event_id}")
    elif state.status == base.CANCELED:
        application_expire(application.pk, actor=actor, reason="The shopper left the provider's checkout.")


def bnpl_sync(*, payment_pk: int, actor: str, source: str) -> bool:
    """The shopper is back from the provider: ask it how the checkout stands (no lock
    held), so the return does not wait for the webhook. False: not a BNPL payment."""
    application = BNPLApplication.objects.filter(payment_id=payment_pk, state=State.APPROVED).order_by("-id").first()
    if application is None:
        return BNPLApplication.objects.filter(payment_id=payment_pk).exists()
    state = provider_named(application.provider).retrieve(reference=application.provider_reference)
    if state.status == base.COMPLETED:
        with transaction.atomic(durable=True):
            application_complete(application.pk, state, actor=actor, source=source)
    return True


def application_expire(application_pk: int, *, actor: str, reason: str) -> bool:
    """APPROVED (or PENDING) → EXPIRED: the shopper never finished. Locks payment →
    application; a payment still waiting for the shopper fails its redirect. The
    provider's session is released after commit."""
    with transaction.atomic():
        application = BNPLApplication.objects.get(pk=application_pk)
        payment = lock_payment_by_pk(application.payment_id)
        application = lock_application(application_pk)
        if application.state not in (State.PENDING, State.APPROVED):
            return False
        application_transition(application, "expire", actor=actor, reason=reason)
        if payment.state in (PState.PROCESSING, PState.REQUIRES_ACTION):
            error = {"code": "bnpl_declined", "decline_code": "checkout_expired", "message": reason}
            payment_transition(payment, "fail", actor=actor, error=error, data={"application": application.public_id})
        reference, provider = application.provider_reference, application.provider
    if reference:
        transaction.on_commit(lambda: _release(provider, reference), robust=True)
    return True


def _release(provider: str, reference: str) -> None:
    try:
        provider_named(provider).cancel(reference=reference)
    except (GatewayUnavailable, DomainError):
        logger.warning("could not release BNPL checkout %s yet", reference)
