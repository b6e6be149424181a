from django.db import migrations

from core.backoffice.roles import FINANCE_CLERK, grant_role_permissions

# Finance clerks read where every cent went (balance transactions, payouts, analytics,
# exports) and the merchants' pricing; they change none of it here.
FINANCE_CLERK_PERMISSIONS = [
    "ledger.view_balancetransaction",
    "ledger.view_payout",
    "ledger.view_paymentanalytics",
    "ledger.view_paymentmethodanalytics",
    "ledger.view_merchantpricing",
    "ledger.view_export",
]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {FINANCE_CLERK: FINANCE_CLERK_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_beat_schedule"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
