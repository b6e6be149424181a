"""Buy now, pay later's place in the back office: its menu under Payments and the
collections team's tile (overdue installments waiting)."""

from core.backoffice.registry import PAYMENTS, MenuItem, Tile, add_menu, add_tile


def overdue_count() -> int:
    from payments.bnpl.models import Installment

    return Installment.objects.filter(state=Installment.State.OVERDUE).count()


def register():
    add_menu(
        MenuItem(PAYMENTS, "Installment plans", model="bnpl.InstallmentPlan", icon="event_repeat", order=80),
        MenuItem(PAYMENTS, "Installments", model="bnpl.Installment", icon="calendar_month", order=81),
        MenuItem(PAYMENTS, "Overdue installments", model="bnpl.OverdueInstallment", icon="running_with_errors",
                 order=82),
        MenuItem(PAYMENTS, "BNPL applications", model="bnpl.BNPLApplication", icon="fact_check", order=83),
        MenuItem(PAYMENTS, "BNPL settings", model="bnpl.BNPLSettings", icon="tune", order=84),
        MenuItem(PAYMENTS, "BNPL plans", model="bnpl.BNPLPlanTerms", icon="view_timeline", order=85),
    )  # fmt: skip
    add_tile(
        Tile(
            key="installments_overdue",
            title="Installments overdue",
            model="bnpl.OverdueInstallment",
            query="state__exact=overdue",
            count=overdue_count,
            description="Retries exhausted: pay late, mark paid offline or send to collections.",
            tone="danger",
            order=50,
        )
    )
