from django.db import migrations

from core.backoffice.roles import FINANCE_CLERK, grant_role_permissions

FINANCE_CLERK_PERMISSIONS = [
    "reconciliation.view_statementsource",
    "reconciliation.view_statement",
    "reconciliation.add_statement",
    "reconciliation.view_statementline",
    "reconciliation.match_statementline",
    "reconciliation.view_dailyreport",
]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {FINANCE_CLERK: FINANCE_CLERK_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0002_line_event_append_only_and_schedule"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
