from django.db import migrations

from core.backoffice.roles import FINANCE_CLERK, grant_role_permissions

# Finance clerks issue gift cards (one, or a CSV of them) and disable them; databases whose
# roles were made before this get the permissions here (core.backoffice.roles has them for
# new ones).
PERMISSIONS = ["payments.add_giftcard", "payments.change_giftcard"]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {FINANCE_CLERK: PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_payment_method_types"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
