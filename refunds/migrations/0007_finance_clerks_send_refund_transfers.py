from django.db import migrations

from core.backoffice.roles import FINANCE_CLERK, grant_role_permissions


def grant(apps, schema_editor):
    # Finance sends the money out of the merchant's account, so finance says it went.
    grant_role_permissions(apps, {FINANCE_CLERK: ["refunds.send_refund_transfer"]})


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0006_bank_transfer_refunds"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
