from django.db import migrations

from core.backoffice.roles import COLLECTIONS_AGENT, grant_role_permissions

# The collections team works the dunning: plans and their installments, the overdue list,
# the applications behind them, and the three installment actions (each its own
# permission, checked by the admin and audited by the service). The payment and order
# behind a plan are read, to answer a shopper; nothing else changes here.
COLLECTIONS_AGENT_PERMISSIONS = [
    "bnpl.view_installmentplan",
    "bnpl.view_installment",
    "bnpl.view_overdueinstallment",
    "bnpl.view_bnplapplication",
    "bnpl.view_bnplevent",
    "bnpl.retry_installment",
    "bnpl.settle_installment",
    "bnpl.collect_installment",
    "payments.view_paymenttransaction",
    "checkout.view_order",
]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {COLLECTIONS_AGENT: COLLECTIONS_AGENT_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("bnpl", "0005_staff_roles"),
        ("core", "0003_backoffice_roles"),
        ("checkout", "0006_approval_orders"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
