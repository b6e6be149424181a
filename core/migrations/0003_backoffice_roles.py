"""Staff roles as permission groups (core/backoffice/roles.py)."""

from django.db import migrations

from core.backoffice.roles import FRAUD_ANALYST, ROLES, grant_role_permissions


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def remove_roles(apps, schema_editor):
    # The analysts' group is fraud's own (its 0002 migration): left to it.
    apps.get_model("auth", "Group").objects.filter(name__in=set(ROLES) - {FRAUD_ANALYST}).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_purge_unkeyed_card_fingerprints"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("payments", "0008_wallet_ledger_triggers"),
        ("checkout", "0011_session_wallet_items"),
        ("refunds", "0004_reviewers_emailed_claim"),
        ("fraud", "0005_kyc"),  # after fraud made the analysts' group
        ("merchants", "0006_blank_stored_oauth_tokens"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
