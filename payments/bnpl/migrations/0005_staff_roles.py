from django.db import migrations

from core.backoffice.roles import FINANCE_CLERK, SUPPORT_AGENT, grant_role_permissions

# Collections work from the finance clerks' desk: the plans, the overdue list and the three
# installment actions (retry now, mark paid offline, send to collections). Support agents
# read plans and their trail to answer shoppers; they change nothing.
READ = [
    "bnpl.view_installmentplan",
    "bnpl.view_installment",
    "bnpl.view_overdueinstallment",
    "bnpl.view_bnplapplication",
    "bnpl.view_bnplevent",
]
ROLES = {
    FINANCE_CLERK: [
        *READ,
        "bnpl.retry_installment",
        "bnpl.settle_installment",
        "bnpl.collect_installment",
        "bnpl.view_bnplsettings",
        "bnpl.view_bnplplanterms",
    ],
    SUPPORT_AGENT: READ,
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("bnpl", "0004_shopper_locale"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
