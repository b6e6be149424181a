from django.db import migrations

from core.backoffice.roles import SUPPORT_AGENT, grant_role_permissions

# Support agents write notes on sessions, payments and orders and send an order's
# confirmation email again; nothing else of theirs changes money or state.
SUPPORT_AGENT_PERMISSIONS = ["merchants.add_support_note", "checkout.resend_receipt"]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {SUPPORT_AGENT: SUPPORT_AGENT_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0015_order_resend_receipt_permission"),
        ("merchants", "0010_audit_support_note_permission"),
        ("core", "0003_backoffice_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
