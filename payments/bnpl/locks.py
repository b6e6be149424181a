"""The only place BNPL builds select_for_update querysets.

House order: session → order → payment → (the plan's) installment → application. A
service that touches the plan's payment locks it (payments.locks) before these.
"""

from payments.bnpl.models import BNPLApplication, Installment, InstallmentPlan


def lock_application(pk: int) -> BNPLApplication:
    return BNPLApplication.objects.select_for_update(of=("self",)).select_related("payment").get(pk=pk)


def lock_installment(pk: int) -> Installment:
    return Installment.objects.select_for_update(of=("self",)).select_related("plan", "plan__payment_method").get(pk=pk)


def lock_installments(pks) -> list[Installment]:
    return list(Installment.objects.select_for_update(of=("self",)).filter(pk__in=list(pks)).order_by("sequence"))


def lock_next_installment(queryset) -> Installment | None:
    """The first row nobody else holds, so several workers can sweep at once."""
    return queryset.select_for_update(skip_locked=True, of=("self",)).order_by("due_date", "id").first()


def lock_plan(pk: int) -> InstallmentPlan:
    return (
        InstallmentPlan.objects.select_for_update(of=("self",))
        .select_related("application", "payment", "payment_method")
        .get(pk=pk)
    )
